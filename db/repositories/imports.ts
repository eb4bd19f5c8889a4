// Queries on mailbox_imports (plain functions taking db, like db/repositories).
import { sql } from 'kysely';
import type { Db } from '../database.js';
import { escapeLike, inScope, type Scope } from './scope.js';
import type { GeneratedPassword, ImportRowData, ImportStatus, ReportEntry } from '../tables/imports.js';

export interface Counts {
  done: number;
  created: number;
  failed: number;
}

function scoped(db: Db, scope: Scope) {
  return db
    .selectFrom('mailbox_imports as i')
    .innerJoin('domains as d', 'd.id', 'i.domain_id')
    .innerJoin('customers as c', 'c.id', 'd.customer_id')
    .where(inScope(scope));
}

// Never the rows (passwords) nor the generated passwords themselves: pages only need to know they exist.
const summary = [
  'i.id',
  'i.domain_id',
  'd.name as domain',
  'd.customer_id',
  'c.reseller_id',
  'i.created_by',
  'i.status',
  'i.total',
  'i.done',
  'i.created',
  'i.failed',
  'i.error',
  'i.created_at',
  'i.finished_at',
] as const;

export async function insertImport(
  db: Db,
  values: { domainId: number; createdBy: number | null; total: number; report: ReportEntry[]; rows: ImportRowData[]; counts: Counts },
) {
  const row = await db
    .insertInto('mailbox_imports')
    .values({
      domain_id: values.domainId,
      created_by: values.createdBy,
      total: values.total,
      ...values.counts,
      report: JSON.stringify(values.report),
      rows: JSON.stringify(values.rows),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export function getImport(db: Db, scope: Scope, id: number) {
  return scoped(db, scope)
    .where('i.id', '=', id)
    .select([...summary])
    .select(sql<boolean>`i.generated_passwords IS NOT NULL`.as('has_passwords'))
    .executeTakeFirst();
}
export type ImportSummary = NonNullable<Awaited<ReturnType<typeof getImport>>>;

export function getReport(db: Db, id: number) {
  return db.selectFrom('mailbox_imports').select('report').where('id', '=', id).executeTakeFirstOrThrow();
}

export function recentImports(db: Db, domainId: number, limit = 10) {
  return db
    .selectFrom('mailbox_imports as i')
    .innerJoin('domains as d', 'd.id', 'i.domain_id')
    .innerJoin('customers as c', 'c.id', 'd.customer_id')
    .select([...summary])
    .where('i.domain_id', '=', domainId)
    .orderBy('i.id', 'desc')
    .limit(limit)
    .execute();
}

/** Everything the job needs, passwords included; only the job calls this. */
export function loadForJob(db: Db, id: number) {
  return db
    .selectFrom('mailbox_imports as i')
    .innerJoin('domains as d', 'd.id', 'i.domain_id')
    .select(['i.id', 'i.domain_id', 'd.name as domain', 'd.customer_id', 'i.created_by', 'i.status', 'i.total', 'i.report', 'i.rows', 'i.created_at'])
    .where('i.id', '=', id)
    .executeTakeFirst();
}

/**
 * Marks the import running unless another import of the same customer is: one running import per
 * customer, so one customer's large file cannot hold up everyone else's (imports of different
 * customers run side by side). False means "not now"; the caller waits and tries again.
 */
export async function claimRun(db: Db, id: number, customerId: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.selectFrom('customers').select('id').where('id', '=', customerId).forUpdate().execute();
    const other = await trx
      .selectFrom('mailbox_imports as i')
      .innerJoin('domains as d', 'd.id', 'i.domain_id')
      .select('i.id')
      .where('d.customer_id', '=', customerId)
      .where('i.status', '=', 'running')
      .where('i.id', '!=', id)
      .executeTakeFirst();
    if (other) return false;
    await trx.updateTable('mailbox_imports').set({ status: 'running' }).where('id', '=', id).where('status', 'in', ['queued', 'running']).execute();
    return true;
  });
}

export async function saveProgress(db: Db, id: number, counts: Counts) {
  await db.updateTable('mailbox_imports').set(counts).where('id', '=', id).where('status', '=', 'running').execute();
}

/**
 * Ends an import in one statement: final counts and report, the rows (with their passwords) wiped,
 * the generated passwords of created mailboxes kept for their single download. An import already
 * ended stays as it was.
 */
export async function finishImport(
  db: Db,
  id: number,
  end: { status: Extract<ImportStatus, 'done' | 'failed'>; counts?: Counts; report?: ReportEntry[]; generated?: GeneratedPassword[]; error?: string },
) {
  const result = await db
    .updateTable('mailbox_imports')
    .set({
      status: end.status,
      ...end.counts,
      ...(end.report && { report: JSON.stringify(end.report) }),
      rows: sql<string>`NULL`,
      generated_passwords: end.generated?.length ? JSON.stringify(end.generated) : sql<string>`NULL`,
      error: end.error ?? null,
      finished_at: new Date(),
    })
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Hands out the generated passwords once: read and wiped in one statement, so two downloads at the
 * same moment cannot both get them.
 */
export async function takeGeneratedPasswords(db: Db, id: number): Promise<GeneratedPassword[] | null> {
  // The subquery's row lock makes a concurrent second download wait, then find nothing left.
  const { rows } = await sql<{ passwords: GeneratedPassword[] }>`
    UPDATE mailbox_imports i SET generated_passwords = NULL
    FROM (SELECT id, generated_passwords FROM mailbox_imports WHERE id = ${id} FOR UPDATE) old
    WHERE i.id = old.id AND old.generated_passwords IS NOT NULL
    RETURNING old.generated_passwords AS passwords`.execute(db);
  const row = rows[0];
  return row?.passwords ?? null;
}

/**
 * The addresses this import's job already created, read from the audit entries createMailbox writes
 * in the same transaction as the mailbox: after a crash, exactly these are done. The entries are
 * signed with the import (see importActorSuffix), by the user it acts for.
 */
export async function addressesCreatedBy(db: Db, actorSuffix: string, userId: number, customerId: number, since: Date): Promise<Set<string>> {
  const rows = await db
    .selectFrom('audit_log')
    .select('object_id')
    .where('customer_id', '=', customerId)
    .where('at', '>=', since)
    .where('action', '=', 'mailbox.create')
    .where('actor_user_id', '=', userId)
    .where('actor', 'like', `%${escapeLike(actorSuffix)}`)
    .execute();
  return new Set(rows.map((r) => r.object_id));
}

/** Imports that did not finish within a day (their job was lost): failed, their rows (passwords) dropped. */
export async function failStuckImports(db: Db): Promise<number> {
  const res = await db
    .updateTable('mailbox_imports')
    .set({ status: 'failed', rows: sql`NULL`, error: 'The import did not finish within a day and was stopped.', finished_at: new Date() })
    .where('status', 'in', ['queued', 'running'])
    .where(sql<boolean>`created_at < now() - interval '1 day'`)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Generated passwords nobody downloaded within a week are forgotten. */
export async function forgetGeneratedPasswords(db: Db): Promise<number> {
  const res = await db
    .updateTable('mailbox_imports')
    .set({ generated_passwords: sql`NULL` })
    .where('generated_passwords', 'is not', null)
    .where(sql<boolean>`coalesce(finished_at, created_at) < now() - interval '7 days'`)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}
