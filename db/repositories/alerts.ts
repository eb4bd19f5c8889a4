import { type Transaction, type Updateable, sql } from 'kysely';
import type { Db } from '../database.js';
import type { AlertDeliveriesTable, AlertsTable, Database } from '../schema.js';
import { mailboxesWithOwners } from './scope.js';

/** A mailbox's alerts, newest first, each with its deliveries (to whom, status). */
export async function listAlerts(db: Db, mailboxId: number, limit = 50) {
  const alerts = await db.selectFrom('alerts').selectAll().where('mailbox_id', '=', mailboxId).orderBy('id', 'desc').limit(limit).execute();
  if (alerts.length === 0) return [];
  const deliveries = await db
    .selectFrom('alert_deliveries')
    .select(['alert_id', 'recipient', 'address', 'status', 'attempts', 'last_error', 'sent_at'])
    .where(
      'alert_id',
      'in',
      alerts.map((a) => a.id),
    )
    .orderBy('id')
    .execute();
  return alerts.map((a) => ({ ...a, deliveries: deliveries.filter((d) => d.alert_id === a.id) }));
}

/** A delivery with what its email needs: the alert, the mailbox, the customer's language, the plan's texts. */
export function deliveryToSend(db: Db, id: number) {
  return db
    .selectFrom('alert_deliveries as ad')
    .innerJoin('alerts as a', 'a.id', 'ad.alert_id')
    .innerJoin('mailboxes as m', 'm.id', 'a.mailbox_id')
    .innerJoin('domains as d', 'd.id', 'm.domain_id')
    .innerJoin('customers as c', 'c.id', 'd.customer_id')
    .leftJoin('plans as p', 'p.id', 'c.plan_id')
    .select([
      'ad.id',
      'ad.status',
      'ad.recipient',
      'ad.address',
      'ad.attempts',
      'a.kind',
      'a.level',
      'a.used_bytes',
      'a.quota_bytes',
      'm.address as mailbox',
      'm.id as mailbox_id',
      'c.language',
      'p.alert_texts',
      // Whether its plan offers a larger size than the mailbox has now (requests for more space).
      sql<boolean>`coalesce(exists (select 1 from unnest(p.upgrade_sizes) s where s > m.quota_bytes), false)`.as('more_space'),
    ])
    .where('ad.id', '=', id)
    .executeTakeFirst();
}

export async function markDelivery(db: Db, id: number, set: Updateable<AlertDeliveriesTable>): Promise<void> {
  await db.updateTable('alert_deliveries').set(set).where('id', '=', id).execute();
}

type Trx = Transaction<Database>;

/**
 * What alert decisions need of these mailboxes (usage, plan settings, recipients, the alert state),
 * with their evaluations serialised: a scan and a quota change at once decide one after the other
 * (advisory locks taken in id order, so no deadlock). Inactive mailboxes and customers get none.
 */
export async function lockAlertInputs(trx: Trx, ids: number[]) {
  await sql`SELECT pg_advisory_xact_lock(7342002, (id % 2147483647)::int) FROM unnest(${ids}::bigint[]) AS id ORDER BY id`.execute(trx);
  return mailboxesWithOwners(trx)
    .innerJoin('mailbox_usage as u', 'u.mailbox_id', 'm.id')
    .innerJoin('resellers as r', 'r.id', 'c.reseller_id')
    .leftJoin('plans as p', 'p.id', 'c.plan_id')
    .leftJoin('alert_state as s', 's.mailbox_id', 'm.id')
    .select([
      'm.id',
      'm.address',
      'm.quota_bytes',
      'u.used_bytes',
      'c.contact_email',
      'r.contact_email as reseller_email',
      'p.warn_percents',
      'p.warn_min_free_bytes',
      'p.alert_recipients',
      'p.reminder_days',
      's.episode',
      's.warned',
      's.last_alert_at',
    ])
    .where('m.id', 'in', ids)
    .where('m.active', '=', true)
    .where('c.active', '=', true)
    .execute();
}

export async function saveAlertState(trx: Trx, mailboxId: number, state: { episode: number; warned: string[]; lastAlertAt: Date | null }): Promise<void> {
  const values = { episode: state.episode, warned: state.warned, last_alert_at: state.lastAlertAt };
  await trx
    .insertInto('alert_state')
    .values({ mailbox_id: mailboxId, ...values })
    .onConflict((oc) => oc.column('mailbox_id').doUpdateSet(values))
    .execute();
}

/** The alert, once per mailbox, episode, kind and level: null when it was already recorded. */
export async function insertAlert(
  trx: Trx,
  a: { mailboxId: number; episode: number; kind: AlertsTable['kind']; level: string; usedBytes: number; quotaBytes: number; at: Date },
): Promise<number | null> {
  const row = await trx
    .insertInto('alerts')
    .values({ mailbox_id: a.mailboxId, episode: a.episode, kind: a.kind, level: a.level, used_bytes: a.usedBytes, quota_bytes: a.quotaBytes, created_at: a.at })
    .onConflict((oc) => oc.columns(['mailbox_id', 'episode', 'kind', 'level']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return row?.id ?? null;
}

export async function insertDeliveries(trx: Trx, alertId: number, to: { address: string; recipient: AlertDeliveriesTable['recipient'] }[]): Promise<number[]> {
  const rows = await trx
    .insertInto('alert_deliveries')
    .values(to.map((t) => ({ alert_id: alertId, recipient: t.recipient, address: t.address })))
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** Mailboxes at 95 % or full: the hourly sweep looks for reminders due. */
export async function nearlyFullMailboxes(db: Db): Promise<number[]> {
  return (await db.selectFrom('mailbox_usage').select('mailbox_id').where('level', 'in', ['95', 'full']).execute()).map((r) => r.mailbox_id);
}

/** Deliveries pending or sending since before `before`: their job was lost. */
export async function stuckDeliveries(db: Db, before: Date): Promise<number[]> {
  const rows = await db
    .selectFrom('alert_deliveries')
    .select('id')
    .where('status', 'in', ['pending', 'sending'])
    .where(sql<boolean>`coalesce(sending_at, (SELECT created_at FROM alerts WHERE alerts.id = alert_id)) < ${before}`)
    .execute();
  return rows.map((r) => r.id);
}
