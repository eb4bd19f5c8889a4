import { sql } from 'kysely';
import type { Db } from '../../../db/database.js';
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
    await sql`SELECT pg_advisory_xact_lock(7342002, (id % 2147483647)::int) FROM unnest(${ids}::bigint[]) AS id ORDER BY id`.execute(trx);
    const rows = await trx
      .selectFrom('mailboxes as m')
      .innerJoin('mailbox_usage as u', 'u.mailbox_id', 'm.id')
      .innerJoin('domains as d', 'd.id', 'm.domain_id')
      .innerJoin('customers as c', 'c.id', 'd.customer_id')
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
      await trx
        .insertInto('alert_state')
        .values({
          mailbox_id: row.id,
          episode: decision.state.episode,
          warned: decision.state.warned,
          last_alert_at: decision.state.lastAlertAt ?? lastAlertAt,
        })
        .onConflict((oc) =>
          oc
            .column('mailbox_id')
            .doUpdateSet({ episode: decision.state.episode, warned: decision.state.warned, last_alert_at: decision.state.lastAlertAt ?? lastAlertAt }),
        )
        .execute();

      const to = new Map<string, AlertRecipient>();
      for (const r of (row.alert_recipients as AlertRecipient[] | null) ?? DEFAULT_RECIPIENTS) {
        const address = r === 'mailbox' ? row.address : r === 'contact' ? row.contact_email : row.reseller_email;
        if (address && !to.has(address.toLowerCase())) to.set(address.toLowerCase(), r);
      }
      for (const alert of decision.alerts) {
        const created = await trx
          .insertInto('alerts')
          .values({
            mailbox_id: row.id,
            episode: alert.episode,
            kind: alert.kind,
            level: alert.level,
            used_bytes: row.used_bytes,
            quota_bytes: row.quota_bytes,
            created_at: now,
          })
          .onConflict((oc) => oc.columns(['mailbox_id', 'episode', 'kind', 'level']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!created || to.size === 0) continue;
        const ds = await trx
          .insertInto('alert_deliveries')
          .values([...to].map(([address, recipient]) => ({ alert_id: created.id, recipient, address })))
          .returning('id')
          .execute();
        deliveries.push(...ds.map((d) => d.id));
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
