import { type Kysely, sql } from 'kysely';

// What the usage scanner keeps: its incremental state per mailbox, and samples for history.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('mailbox_usage')
    .addColumn('scan_state', 'jsonb')
    .addColumn('full_scanned_at', 'timestamptz')
    .addColumn('level_changed_at', 'timestamptz')
    .execute();
  await sql`ALTER TABLE mailbox_usage ADD CONSTRAINT mailbox_usage_level_check CHECK (level IN ('ok', '80', '90', '95', 'full'))`.execute(db);

  await db.schema
    .createTable('usage_samples')
    .addColumn('mailbox_id', 'bigint', (c) => c.notNull().references('mailboxes.id').onDelete('cascade'))
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_bytes', 'bigint', (c) => c.notNull())
    .addColumn('messages', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('usage_samples_pkey', ['mailbox_id', 'at'])
    .execute();
  await db.schema.createIndex('usage_samples_at_idx').on('usage_samples').column('at').execute();
  await db.schema.createIndex('mailboxes_node_idx').on('mailboxes').columns(['node', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('usage_samples').execute();
  await sql`ALTER TABLE mailbox_usage DROP CONSTRAINT mailbox_usage_level_check`.execute(db);
  await db.schema.alterTable('mailbox_usage').dropColumn('scan_state').dropColumn('full_scanned_at').dropColumn('level_changed_at').execute();
  await db.schema.dropIndex('mailboxes_node_idx').execute();
}
