import { type Kysely, sql } from 'kysely';

// A deleted mailbox leaves `mailboxes` at once (Dovecot and Postfix no longer know it: no login, no
// mail) and waits here, restorable, until its plan's retention ends; its node's worker moves the
// Maildir out of the live tree (`state` follows the files: moving → kept → restoring/purging).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('plans')
    .addColumn('deleted_retention_days', 'integer', (c) => c.notNull().defaultTo(30).check(sql`deleted_retention_days BETWEEN 0 AND 3650`))
    .execute();
  await db.schema
    .createTable('deleted_mailboxes')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('customer_id', 'bigint', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('domain_name', 'text', (c) => c.notNull())
    .addColumn('local_part', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('quota_bytes', 'bigint', (c) => c.notNull())
    .addColumn('imap_enabled', 'boolean', (c) => c.notNull())
    .addColumn('pop3_enabled', 'boolean', (c) => c.notNull())
    .addColumn('active', 'boolean', (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('maildir', 'text', (c) => c.notNull())
    .addColumn('used_bytes', 'bigint')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('deleted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('purge_after', 'timestamptz', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('moving').check(sql`state IN ('moving', 'kept', 'restoring', 'purging')`))
    .execute();
  await sql`CREATE INDEX deleted_mailboxes_domain_idx ON deleted_mailboxes (customer_id, domain_name, deleted_at DESC)`.execute(db);
  await sql`CREATE INDEX deleted_mailboxes_purge_idx ON deleted_mailboxes (purge_after) WHERE state = 'kept'`.execute(db);
  // A maildir path is used by one incarnation of an address only: a re-created address gets a new one.
  // Creating a mailbox asks whether its address was ever deleted (then it gets a fresh maildir path).
  await sql`CREATE INDEX audit_log_deleted_mailbox_idx ON audit_log (object_id) WHERE action = 'mailbox.delete'`.execute(db);
  await sql`CREATE UNIQUE INDEX deleted_mailboxes_maildir_key ON deleted_mailboxes (node, maildir)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('deleted_mailboxes').ifExists().execute();
  await sql`DROP INDEX IF EXISTS audit_log_deleted_mailbox_idx`.execute(db);
  await db.schema.alterTable('plans').dropColumn('deleted_retention_days').execute();
}
