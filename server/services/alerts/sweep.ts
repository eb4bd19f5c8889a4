import { sql } from 'kysely';
import type { Db } from '../../../db/database.js';
import type { Queues } from '../../../jobs/queue/queues.js';
import { enqueueDeliveries, evaluateAndQueue } from './evaluate.js';

/**
 * Hourly: reminders for mailboxes that stay near full, and deliveries whose job was lost (a crash
 * between writing the row and queueing it). Queueing is idempotent per delivery.
 */
export async function sweepAlerts(db: Db, queues: Queues, now: Date) {
  const near = await db.selectFrom('mailbox_usage').select('mailbox_id').where('level', 'in', ['95', 'full']).execute();
  const created = [];
  for (let i = 0; i < near.length; i += 500)
    created.push(
      ...(await evaluateAndQueue(
        db,
        queues,
        near.slice(i, i + 500).map((r) => r.mailbox_id),
        now,
      )),
    );
  const stuck = await db
    .selectFrom('alert_deliveries')
    .select('id')
    .where('status', 'in', ['pending', 'sending'])
    .where(sql<boolean>`coalesce(sending_at, (SELECT created_at FROM alerts WHERE alerts.id = alert_id)) < ${new Date(now.getTime() - 10 * 60_000)}`)
    .execute();
  await enqueueDeliveries(
    queues,
    stuck.map((s) => s.id),
  );
  return { reminders: created.length, requeued: stuck.length };
}
