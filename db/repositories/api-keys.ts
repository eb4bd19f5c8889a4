import { sql } from 'kysely';
import type { Db } from '../database.js';

export function insertApiKey(
  db: Db,
  values: {
    prefix: string;
    secret_hash: string;
    name: string;
    reseller_id: number | null;
    customer_id: number | null;
    domain_id: number | null;
    read_only: boolean;
    expires_at: Date | null;
    allowed_cidrs: string[] | null;
  },
) {
  return db.insertInto('api_keys').values(values).returning(['id', 'prefix', 'name', 'created_at']).executeTakeFirstOrThrow();
}

/** A usable key: not revoked, not expired, and its reseller and customer still active. */
export function findUsableKey(db: Db, prefix: string) {
  return db
    .selectFrom('api_keys as k')
    .leftJoin('resellers as r', 'r.id', 'k.reseller_id')
    .leftJoin('customers as c', 'c.id', 'k.customer_id')
    .selectAll('k')
    .where('k.prefix', '=', prefix)
    .where('k.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('k.expires_at', 'is', null), eb('k.expires_at', '>', sql<Date>`now()`)]))
    .where((eb) => eb.or([eb('k.reseller_id', 'is', null), eb('r.active', '=', true)]))
    .where((eb) => eb.or([eb('k.customer_id', 'is', null), eb('c.active', '=', true)]))
    .executeTakeFirst();
}

/** Records use at most once a minute, so requests on one key do not queue on its row. */
export async function touchKey(db: Db, id: number) {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: new Date() })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
    .execute();
}

/** The keys a caller manages: a reseller its own, the operator every key. */
export function listKeys(db: Db, resellerId: number | null) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'prefix', 'name', 'read_only', 'customer_id', 'domain_id', 'created_at', 'last_used_at', 'expires_at', 'revoked_at', 'allowed_cidrs'])
    .$if(resellerId !== null, (qb) => qb.where('reseller_id', '=', resellerId!))
    .orderBy('id', 'desc')
    .execute();
}

/** One key of the reseller (any key for the operator, resellerId null). */
export function getKey(db: Db, id: number, resellerId: number | null) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'prefix', 'name', 'revoked_at', 'last_used_at'])
    .where('id', '=', id)
    .$if(resellerId !== null, (qb) => qb.where('reseller_id', '=', resellerId!))
    .executeTakeFirst();
}

export async function revokeKey(db: Db, id: number, resellerId: number | null) {
  const res = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .$if(resellerId !== null, (qb) => qb.where('reseller_id', '=', resellerId!))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}
