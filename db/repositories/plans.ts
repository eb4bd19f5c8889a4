import { type Updateable, sql } from 'kysely';
import type { PlansTable } from '../schema.js';
import type { Db } from '../database.js';
import type { Scope } from './scope.js';
import type { SendLimits } from '../../server/core/send-limits.js';

/** The send limits of the plan of customer `c` (queries that join customers as c), as JSON; null without a plan. */
export const PLAN_SEND_LIMITS = sql<SendLimits | null>`(select jsonb_build_object('perHour', p.send_per_hour, 'perDay', p.send_per_day,
  'recipientsPerMessage', p.send_recipients) from plans p where p.id = c.plan_id)`;

export function listPlans(db: Db, resellerId: number) {
  return db.selectFrom('plans').selectAll().where('reseller_id', '=', resellerId).orderBy('name').execute();
}

export function getPlan(db: Db, scope: Scope, id: number) {
  return db
    .selectFrom('plans')
    .selectAll()
    .where('id', '=', id)
    .$if(scope.resellerId !== null, (qb) => qb.where('reseller_id', '=', scope.resellerId!))
    .executeTakeFirst();
}

export interface PlanValues {
  name: string;
  default_quota_bytes: number;
  max_quota_bytes: number | null;
  deleted_retention_days?: number;
  max_mailboxes: number | null;
  max_storage_bytes: number | null;
  trash_room_percent?: number;
  junk_room?: boolean;
  trash_purge_days?: number | null;
  junk_purge_days?: number | null;
  upgrade_sizes?: number[];
  auto_approve_bytes?: number | null;
}

export function insertPlan(db: Db, resellerId: number, values: PlanValues) {
  return db
    .insertInto('plans')
    .values({ ...values, reseller_id: resellerId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The plan's updatedAt, its row locked until the transaction ends (optimistic concurrency of edit forms). */
export function lockPlanVersion(db: Db, id: number) {
  return db.selectFrom('plans').select('updated_at').where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
}

/** The limits of the customer's plan; undefined without a plan. */
export function planOfCustomer(db: Db, customerId: number) {
  return db
    .selectFrom('customers as c')
    .innerJoin('plans as p', 'p.id', 'c.plan_id')
    .select([
      'p.default_quota_bytes',
      'p.max_quota_bytes',
      'p.max_mailboxes',
      'p.max_storage_bytes',
      'p.trash_room_percent',
      'p.junk_room',
      'p.trash_purge_days',
      'p.junk_purge_days',
      'p.upgrade_sizes',
      'p.auto_approve_bytes',
    ])
    .where('c.id', '=', customerId)
    .executeTakeFirst();
}

/** A plan's limits or warning settings (lines, recipients, reminders, texts). */
export async function updatePlan(db: Db, id: number, values: Updateable<PlansTable>): Promise<void> {
  await db
    .updateTable('plans')
    .set({ ...values, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}
