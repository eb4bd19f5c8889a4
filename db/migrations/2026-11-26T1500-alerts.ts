import { type Kysely, sql } from 'kysely';

// Quota warnings: per-plan settings, one row per alert (unique per crossing), one per recipient.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('plans')
    .addColumn('warn_percents', sql`integer[]`, (c) => c.notNull().defaultTo(sql`'{80,90,95}'`))
    .addColumn('warn_min_free_bytes', 'bigint')
    .addColumn('alert_recipients', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{mailbox,contact}'`))
    .addColumn('reminder_days', 'integer', (c) => c.notNull().defaultTo(3))
    // {"en": {"subject": "...", "text": "..."}, "de": {...}}: a reseller's own wording, optional.
    .addColumn('alert_texts', 'jsonb')
    .execute();

  // Where each mailbox stands: which crossing ("episode") it is in and what was sent in it.
  await db.schema
    .createTable('alert_state')
    .addColumn('mailbox_id', 'bigint', (c) => c.primaryKey().references('mailboxes.id').onDelete('cascade'))
    .addColumn('episode', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('warned', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('last_alert_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('mailbox_id', 'bigint', (c) => c.notNull().references('mailboxes.id').onDelete('cascade'))
    .addColumn('episode', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('warning', 'full', 'reminder', 'recovered')`))
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('used_bytes', 'bigint', (c) => c.notNull())
    .addColumn('quota_bytes', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    // The same warning of the same crossing can exist once, whoever tries to create it again.
    .addUniqueConstraint('alerts_once_per_crossing', ['mailbox_id', 'episode', 'kind', 'level'])
    .execute();
  await db.schema.createIndex('alerts_mailbox_idx').on('alerts').columns(['mailbox_id', 'id']).execute();

  await db.schema
    .createTable('alert_deliveries')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('alert_id', 'bigint', (c) => c.notNull().references('alerts.id').onDelete('cascade'))
    .addColumn('recipient', 'text', (c) => c.notNull().check(sql`recipient IN ('mailbox', 'contact', 'reseller')`))
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status IN ('pending', 'sending', 'sent', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('sending_at', 'timestamptz')
    .addColumn('sent_at', 'timestamptz')
    .addUniqueConstraint('alert_deliveries_once', ['alert_id', 'recipient'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('alert_deliveries').execute();
  await db.schema.dropTable('alerts').execute();
  await db.schema.dropTable('alert_state').execute();
  await db.schema
    .alterTable('plans')
    .dropColumn('warn_percents')
    .dropColumn('warn_min_free_bytes')
    .dropColumn('alert_recipients')
    .dropColumn('reminder_days')
    .dropColumn('alert_texts')
    .execute();
}
