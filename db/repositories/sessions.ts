import { sql } from 'kysely';
import type { Db } from '../database.js';

export async function insertSession(
  db: Db,
  values: { id_hash: string; user_id: number; csrf_token: string; acting_customer_id: number | null; pending_totp?: boolean },
) {
  await db.insertInto('sessions').values(values).execute();
}

/**
 * The session with its user, only while the user and every tenant above it are active and the
 * session is within its idle and absolute lifetimes; touching it extends the idle window.
 */
export async function loadSession(db: Db, idHash: string, idleSeconds: number, absoluteSeconds: number) {
  const session = await db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .leftJoin('customers as ac', 'ac.id', 's.acting_customer_id')
    .where('s.id_hash', '=', idHash)
    .where('u.active', '=', true)
    .where(sql<boolean>`s.last_seen_at > now() - make_interval(secs => ${idleSeconds})`)
    .where(sql<boolean>`s.created_at > now() - make_interval(secs => ${absoluteSeconds})`)
    .where(sql<boolean>`(u.reseller_id IS NULL OR EXISTS (SELECT 1 FROM resellers r WHERE r.id = u.reseller_id AND r.active))`)
    .where(sql<boolean>`(u.customer_id IS NULL OR EXISTS (SELECT 1 FROM customers c WHERE c.id = u.customer_id AND c.active))`)
    .select([
      's.id_hash',
      's.csrf_token',
      's.acting_customer_id',
      'ac.name as acting_customer_name',
      's.pending_totp',
      's.created_at',
      's.last_seen_at',
      'u.id as user_id',
      'u.email',
      'u.role',
      'u.reseller_id',
      'u.customer_id',
      'u.totp_enabled',
    ])
    .executeTakeFirst();
  // The idle window moves on at most once a minute: a write per page view would serialise a busy session.
  if (session && Date.now() - session.last_seen_at.getTime() > 60_000) {
    await db.updateTable('sessions').set({ last_seen_at: new Date() }).where('id_hash', '=', idHash).execute();
  }
  return session;
}

export async function deleteSession(db: Db, idHash: string) {
  await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
}

export async function deleteExpiredSessions(db: Db, absoluteSeconds: number): Promise<number> {
  const res = await db.deleteFrom('sessions').where(sql<boolean>`created_at < now() - make_interval(secs => ${absoluteSeconds})`).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** Signs out every login of a tenant that was just switched off (its reseller's or its customer's). */
export async function endSessionsOfTenant(db: Db, tenant: { resellerId: number } | { customerId: number }) {
  const users = db.selectFrom('users').select('id');
  await db
    .deleteFrom('sessions')
    .where('user_id', 'in', 'resellerId' in tenant ? users.where('reseller_id', '=', tenant.resellerId) : users.where('customer_id', '=', tenant.customerId))
    .execute();
}

/** Setup links used or expired. */
export async function deleteSpentSetupTokens(db: Db): Promise<number> {
  const res = await db.deleteFrom('setup_tokens').where(sql<boolean>`expires_at < now() OR used_at IS NOT NULL`).executeTakeFirst();
  return Number(res.numDeletedRows);
}

export function findSetupToken(db: Db, tokenHash: string) {
  return db.selectFrom('setup_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** Marks a setup link used; false when it already was (another request won). */
export async function useSetupToken(db: Db, tokenHash: string): Promise<boolean> {
  const res = await db
    .updateTable('setup_tokens')
    .set({ used_at: new Date() })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function insertSetupToken(db: Db, tokenHash: string, expiresAt: Date): Promise<void> {
  await db.insertInto('setup_tokens').values({ token_hash: tokenHash, expires_at: expiresAt }).execute();
}
