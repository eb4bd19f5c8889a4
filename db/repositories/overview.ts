import { sql } from 'kysely';
import type { Db } from '../database.js';
import { domainsInScope, type Scope } from './scope.js';

/** Mailboxes per quota level ('unmeasured' until the first scan) within the scope. */
export async function countsByLevel(db: Db, scope: Scope): Promise<Record<string, number>> {
  // Per domain, so each count is an index-only walk of mailboxes_domain_level_idx already in level
  // order, not one sort of every mailbox in scope.
  const rows = await domainsInScope(db, scope)
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('mailboxes as m')
          .whereRef('m.domain_id', '=', 'd.id')
          .select(['m.usage_level', (e) => e.fn.countAll<number>().as('n')])
          .groupBy('m.usage_level')
          .as('x'),
      (join) => join.onTrue(),
    )
    .select([sql<string>`coalesce(x.usage_level, 'unmeasured')`.as('level'), sql<number>`sum(x.n)::int`.as('n')])
    .groupBy(sql`coalesce(x.usage_level, 'unmeasured')`)
    .execute();
  return Object.fromEntries(rows.map((r) => [r.level, r.n]));
}

/** Each customer's mailboxes, allocated quota and measured usage, beside its plan's limits. */
export function customerTotals(db: Db, scope: Scope, limit = 200) {
  // The page of customers first, so the totals are summed for those rows only.
  const page = db
    .selectFrom('customers')
    .selectAll()
    .$if(scope.resellerId !== null, (qb) => qb.where('reseller_id', '=', scope.resellerId!))
    .orderBy('name')
    .orderBy('id')
    .limit(limit);
  return db
    .selectFrom(page.as('c'))
    .leftJoin('plans as p', 'p.id', 'c.plan_id')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('mailboxes as m')
          .innerJoin('domains as d', 'd.id', 'm.domain_id')
          .whereRef('d.customer_id', '=', 'c.id')
          .select([
            (e) => e.fn.countAll<number>().as('mailboxes'),
            sql<number>`coalesce(sum(m.quota_bytes), 0)::float8`.as('allocated'),
            sql<number>`coalesce(sum(m.used_bytes), 0)::float8`.as('used'),
          ])
          .as('t'),
      (join) => join.onTrue(),
    )
    .select(['c.id', 'c.name', 'c.active', 'p.name as plan', 'p.max_mailboxes', 'p.max_storage_bytes', 't.mailboxes', 't.allocated', 't.used'])
    .orderBy('c.name')
    .orderBy('c.id')
    .execute();
}

/** Usage history of one mailbox, oldest first. */
export function usageSamples(db: Db, mailboxId: number, since: Date) {
  return db.selectFrom('usage_samples').select(['at', 'used_bytes']).where('mailbox_id', '=', mailboxId).where('at', '>=', since).orderBy('at').execute();
}
