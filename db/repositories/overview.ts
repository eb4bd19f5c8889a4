import { sql } from 'kysely';
import type { Db } from '../database.js';
import { inScope, type Scope } from './scope.js';

/** Mailboxes per quota level ('unmeasured' until the first scan) within the scope. */
export async function countsByLevel(db: Db, scope: Scope): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('mailboxes as m')
    .innerJoin('domains as d', 'd.id', 'm.domain_id')
    .innerJoin('customers as c', 'c.id', 'd.customer_id')
    .leftJoin('mailbox_usage as u', 'u.mailbox_id', 'm.id')
    .where(inScope(scope))
    .select([sql<string>`coalesce(u.level, 'unmeasured')`.as('level'), (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(sql`coalesce(u.level, 'unmeasured')`)
    .execute();
  return Object.fromEntries(rows.map((r) => [r.level, r.n]));
}

/** Each customer's mailboxes, allocated quota and measured usage, beside its plan's limits. */
export function customerTotals(db: Db, scope: Scope, limit = 200) {
  return db
    .selectFrom('customers as c')
    .leftJoin('plans as p', 'p.id', 'c.plan_id')
    .$if(scope.resellerId !== null, (qb) => qb.where('c.reseller_id', '=', scope.resellerId!))
    .select([
      'c.id', 'c.name', 'c.active', 'p.name as plan', 'p.max_mailboxes', 'p.max_storage_bytes',
      sql<number>`(SELECT count(*) FROM mailboxes m JOIN domains d ON d.id = m.domain_id WHERE d.customer_id = c.id)`.as('mailboxes'),
      sql<number>`(SELECT coalesce(sum(m.quota_bytes), 0) FROM mailboxes m JOIN domains d ON d.id = m.domain_id WHERE d.customer_id = c.id)::float8`.as('allocated'),
      sql<number>`(SELECT coalesce(sum(u.used_bytes), 0) FROM mailbox_usage u JOIN mailboxes m ON m.id = u.mailbox_id JOIN domains d ON d.id = m.domain_id WHERE d.customer_id = c.id)::float8`.as('used'),
    ])
    .orderBy('c.name')
    .limit(limit)
    .execute();
}

/** Usage history of one mailbox, oldest first. */
export function usageSamples(db: Db, mailboxId: number, since: Date) {
  return db.selectFrom('usage_samples').select(['at', 'used_bytes']).where('mailbox_id', '=', mailboxId).where('at', '>=', since).orderBy('at').execute();
}
