import type { Db } from '../database.js';
import type { Page, Paged, Scope } from './scope.js';
import type { AuditEntry } from '../schema.js';

export interface AuditRecord {
  actor: string;
  actor_user_id: number | null;
  actor_key_id: number | null;
  ip: string | null;
  reseller_id: number | null;
  customer_id: number | null;
  action: string;
  object_type: string;
  object_id: string;
  before: unknown;
  after: unknown;
}

export async function insertAudit(db: Db, record: AuditRecord) {
  await db
    .insertInto('audit_log')
    .values({
      ...record,
      before: record.before === null ? null : JSON.stringify(record.before),
      after: record.after === null ? null : JSON.stringify(record.after),
    })
    .execute();
}

export async function listAudit(db: Db, scope: Scope, page: Page): Promise<Paged<AuditEntry>> {
  const base = db
    .selectFrom('audit_log')
    .$if(scope.resellerId !== null, (qb) => qb.where('reseller_id', '=', scope.resellerId!))
    .$if(scope.customerId !== null, (qb) => qb.where('customer_id', '=', scope.customerId!));
  const [items, total] = await Promise.all([
    base.selectAll().orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items, total: total.n };
}
