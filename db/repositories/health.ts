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

export function deliveriesByStatus(db: Db) {
  return db
    .selectFrom('alert_deliveries')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
}

export function mailboxesByLevel(db: Db) {
  return db
    .selectFrom('mailbox_usage')
    .select(['level', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('level')
    .execute();
}
