import type { Db } from '../../../db/database.js';
import { nearlyFullMailboxes, stuckDeliveries } from '../../../db/repositories/alerts.js';
import type { Queues } from '../../../jobs/queue/queues.js';
import { enqueueDeliveries, evaluateAndQueue } from './evaluate.js';

/**
 * Hourly: reminders for mailboxes that stay near full, and deliveries whose job was lost (a crash
 * between writing the row and queueing it). Queueing is idempotent per delivery.
 */
export async function sweepAlerts(db: Db, queues: Queues, now: Date) {
  const near = await nearlyFullMailboxes(db);
  const created = [];
  for (let i = 0; i < near.length; i += 500) created.push(...(await evaluateAndQueue(db, queues, near.slice(i, i + 500), now)));
  const stuck = await stuckDeliveries(db, new Date(now.getTime() - 10 * 60_000));
  await enqueueDeliveries(queues, stuck);
  return { reminders: created.length, requeued: stuck.length };
}
