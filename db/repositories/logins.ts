import { sql } from 'kysely';
import type { Db } from '../database.js';

/** A panel login with its tenant, for the checks of who may manage it. */
export function getLogin(db: Db, id: number) {
  return db
    .selectFrom('users as u')
    .leftJoin('customers as c', 'c.id', 'u.customer_id')
    .select(['u.id', 'u.email', 'u.role', 'u.reseller_id', 'u.customer_id', 'u.active', 'c.reseller_id as customer_reseller_id'])
    .where('u.id', '=', id)
    .executeTakeFirst();
}

export async function setPassword(db: Db, userId: number, passwordHash: string) {
  await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
}

/** Ends the user's sessions, all or all but one (the one that changed the password). */
export async function endSessionsOf(db: Db, userId: number, keepIdHash?: string) {
  await db
    .deleteFrom('sessions')
    .where('user_id', '=', userId)
    .$if(keepIdHash !== undefined, (qb) => qb.where('id_hash', '!=', keepIdHash!))
    .execute();
}

export async function deleteLogin(db: Db, userId: number) {
  await db.deleteFrom('users').where('id', '=', userId).execute();
}

export async function insertReset(db: Db, values: { token_hash: string; user_id: number; kind: 'staff' | 'email'; expires_at: Date }) {
  // A new link replaces the login's earlier unused ones.
  await db.deleteFrom('password_resets').where('user_id', '=', values.user_id).where('used_at', 'is', null).execute();
  await db.insertInto('password_resets').values(values).execute();
}

/** The login a usable link sets the password of. */
export function findUsableReset(db: Db, tokenHash: string) {
  return db
    .selectFrom('password_resets as r')
    .innerJoin('users as u', 'u.id', 'r.user_id')
    .select(['r.token_hash', 'r.user_id', 'u.email', 'u.reseller_id', 'u.customer_id'])
    .where('r.token_hash', '=', tokenHash)
    .where('r.used_at', 'is', null)
    .where('r.expires_at', '>', new Date())
    .where('u.active', '=', true)
    .executeTakeFirst();
}

/** Takes the link: false when another request used it first. */
export async function useReset(db: Db, tokenHash: string): Promise<boolean> {
  const res = await db
    .updateTable('password_resets')
    .set({ used_at: sql`now()` })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}
