import { type Kysely, sql } from 'kysely';

// App passwords: several per mailbox, each named, allowed for some protocols, optionally until a
// date and from some client networks; argon2id like the main password, which may then be kept off
// protocols (main_password_protocols). The secret carries its row's id in its first 8 characters,
// so Dovecot checks exactly one hash per attempt (dovecot-sql-app.conf.ext).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE mailboxes ADD COLUMN main_password_protocols text[] NOT NULL DEFAULT '{imap,pop3,smtp,sieve}'`.execute(db);
  await sql`
    CREATE TABLE app_passwords (
      id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]{8}$'),
      mailbox_id bigint NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
      name text NOT NULL,
      password_hash text NOT NULL,
      protocols text[] NOT NULL,
      expires_at timestamptz,
      allow_nets text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX app_passwords_mailbox_idx ON app_passwords (mailbox_id)`.execute(db);
  // New columns go last (CREATE OR REPLACE VIEW keeps the existing ones).
  await sql`
    CREATE OR REPLACE VIEW mail_accounts AS
    SELECT m.address, m.password_hash AS password, m.quota_bytes, m.maildir, m.node,
           (m.active AND d.active AND c.active AND r.active) AS enabled,
           (m.active AND d.active AND c.active AND r.active AND NOT m.suspend_login AND m.imap_enabled) AS imap,
           (m.active AND d.active AND c.active AND r.active AND NOT m.suspend_login AND m.pop3_enabled) AS pop3,
           m.quota_bytes * COALESCE(p.trash_room_percent, 10) / 100 AS trash_room_bytes,
           CASE WHEN COALESCE(p.junk_room, false) THEN m.quota_bytes * COALESCE(p.trash_room_percent, 10) / 100 ELSE 0 END AS junk_room_bytes,
           (m.active AND d.active AND c.active AND r.active AND NOT m.suspend_login AND NOT m.suspend_outgoing AND m.smtp_enabled) AS smtp,
           (m.active AND d.active AND c.active AND r.active AND NOT m.suspend_login AND m.sieve_enabled) AS sieve,
           (m.active AND d.active AND c.active AND r.active AND NOT m.suspend_incoming) AS incoming,
           m.main_password_protocols
      FROM mailboxes m
      JOIN domains d ON d.id = m.domain_id
      JOIN customers c ON c.id = d.customer_id
      JOIN resellers r ON r.id = c.reseller_id
      LEFT JOIN plans p ON p.id = c.plan_id`.execute(db);
  // What Dovecot reads of app passwords: only live ones, with their mailbox's address.
  await sql`
    CREATE VIEW mail_app_passwords AS
    SELECT a.id, m.address, a.password_hash AS password, a.protocols, a.allow_nets
      FROM app_passwords a
      JOIN mailboxes m ON m.id = a.mailbox_id
     WHERE a.expires_at IS NULL OR a.expires_at > now()`.execute(db);
  await sql`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mailpanel_mail') THEN
        GRANT SELECT ON mail_app_passwords TO mailpanel_mail;
      END IF;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'mail_app_passwords not granted to mailpanel_mail: %', SQLERRM;
    END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP VIEW mail_app_passwords`.execute(db);
  await sql`DROP TABLE app_passwords`.execute(db);
  await sql`DROP VIEW mail_accounts`.execute(db);
  await sql`
    CREATE VIEW mail_accounts AS
    SELECT m.address, m.password_hash AS password, m.quota_bytes, m.maildir, m.node,
           (m.active AND d.active AND c.active AND r.active) AS enabled,
           (m.active AND d.active AND c.active AND r.active AND NOT m.suspend_login AND m.imap_enabled) AS imap,
           (m.active AND d.active AND c.active AND r.active AND NOT m.suspend_login AND m.pop3_enabled) AS pop3,
           m.quota_bytes * COALESCE(p.trash_room_percent, 10) / 100 AS trash_room_bytes,
           CASE WHEN COALESCE(p.junk_room, false) THEN m.quota_bytes * COALESCE(p.trash_room_percent, 10) / 100 ELSE 0 END AS junk_room_bytes,
           (m.active AND d.active AND c.active AND r.active AND NOT m.suspend_login AND NOT m.suspend_outgoing AND m.smtp_enabled) AS smtp,
           (m.active AND d.active AND c.active AND r.active AND NOT m.suspend_login AND m.sieve_enabled) AS sieve,
           (m.active AND d.active AND c.active AND r.active AND NOT m.suspend_incoming) AS incoming
      FROM mailboxes m
      JOIN domains d ON d.id = m.domain_id
      JOIN customers c ON c.id = d.customer_id
      JOIN resellers r ON r.id = c.reseller_id
      LEFT JOIN plans p ON p.id = c.plan_id`.execute(db);
  await sql`GRANT SELECT ON mail_accounts TO mailpanel_mail`.execute(db).catch(() => undefined);
  await sql`ALTER TABLE mailboxes DROP COLUMN main_password_protocols`.execute(db);
}
