import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { DeliveryStatus } from '../tables/webhooks.js';

/** Whose webhooks: a reseller's own, or (null) the operator's. */
export type WebhookOwner = { resellerId: number | null };

const PUBLIC_COLUMNS = ['id', 'reseller_id', 'url', 'events', 'enabled', 'disabled_reason', 'failing_since', 'created_at', 'updated_at'] as const;

export function insertWebhook(db: Db, owner: WebhookOwner, values: { url: string; events: string[]; secret: string }) {
  return db
    .insertInto('webhooks')
    .values({ reseller_id: owner.resellerId, ...values })
    .returning(PUBLIC_COLUMNS)
    .executeTakeFirstOrThrow();
}

const owned = (db: Db, owner: WebhookOwner) =>
  db.selectFrom('webhooks').where((eb) => (owner.resellerId === null ? eb('reseller_id', 'is', null) : eb('reseller_id', '=', owner.resellerId)));

export function listWebhooks(db: Db, owner: WebhookOwner) {
  return owned(db, owner).select(PUBLIC_COLUMNS).orderBy('id').execute();
}

export function getWebhook(db: Db, owner: WebhookOwner, id: number) {
  return owned(db, owner).select(PUBLIC_COLUMNS).where('id', '=', id).executeTakeFirst();
}

export function updateWebhook(db: Db, id: number, values: { url?: string; events?: string[]; enabled?: boolean }) {
  return db
    .updateTable('webhooks')
    .set({
      ...values,
      // Enabled again by its owner: failures so far no longer count towards disabling it.
      ...(values.enabled === true && { disabled_reason: null, failing_since: null }),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returning(PUBLIC_COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function deleteWebhook(db: Db, id: number) {
  await db.deleteFrom('webhooks').where('id', '=', id).execute();
}

export interface NewEvent {
  type: string;
  resellerId: number | null;
  customerId: number | null;
  mailboxId: number | null;
  data: Record<string, unknown>;
}

/** Whether any webhook listens: without one, no event is written (the common case costs this one read). */
export async function anyWebhookEnabled(db: Db): Promise<boolean> {
  return (await db.selectFrom('webhooks').select('id').where('enabled', '=', true).limit(1).executeTakeFirst()) !== undefined;
}

/** Writes events for the webhooks to fan out (callers asked anyWebhookEnabled first). */
export async function insertEvents(db: Db, events: readonly NewEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  await db
    .insertInto('webhook_events')
    .values(events.map((e) => ({ type: e.type, reseller_id: e.resellerId, customer_id: e.customerId, mailbox_id: e.mailboxId, data: JSON.stringify(e.data) })))
    .execute();
  return events.length;
}

/** What events about mailboxes carry: ids, address, usage and quota (never a secret). */
export function mailboxFacts(db: Db, ids: readonly number[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('mailboxes as m')
    .innerJoin('domains as d', 'd.id', 'm.domain_id')
    .innerJoin('customers as c', 'c.id', 'd.customer_id')
    .select(['m.id', 'm.address', 'm.quota_bytes', 'm.used_bytes', 'm.usage_level', 'm.active', 'd.name as domain', 'c.id as customer_id', 'c.reseller_id'])
    .where('m.id', 'in', [...ids])
    .execute();
}

/**
 * Fans a batch of new events out to one delivery per enabled webhook that subscribes to the event and
 * may see it (its reseller's, or the operator's); marks the batch done. Returns the new deliveries.
 */
export async function fanOut(db: Db, batch = 1000): Promise<{ events: number; deliveries: number[] }> {
  return db.transaction().execute(async (trx) => {
    // One fan-out at a time, so deliveries are numbered in the order of their events (the order per
    // mailbox rests on it); a second one waits here, then finds what the first left.
    await sql`select pg_advisory_xact_lock(hashtext('mailpanel-webhook-fanout'))`.execute(trx);
    const events = await trx.selectFrom('webhook_events').select('id').where('fanned_out', '=', false).orderBy('id').limit(batch).execute();
    if (events.length === 0) return { events: 0, deliveries: [] };
    const ids = events.map((e) => e.id);
    const rows = await sql<{ id: number }>`
      insert into webhook_deliveries (msg_id, webhook_id, event_id, mailbox_id)
      select 'msg_' || e.id || '_' || w.id, w.id, e.id, e.mailbox_id
      from webhook_events e
      join webhooks w on w.enabled and (w.reseller_id is null or w.reseller_id = e.reseller_id) and e.type = any(w.events)
      where e.id = any(${ids}::bigint[])
      order by e.id, w.id
      on conflict do nothing
      returning id`.execute(trx);
    await trx.updateTable('webhook_events').set({ fanned_out: true }).where('id', 'in', ids).execute();
    return { events: ids.length, deliveries: rows.rows.map((r) => Number(r.id)) };
  });
}

/** A delivery with what sending it needs. */
export function deliveryToSend(db: Db, id: number) {
  return db
    .selectFrom('webhook_deliveries as x')
    .innerJoin('webhooks as w', 'w.id', 'x.webhook_id')
    .innerJoin('webhook_events as e', 'e.id', 'x.event_id')
    .select([
      'x.id',
      'x.msg_id',
      'x.status',
      'x.attempts',
      'x.created_at',
      'x.mailbox_id',
      'x.webhook_id',
      'w.url',
      'w.secret',
      'w.enabled',
      'w.reseller_id',
      'w.failing_since',
      'e.type',
      'e.data',
      'e.created_at as occurred_at',
    ])
    .where('x.id', '=', id)
    .executeTakeFirst();
}

/**
 * An open delivery of this webhook about the same mailbox before this one (`earlier`: it must wait) or
 * the first after it (`next`: its turn comes when this one is done); deliveries are in order per mailbox.
 */
export async function openNeighbour(
  db: Db,
  d: { id: number; webhook_id: number; mailbox_id: number | null },
  side: 'earlier' | 'next',
): Promise<number | undefined> {
  if (d.mailbox_id === null) return undefined;
  const row = await db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('webhook_id', '=', d.webhook_id)
    .where('mailbox_id', '=', d.mailbox_id)
    .where('id', side === 'earlier' ? '<' : '>', d.id)
    .where('status', 'in', ['pending', 'retrying'])
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.id);
}

export async function recordAttempt(
  db: Db,
  id: number,
  outcome: { status: DeliveryStatus; responseCode: number | null; durationMs: number | null; error: string | null },
) {
  await db
    .updateTable('webhook_deliveries')
    .set((eb) => ({
      status: outcome.status,
      attempts: eb('attempts', '+', 1),
      response_code: outcome.responseCode,
      duration_ms: outcome.durationMs,
      last_error: outcome.error,
      last_attempt_at: new Date(),
      ...(outcome.status === 'delivered' && { delivered_at: new Date() }),
    }))
    .where('id', '=', id)
    .execute();
}

/** Starts (or ends) a webhook's failing period; a period already started keeps its start. */
export async function markFailing(db: Db, webhookId: number, failing: boolean) {
  await db
    .updateTable('webhooks')
    .set({ failing_since: failing ? new Date() : null })
    .where('id', '=', webhookId)
    .where('failing_since', failing ? 'is' : 'is not', null)
    .execute();
}

/** Disables a webhook that failed for too long; true when this call did it (so it is told once). */
export async function disableFailing(db: Db, webhookId: number, reason: string): Promise<boolean> {
  const r = await db
    .updateTable('webhooks')
    .set({ enabled: false, disabled_reason: reason, updated_at: new Date() })
    .where('id', '=', webhookId)
    .where('enabled', '=', true)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export function listDeliveries(db: Db, webhookId: number, limit = 100) {
  return db
    .selectFrom('webhook_deliveries as x')
    .innerJoin('webhook_events as e', 'e.id', 'x.event_id')
    .select([
      'x.id',
      'x.msg_id',
      'e.type',
      'x.status',
      'x.attempts',
      'x.response_code',
      'x.duration_ms',
      'x.last_error',
      'x.created_at',
      'x.last_attempt_at',
      'x.delivered_at',
    ])
    .where('x.webhook_id', '=', webhookId)
    .orderBy('x.id', 'desc')
    .limit(limit)
    .execute();
}

/** A delivery of this webhook sent again: same message id, attempts start over. */
export async function reopenDelivery(db: Db, webhookId: number, deliveryId: number): Promise<boolean> {
  const r = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', last_error: null, created_at: new Date() })
    .where('id', '=', deliveryId)
    .where('webhook_id', '=', webhookId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Pending deliveries whose job may be lost (a crash between commit and enqueue): the sweeper queues them again. */
export function staleDeliveries(db: Db, olderThan: Date, limit = 1000) {
  return db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('created_at', '<', olderThan)
    .where('attempts', '=', 0)
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Forgets webhook history older than `days`: deliveries that ended (delivered or failed; retries stop
 * after a day) and events none of whose deliveries is still open. The delivery logs stay readable
 * for that long, and the minute sweep does not scan a table that only grows.
 */
export async function pruneWebhookHistory(db: Db, days: number): Promise<{ deliveries: number; events: number }> {
  const before = sql<Date>`now() - make_interval(days => ${days})`;
  const deliveries = await db
    .deleteFrom('webhook_deliveries')
    .where('status', 'in', ['delivered', 'failed'])
    .where('created_at', '<', before)
    .executeTakeFirst();
  const events = await db
    .deleteFrom('webhook_events as e')
    .where('e.fanned_out', '=', true)
    .where('e.created_at', '<', before)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'e.id'))))
    .executeTakeFirst();
  return { deliveries: Number(deliveries.numDeletedRows), events: Number(events.numDeletedRows) };
}
