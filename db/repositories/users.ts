import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { UserRole } from '../schema.js';

export function findUserByEmail(db: Db, email: string) {
  return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
}

/** The user who may sign in with this email: active, and every tenant above it active (as sessions require). */
export function findSignInUser(db: Db, email: string) {
  return db
    .selectFrom('users as u')
    .selectAll('u')
    .select(
      sql<boolean>`u.active
      AND (u.reseller_id IS NULL OR EXISTS (SELECT 1 FROM resellers r WHERE r.id = u.reseller_id AND r.active))
      AND (u.customer_id IS NULL OR EXISTS (SELECT 1 FROM customers c WHERE c.id = u.customer_id AND c.active))`.as('may_sign_in'),
    )
    .where('u.email', '=', email.toLowerCase())
    .executeTakeFirst();
}

export function insertUser(db: Db, values: { email: string; password_hash: string; role: UserRole; reseller_id: number | null; customer_id: number | null }) {
  return db
    .insertInto('users')
    .values({ ...values, email: values.email.toLowerCase() })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function countOperators(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .where('role', '=', 'operator')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return row.n;
}

export function listUsersOf(db: Db, where: { resellerId?: number; customerId?: number }) {
  return db
    .selectFrom('users')
    .select(['id', 'email', 'role', 'active', 'created_at', 'last_login_at'])
    .$if(where.customerId !== undefined, (qb) => qb.where('customer_id', '=', where.customerId!))
    .$if(where.resellerId !== undefined, (qb) => qb.where('reseller_id', '=', where.resellerId!).where('role', '=', 'reseller'))
    .orderBy('email')
    .execute();
}

export async function touchLogin(db: Db, id: number) {
  await db.updateTable('users').set({ last_login_at: new Date() }).where('id', '=', id).execute();
}

/** Takes a TOTP step for this user if it is newer than the last one used; false means replayed. */
export async function useTotpStep(db: Db, userId: number, step: number): Promise<boolean> {
  const res = await db
    .updateTable('users')
    .set({ totp_last_step: step })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** A login's second factor: enabled, or a secret waiting for its first code. */
export function totpOf(db: Db, id: number) {
  return db.selectFrom('users').select(['email', 'role', 'totp_enabled', 'totp_secret']).where('id', '=', id).executeTakeFirstOrThrow();
}

/** A new secret to confirm with a code; never over one already enabled. */
export async function startTotp(db: Db, id: number, secret: string): Promise<void> {
  await db.updateTable('users').set({ totp_secret: secret }).where('id', '=', id).where('totp_enabled', '=', false).execute();
}

/** Enables the pending secret, or disables the factor and forgets its secret. */
export async function setTotpEnabled(db: Db, id: number, enabled: boolean): Promise<void> {
  await db
    .updateTable('users')
    .set(enabled ? { totp_enabled: true } : { totp_enabled: false, totp_secret: null })
    .where('id', '=', id)
    .execute();
}

/** A login that is active, with its reseller and customer (if any) active too; undefined otherwise. */
export function activeUser(db: Db, id: number) {
  return db
    .selectFrom('users as u')
    .select(['u.id', 'u.email', 'u.role', 'u.reseller_id', 'u.customer_id'])
    .where('u.id', '=', id)
    .where('u.active', '=', true)
    .where(sql<boolean>`(u.reseller_id IS NULL OR EXISTS (SELECT 1 FROM resellers r WHERE r.id = u.reseller_id AND r.active))`)
    .where(sql<boolean>`(u.customer_id IS NULL OR EXISTS (SELECT 1 FROM customers c WHERE c.id = u.customer_id AND c.active))`)
    .executeTakeFirst();
}

export function passwordHashOf(db: Db, id: number) {
  return db.selectFrom('users').select(['password_hash']).where('id', '=', id).executeTakeFirstOrThrow();
}
