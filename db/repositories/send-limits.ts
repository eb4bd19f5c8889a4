import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { SendLimitKind } from '../../server/core/send-limits.js';
import { mailboxesWithOwners } from './scope.js';

/** Keeps a breach once per mailbox, kind and hour: the new row, or the one kept before (`fresh` false). */
export async function keepBreach(db: Db, b: { mailboxId: number; kind: SendLimitKind; limit: number; at: Date }) {
  const row = await db
    .insertInto('send_limit_breaches')
    .values({ mailbox_id: b.mailboxId, kind: b.kind, limit_value: b.limit, at: b.at })
    .onConflict((oc) => oc.columns(['mailbox_id', 'kind', 'hour']).doNothing())
    .returning(['id', 'suspended', 'notified'])
    .executeTakeFirst();
  if (row) return { ...row, id: Number(row.id), fresh: true };
  const kept = await db
    .selectFrom('send_limit_breaches')
    .select(['id', 'suspended', 'notified'])
    .where('mailbox_id', '=', b.mailboxId)
    .where('kind', '=', b.kind)
    .where('hour', '=', sql<Date>`date_trunc('hour', ${b.at}::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`)
    .executeTakeFirstOrThrow();
  return { ...kept, id: Number(kept.id), fresh: false };
}

export async function markBreachNotified(db: Db, id: number) {
  await db.updateTable('send_limit_breaches').set({ notified: true }).where('id', '=', id).execute();
}

export async function breachesSince(db: Db, mailboxId: number, since: Date): Promise<number> {
  const row = await db
    .selectFrom('send_limit_breaches')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('mailbox_id', '=', mailboxId)
    .where('at', '>', since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Suspends the mailbox's outgoing mail unless it already is; true when this call did it. */
export async function suspendOutgoing(db: Db, mailboxId: number, breachId: number): Promise<boolean> {
  const done = await db
    .updateTable('mailboxes')
    .set({ suspend_outgoing: true, outgoing_locked: true, updated_at: sql`now()` })
    .where('id', '=', mailboxId)
    .where('suspend_outgoing', '=', false)
    .executeTakeFirst();
  if (Number(done.numUpdatedRows) === 0) return false;
  await db.updateTable('send_limit_breaches').set({ suspended: true }).where('id', '=', breachId).execute();
  return true;
}

/** A mailbox's latest breaches, newest first. */
export function recentBreaches(db: Db, mailboxId: number, limit = 10) {
  return db
    .selectFrom('send_limit_breaches')
    .select(['kind', 'limit_value', 'at', 'suspended'])
    .where('mailbox_id', '=', mailboxId)
    .orderBy('at', 'desc')
    .limit(limit)
    .execute();
}

/** Who is told of a breach: the mailbox's customer contact and its reseller (staff), in their language. */
export function breachFacts(db: Db, mailboxId: number) {
  return mailboxesWithOwners(db)
    .innerJoin('resellers as r', 'r.id', 'c.reseller_id')
    .select([
      'm.id',
      'm.address',
      'm.suspend_outgoing',
      'd.customer_id',
      'c.reseller_id',
      'c.contact_email as customer_email',
      'c.language',
      'r.contact_email as reseller_email',
    ])
    .where('m.id', '=', mailboxId)
    .executeTakeFirst();
}
