import type { Db } from '../../../db/database.js';
import * as alerts from '../../../db/repositories/alerts.js';
import type { Queues } from '../../../jobs/queue/queues.js';
import { type AlertRecipient, type AlertState, DEFAULT_WARN_PERCENTS, decideAlerts } from '../../core/alerts/decide.js';

const DEFAULT_RECIPIENTS: AlertRecipient[] = ['mailbox', 'contact'];

/**
 * Decides and records the alerts of these mailboxes from their stored usage, in one transaction.
 * The unique key on alerts makes it safe to run twice for the same crossing; only deliveries of
 * alerts created by this run are returned, for the caller to queue.
 */
export async function evaluateAlerts(db: Db, mailboxIds: number[], now: Date): Promise<number[]> {
  if (mailboxIds.length === 0) return [];
  const ids = [...new Set(mailboxIds)].sort((a, b) => a - b);
  return db.transaction().execute(async (trx) => {
    // Serialise evaluations of one mailbox (a scan and a quota change at once); sorted, so no deadlock.
    const rows = await alerts.lockAlertInputs(trx, ids);

    const deliveries: number[] = [];
    for (const row of rows) {
      const state: AlertState | null = row.episode === null ? null : { episode: row.episode, warned: row.warned ?? [], lastAlertAt: row.last_alert_at };
      const decision = decideAlerts({
        usedBytes: row.used_bytes,
        quotaBytes: row.quota_bytes,
        settings: { warnPercents: row.warn_percents ?? DEFAULT_WARN_PERCENTS, minFreeBytes: row.warn_min_free_bytes, reminderDays: row.reminder_days ?? 3 },
        state,
        now,
      });
      const lastAlertAt = decision.alerts.length ? now : (state?.lastAlertAt ?? null);
      await alerts.saveAlertState(trx, row.id, { ...decision.state, lastAlertAt: decision.state.lastAlertAt ?? lastAlertAt });

      const to = new Map<string, AlertRecipient>();
      for (const r of (row.alert_recipients as AlertRecipient[] | null) ?? DEFAULT_RECIPIENTS) {
        const address = r === 'mailbox' ? row.address : r === 'contact' ? row.contact_email : row.reseller_email;
        if (address && !to.has(address.toLowerCase())) to.set(address.toLowerCase(), r);
      }
      for (const alert of decision.alerts) {
        const created = await alerts.insertAlert(trx, { mailboxId: row.id, ...alert, usedBytes: row.used_bytes, quotaBytes: row.quota_bytes, at: now });
        if (created === null || to.size === 0) continue;
        deliveries.push(
          ...(await alerts.insertDeliveries(
            trx,
            created,
            [...to].map(([address, recipient]) => ({ address, recipient })),
          )),
        );
      }
    }
    return deliveries;
  });
}

/** Queues one send job per delivery. */
export async function enqueueDeliveries(queues: Queues, deliveryIds: number[]) {
  await queues.enqueueMany(
    'send-alert',
    deliveryIds.map((deliveryId) => ({ deliveryId })),
    {},
  );
}

/** Evaluates alerts for these mailboxes and queues what must be sent: the one way alerts start. */
export async function evaluateAndQueue(db: Db, queues: Queues, mailboxIds: number[], now = new Date()) {
  const deliveries = await evaluateAlerts(db, mailboxIds, now);
  await enqueueDeliveries(queues, deliveries);
  return deliveries;
}
