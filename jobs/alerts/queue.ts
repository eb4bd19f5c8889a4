import type { Db } from '../../db/database.js';
import type { Queues } from '../queues.js';
import { evaluateAlerts } from './evaluate.js';

export const ALERTS_QUEUE = 'alerts';
export const SEND_ATTEMPTS = 10;

export const sendJob = (deliveryId: number) => ({
  name: 'send-alert' as const,
  data: { deliveryId },
  // One job per delivery, however often it is queued.
  // Temporary failures retry with exponential backoff and jitter (the worker's backoff strategy), then give up.
  opts: { jobId: `delivery-${deliveryId}`, attempts: SEND_ATTEMPTS, backoff: { type: 'custom' } },
});

export async function enqueueDeliveries(queues: Queues, deliveryIds: number[]) {
  if (deliveryIds.length === 0) return;
  await queues.get(ALERTS_QUEUE).addBulk(deliveryIds.map(sendJob));
}

/** Evaluates alerts for these mailboxes and queues what must be sent: the one way alerts start. */
export async function evaluateAndQueue(db: Db, queues: Queues, mailboxIds: number[], now = new Date()) {
  const deliveries = await evaluateAlerts(db, mailboxIds, now);
  await enqueueDeliveries(queues, deliveries);
  return deliveries;
}
