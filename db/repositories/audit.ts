import { sql } from 'kysely';
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

/** Tables whose audit entries name their object by id (API keys by their prefix): the log shows the name instead. */
const NAMED = [
  { type: 'api_key', table: 'api_keys', by: 'prefix', valid: /^[0-9a-f]{6,32}$/ },
  { type: 'customer', table: 'customers', by: 'id', valid: /^\d{1,15}$/ },
  { type: 'plan', table: 'plans', by: 'id', valid: /^\d{1,15}$/ },
  { type: 'reseller', table: 'resellers', by: 'id', valid: /^\d{1,15}$/ },
] as const;

/** Names of the objects of these entries that are stored by id, keyed "type:objectId" (deleted ones are missing). */
export async function objectNames(db: Db, entries: readonly Pick<AuditEntry, 'object_type' | 'object_id'>[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  await Promise.all(
    NAMED.map(async ({ type, table, by, valid }) => {
      const ids = [...new Set(entries.filter((e) => e.object_type === type && valid.test(e.object_id)).map((e) => e.object_id))];
      if (ids.length === 0) return;
      const rows = await db
        .selectFrom(table)
        .select([sql<string>`${sql.ref(by)}::text`.as('key'), 'name'])
        .where(sql.ref(by), 'in', by === 'id' ? ids.map(Number) : ids)
        .execute();
      for (const r of rows) names.set(`${type}:${r.key}`, r.name);
    }),
  );
  return names;
}
