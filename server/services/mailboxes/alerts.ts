import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../../db/database.js';
import type { listAlerts } from '../../../db/repositories/alerts.js';
import { evaluateAndQueue } from '../alerts/evaluate.js';
import type { Queues } from '../../../jobs/queue/queues.js';

export type AlertRows = Awaited<ReturnType<typeof listAlerts>>;

/**
 * What a principal may see of a mailbox's alerts: a customer (and a mailbox owner) sees its own
 * deliveries with a plain status, not the reseller's contact address nor the relay's raw error text
 * (staff see both).
 */
export function visibleAlerts(rows: AlertRows, role: string): AlertRows {
  if (role === 'operator' || role === 'reseller') return rows;
  return rows.map((a) => ({
    ...a,
    deliveries: a.deliveries
      .filter((d) => d.recipient !== 'reseller')
      .map((d) => ({ ...d, last_error: d.last_error === null ? null : 'The mail server did not accept the message.' })),
  }));
}

export function alertsView(rows: AlertRows) {
  return rows.map((a) => ({
    kind: a.kind,
    level: a.level,
    usedBytes: a.used_bytes,
    quotaBytes: a.quota_bytes,
    createdAt: a.created_at.toISOString(),
    deliveries: a.deliveries.map((d) => ({
      recipient: d.recipient,
      address: d.address,
      status: d.status,
      attempts: d.attempts,
      error: d.last_error,
      sentAt: d.sent_at ? d.sent_at.toISOString() : null,
    })),
  }));
}

/**
 * A new quota can cross a warning line without any new mail: decide at once. The change itself is
 * already stored; if the queue is away, the hourly sweep sends what was decided here.
 */
export async function reevaluateAfterQuotaChange(db: Db, queues: Queues, log: FastifyBaseLogger, mailboxId: number) {
  try {
    await evaluateAndQueue(db, queues, [mailboxId]);
  } catch (err) {
    log.warn({ mailboxId, err }, 'quota alerts not evaluated now; the sweep will');
  }
}
