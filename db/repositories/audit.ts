import type { Db } from '../database.js';
import type { Page, Paged, Scope } from './scope.js';
import type { AuditEntry, AuditLogTable } from '../schema.js';

/** One entry as written: every column but the id and the time, which the database sets. */
export type AuditRecord = Omit<AuditLogTable, 'id' | 'at'>;

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
