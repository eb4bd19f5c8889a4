import { type Kysely, sql } from 'kysely';

// The mailbox owner's own sign-in (address and mailbox password): sessions of their own, apart from
// staff sessions, each bound to one mailbox and ended when its password changes or it is suspended.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('mailbox_sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('mailbox_id', 'bigint', (c) => c.notNull().references('mailboxes.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('mailbox_sessions_mailbox_idx').on('mailbox_sessions').column('mailbox_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('mailbox_sessions').execute();
}
