import { type Kysely, sql } from 'kysely';

// CSV imports of mailboxes: one row per upload, worked through by the 'import-mailboxes' job.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('mailbox_imports')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('domain_id', 'bigint', (c) => c.notNull().references('domains.id').onDelete('cascade'))
    // The job acts with this user's rights; a deleted user leaves the record, and a job that can no longer run.
    .addColumn('created_by', 'bigint', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued').check(sql`status IN ('queued', 'running', 'done', 'failed')`))
    .addColumn('total', 'integer', (c) => c.notNull().check(sql`total >= 0`))
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed', 'integer', (c) => c.notNull().defaultTo(0))
    // [{line, address, status, field?, message?}]: kept after the import.
    .addColumn('report', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    // The mailboxes to create, passwords included: set to NULL as soon as the job ends.
    .addColumn('rows', 'jsonb')
    // [{address, password}] the import made up: set to NULL when downloaded (once).
    .addColumn('generated_passwords', 'jsonb')
    .addColumn('error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    // Passwords may only sit here while the import is unfinished.
    .addCheckConstraint('mailbox_imports_rows_wiped', sql`rows IS NULL OR status IN ('queued', 'running')`)
    .execute();
  await db.schema.createIndex('mailbox_imports_domain_idx').on('mailbox_imports').columns(['domain_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('mailbox_imports').execute();
}
