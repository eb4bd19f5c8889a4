import type { Db } from '../database.js';
import type { Scope } from './scope.js';

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
}

export function insertPlan(db: Db, resellerId: number, values: PlanValues) {
  return db
    .insertInto('plans')
    .values({ ...values, reseller_id: resellerId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function updatePlan(db: Db, id: number, values: Partial<PlanValues>) {
  return db
    .updateTable('plans')
    .set({ ...values, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
