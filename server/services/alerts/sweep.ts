import type { Db } from '../../../db/database.js';
import { nearlyFullMailboxes, stuckDeliveries } from '../../../db/repositories/alerts.js';
import type { Queues } from '../../../jobs/queue/queues.js';
import { untoldRequests } from '../../../db/repositories/space-requests.js';
import { enqueueDeliveries, evaluateAndQueue } from './evaluate.js';

/**
 * Hourly: reminders for mailboxes that stay near full, and deliveries whose job was lost (a crash
 * between writing the row and queueing it), and the notices of requests for more space likewise.
 * Queueing is idempotent per delivery.
 */
export async function sweepAlerts(db: Db, queues: Queues, now: Date) {
  const near = await nearlyFullMailboxes(db);
  const created = [];
  for (let i = 0; i < near.length; i += 500) created.push(...(await evaluateAndQueue(db, queues, near.slice(i, i + 500), now)));
  const stuck = await stuckDeliveries(db, new Date(now.getTime() - 10 * 60_000));
  await enqueueDeliveries(queues, stuck);
  // Requests for more space whose notices were never queued (Redis away when they were made).
  const untold = await untoldRequests(db, new Date(now.getTime() - 10 * 60_000));
  await queues.enqueueMany(
    'space-request-notice',
    untold.map((r) => ({ requestId: r.id, status: r.status })),
    {},
  );
  return { reminders: created.length, requeued: stuck.length, untold: untold.length };
}
