import type { Db } from '../database.js';

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
