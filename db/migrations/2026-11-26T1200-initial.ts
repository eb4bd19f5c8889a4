import { type Kysely, sql } from 'kysely';

// Tenancy: operator > resellers > customers > domains > mailboxes.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);

  await db.schema
    .createTable('resellers')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('contact_email', 'text')
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('plans')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('reseller_id', 'bigint', (c) => c.notNull().references('resellers.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('default_quota_bytes', 'bigint', (c) => c.notNull().defaultTo(524288000).check(sql`default_quota_bytes > 0`))
    .addColumn('max_quota_bytes', 'bigint', (c) => c.check(sql`max_quota_bytes > 0`))
    .addColumn('max_mailboxes', 'integer', (c) => c.check(sql`max_mailboxes >= 0`))
    .addColumn('max_storage_bytes', 'bigint', (c) => c.check(sql`max_storage_bytes > 0`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('plans_reseller_name_key', ['reseller_id', 'name'])
    .execute();

  await db.schema
    .createTable('customers')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('reseller_id', 'bigint', (c) => c.notNull().references('resellers.id').onDelete('cascade'))
    .addColumn('plan_id', 'bigint', (c) => c.references('plans.id').onDelete('restrict'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('contact_email', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull().defaultTo('en'))
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('customers_reseller_idx').on('customers').columns(['reseller_id', 'name']).execute();

  await db.schema
    .createTable('domains')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('customer_id', 'bigint', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull().unique().check(sql`name = lower(name)`))
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('domains_customer_idx').on('domains').columns(['customer_id', 'name']).execute();

  await db.schema
    .createTable('mailboxes')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('domain_id', 'bigint', (c) => c.notNull().references('domains.id').onDelete('cascade'))
    .addColumn('local_part', 'text', (c) => c.notNull().check(sql`local_part = lower(local_part)`))
    .addColumn('address', 'text', (c) => c.notNull().unique().check(sql`address = lower(address)`))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('quota_bytes', 'bigint', (c) => c.notNull().check(sql`quota_bytes > 0`))
    .addColumn('imap_enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('pop3_enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('maildir', 'text', (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull().defaultTo('local'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('mailboxes_domain_local_key', ['domain_id', 'local_part'])
    .execute();
  // Substring search within a domain of 10,000+ mailboxes.
  await sql`CREATE INDEX mailboxes_local_part_trgm ON mailboxes USING gin (local_part gin_trgm_ops)`.execute(db);

  // Written by the scanner; one row per mailbox, absent until measured.
  await db.schema
    .createTable('mailbox_usage')
    .addColumn('mailbox_id', 'bigint', (c) => c.primaryKey().references('mailboxes.id').onDelete('cascade'))
    .addColumn('used_bytes', 'bigint', (c) => c.notNull())
    .addColumn('messages', 'bigint', (c) => c.notNull())
    .addColumn('scanned_at', 'timestamptz', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull().defaultTo('ok'))
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique().check(sql`email = lower(email)`))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role IN ('operator', 'reseller', 'customer')`))
    .addColumn('reseller_id', 'bigint', (c) => c.references('resellers.id').onDelete('cascade'))
    .addColumn('customer_id', 'bigint', (c) => c.references('customers.id').onDelete('cascade'))
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_login_at', 'timestamptz')
    .addCheckConstraint(
      'users_role_scope',
      sql`(role = 'operator' AND reseller_id IS NULL AND customer_id IS NULL)
       OR (role = 'reseller' AND reseller_id IS NOT NULL AND customer_id IS NULL)
       OR (role = 'customer' AND reseller_id IS NOT NULL AND customer_id IS NOT NULL)`,
    )
    .execute();

  // Only a hash of the session token is stored, so a database leak yields no live sessions.
  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('acting_customer_id', 'bigint', (c) => c.references('customers.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('sessions_user_idx').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('prefix', 'text', (c) => c.notNull().unique())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('reseller_id', 'bigint', (c) => c.references('resellers.id').onDelete('cascade'))
    .addColumn('customer_id', 'bigint', (c) => c.references('customers.id').onDelete('cascade'))
    .addColumn('domain_id', 'bigint', (c) => c.references('domains.id').onDelete('cascade'))
    .addColumn('read_only', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('expires_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('actor_user_id', 'bigint')
    .addColumn('actor_key_id', 'bigint')
    .addColumn('ip', 'text')
    .addColumn('reseller_id', 'bigint')
    .addColumn('customer_id', 'bigint')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('object_type', 'text', (c) => c.notNull())
    .addColumn('object_id', 'text', (c) => c.notNull())
    .addColumn('before', 'jsonb')
    .addColumn('after', 'jsonb')
    .execute();
  await db.schema.createIndex('audit_log_reseller_idx').on('audit_log').columns(['reseller_id', 'id']).execute();
  await db.schema.createIndex('audit_log_customer_idx').on('audit_log').columns(['customer_id', 'id']).execute();

  await db.schema
    .createTable('setup_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();

  // The contract with Dovecot and Postfix: they read these views, never the tables.
  // "enabled" folds in every level above the mailbox, so suspending a customer locks all its mailboxes.
  await sql`
    CREATE VIEW mail_accounts AS
    SELECT m.address, m.password_hash AS password, m.quota_bytes, m.maildir, m.node,
           (m.active AND d.active AND c.active AND r.active) AS enabled,
           (m.active AND d.active AND c.active AND r.active AND m.imap_enabled) AS imap,
           (m.active AND d.active AND c.active AND r.active AND m.pop3_enabled) AS pop3
      FROM mailboxes m
      JOIN domains d ON d.id = m.domain_id
      JOIN customers c ON c.id = d.customer_id
      JOIN resellers r ON r.id = c.reseller_id`.execute(db);
  await sql`
    CREATE VIEW mail_domains AS
    SELECT d.name
      FROM domains d
      JOIN customers c ON c.id = d.customer_id
      JOIN resellers r ON r.id = c.reseller_id
     WHERE d.active AND c.active AND r.active`.execute(db);
  // Anything that changes what the policy service must answer is announced; listeners reload that address.
  await sql`
    CREATE FUNCTION mailpanel_notify_mailbox() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE addr text;
    BEGIN
      IF TG_TABLE_NAME = 'mailboxes' THEN
        addr := CASE WHEN TG_OP = 'DELETE' THEN OLD.address ELSE NEW.address END;
      ELSE
        SELECT address INTO addr FROM mailboxes WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.mailbox_id ELSE NEW.mailbox_id END;
      END IF;
      IF addr IS NOT NULL THEN PERFORM pg_notify('mailpanel_mailbox', addr); END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`CREATE TRIGGER mailboxes_notify AFTER INSERT OR UPDATE OR DELETE ON mailboxes FOR EACH ROW EXECUTE FUNCTION mailpanel_notify_mailbox()`.execute(db);
  await sql`CREATE TRIGGER mailbox_usage_notify AFTER INSERT OR UPDATE ON mailbox_usage FOR EACH ROW EXECUTE FUNCTION mailpanel_notify_mailbox()`.execute(db);

  // A read-only login role for the mail servers; creating roles needs CREATEROLE, so skip quietly without it.
  await sql`
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mailpanel_mail') THEN
        CREATE ROLE mailpanel_mail LOGIN;
      END IF;
      GRANT SELECT ON mail_accounts, mail_domains TO mailpanel_mail;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'mailpanel_mail role not created: %', SQLERRM;
    END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP VIEW IF EXISTS mail_domains, mail_accounts`.execute(db);
  await sql`DROP FUNCTION IF EXISTS mailpanel_notify_mailbox() CASCADE`.execute(db);
  for (const t of ['setup_tokens', 'audit_log', 'api_keys', 'sessions', 'users', 'mailbox_usage', 'mailboxes', 'domains', 'customers', 'plans', 'resellers']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
