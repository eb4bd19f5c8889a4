// Sessions of mailbox owners (signed in with the mailbox's address and password).
import { sql } from 'kysely';
import type { Db } from '../database.js';
import { mailboxesWithOwners } from './scope.js';

/** What the owner's sign-in checks: the hash Dovecot verifies, and whether Dovecot would let the mailbox in. */
export function mailboxForSignIn(db: Db, address: string) {
  return mailboxesWithOwners(db)
    .innerJoin('resellers as r', 'r.id', 'c.reseller_id')
    .select(['m.id', 'm.address', 'm.password_hash', sql<boolean>`m.active AND d.active AND c.active AND r.active`.as('enabled')])
    .where('m.address', '=', address)
    .executeTakeFirst();
}

export async function insertMailboxSession(db: Db, values: { id_hash: string; mailbox_id: number; csrf_token: string }) {
  await db.insertInto('mailbox_sessions').values(values).execute();
}

/** The session with its mailbox's place in the tenant tree, only while the mailbox may sign in and within both lifetimes. */
export async function loadMailboxSession(db: Db, idHash: string, idleSeconds: number, absoluteSeconds: number) {
  const s = await mailboxesWithOwners(db)
    .innerJoin('mailbox_sessions as s', 's.mailbox_id', 'm.id')
    .innerJoin('resellers as r', 'r.id', 'c.reseller_id')
    .select(['s.id_hash', 's.csrf_token', 's.last_seen_at', 'm.id as mailbox_id', 'm.address', 'd.id as domain_id', 'd.customer_id', 'c.reseller_id'])
    .where('s.id_hash', '=', idHash)
    .where(sql<boolean>`m.active AND d.active AND c.active AND r.active`)
    .where(sql<boolean>`s.last_seen_at > now() - make_interval(secs => ${idleSeconds})`)
    .where(sql<boolean>`s.created_at > now() - make_interval(secs => ${absoluteSeconds})`)
    .executeTakeFirst();
  if (s && Date.now() - s.last_seen_at.getTime() > 60_000) {
    await db.updateTable('mailbox_sessions').set({ last_seen_at: new Date() }).where('id_hash', '=', idHash).execute();
  }
  return s;
}

export async function deleteMailboxSession(db: Db, idHash: string) {
  await db.deleteFrom('mailbox_sessions').where('id_hash', '=', idHash).execute();
}

/** Signs the owner out everywhere (its password changed, or it was suspended), except `keep`. */
export async function endMailboxSessions(db: Db, mailboxId: number, keep?: string) {
  await db
    .deleteFrom('mailbox_sessions')
    .where('mailbox_id', '=', mailboxId)
    .$if(keep !== undefined, (qb) => qb.where('id_hash', '!=', keep!))
    .execute();
}

export async function deleteExpiredMailboxSessions(db: Db, absoluteSeconds: number): Promise<number> {
  const r = await db.deleteFrom('mailbox_sessions').where(sql<boolean>`created_at < now() - make_interval(secs => ${absoluteSeconds})`).executeTakeFirst();
  return Number(r.numDeletedRows);
}
