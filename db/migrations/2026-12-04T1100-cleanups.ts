import { type Kysely, sql } from 'kysely';

// Cleanups of a mailbox's mail: a preview (what would go), then the confirmed run on the mailbox's
// node. The preview keeps the exact messages it counted (an IMAP UID set and the folder's UIDVALIDITY),
// so the run deletes those and no others, even if more mail has arrived meanwhile.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('cleanups')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('mailbox_id', 'bigint', (c) => c.notNull().references('mailboxes.id').onDelete('cascade'))
    .addColumn('folder', 'text', (c) => c.notNull())
    .addColumn('older_than_days', 'integer')
    .addColumn('uid_set', 'text')
    .addColumn('uidvalidity', 'bigint')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('preview', 'queued', 'running', 'done', 'failed')`))
    .addColumn('preview_messages', 'integer', (c) => c.notNull())
    .addColumn('preview_bytes', 'bigint', (c) => c.notNull())
    .addColumn('messages', 'integer')
    .addColumn('bytes', 'bigint')
    .addColumn('error', 'text')
    .addColumn('requested_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('cleanups_mailbox_idx').on('cleanups').columns(['mailbox_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('cleanups').execute();
}
