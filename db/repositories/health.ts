// What the operations endpoints (/readyz, /metrics) read of the database.
import { sql } from 'kysely';
import type { Db } from '../database.js';

export async function ping(db: Db): Promise<void> {
  await sql`SELECT 1`.execute(db);
}

/** The storage nodes that have mailboxes (each has a scan queue). */
export async function mailboxNodes(db: Db): Promise<string[]> {
  return (await db.selectFrom('mailboxes').select('node').distinct().execute()).map((n) => n.node);
}

/** Deliveries by status; a pending one that already failed once counts as `retrying`. */
export async function deliveriesByStatus(db: Db) {
  const rows = await sql<{ status: string; n: number }>`
    SELECT CASE WHEN status = 'pending' AND last_error IS NOT NULL THEN 'retrying' ELSE status END AS status, count(*)::int AS n
      FROM alert_deliveries GROUP BY 1`.execute(db);
  return rows.rows;
}

/** Warnings not going out: deliveries of the last day that failed or are being retried, and the newest error. */
export async function deliveryTrouble(db: Db): Promise<{ failing: number; lastError: string | null }> {
  const row = await sql<{ failing: number; last_error: string | null }>`
    SELECT count(*)::int AS failing,
           (array_agg(ad.last_error ORDER BY ad.id DESC))[1] AS last_error
      FROM alert_deliveries ad JOIN alerts a ON a.id = ad.alert_id
     WHERE ad.last_error IS NOT NULL AND ad.status IN ('pending', 'sending', 'failed')
       AND a.created_at > now() - interval '1 day'`.execute(db);
  return { failing: row.rows[0]?.failing ?? 0, lastError: row.rows[0]?.last_error ?? null };
}

export function mailboxesByLevel(db: Db) {
  return db
    .selectFrom('mailbox_usage')
    .select(['level', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('level')
    .execute();
}
