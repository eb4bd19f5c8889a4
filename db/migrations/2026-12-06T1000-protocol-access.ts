import { type Kysely, sql } from 'kysely';

// Who may send, receive and log in: besides IMAP and POP3, SMTP submission (sending with the
// mailbox's credentials) and ManageSieve per mailbox; and three suspensions apart from `active`
// (which still stops everything): login (no protocol signs in; mail still arrives), incoming (mail to
// it is refused at RCPT; its owner still reads and sends), outgoing (no submission; reading and
// receiving go on) - e.g. a hijacked mailbox that must stop sending.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE mailboxes
      ADD COLUMN smtp_enabled boolean NOT NULL DEFAULT true,
      ADD COLUMN sieve_enabled boolean NOT NULL DEFAULT true,
      ADD COLUMN suspend_login boolean NOT NULL DEFAULT false,
      ADD COLUMN suspend_incoming boolean NOT NULL DEFAULT false,
      ADD COLUMN suspend_outgoing boolean NOT NULL DEFAULT false`.execute(db);
  // Dovecot's passdb reads imap/pop3/smtp/sieve by the service name; Postfix's recipient map reads
  // `incoming`. New columns go last (CREATE OR REPLACE VIEW keeps the existing ones).
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
           (m.active AND d.active AND c.active AND r.active AND NOT m.suspend_incoming) AS incoming
      FROM mailboxes m
      JOIN domains d ON d.id = m.domain_id
      JOIN customers c ON c.id = d.customer_id
      JOIN resellers r ON r.id = c.reseller_id
      LEFT JOIN plans p ON p.id = c.plan_id`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP VIEW mail_accounts`.execute(db);
  await sql`
    CREATE VIEW mail_accounts AS
    SELECT m.address, m.password_hash AS password, m.quota_bytes, m.maildir, m.node,
           (m.active AND d.active AND c.active AND r.active) AS enabled,
           (m.active AND d.active AND c.active AND r.active AND m.imap_enabled) AS imap,
           (m.active AND d.active AND c.active AND r.active AND m.pop3_enabled) AS pop3,
           m.quota_bytes * COALESCE(p.trash_room_percent, 10) / 100 AS trash_room_bytes,
           CASE WHEN COALESCE(p.junk_room, false) THEN m.quota_bytes * COALESCE(p.trash_room_percent, 10) / 100 ELSE 0 END AS junk_room_bytes
      FROM mailboxes m
      JOIN domains d ON d.id = m.domain_id
      JOIN customers c ON c.id = d.customer_id
      JOIN resellers r ON r.id = c.reseller_id
      LEFT JOIN plans p ON p.id = c.plan_id`.execute(db);
  await sql`GRANT SELECT ON mail_accounts TO mailpanel_mail`.execute(db).catch(() => undefined);
  await sql`
    ALTER TABLE mailboxes
      DROP COLUMN smtp_enabled, DROP COLUMN sieve_enabled,
      DROP COLUMN suspend_login, DROP COLUMN suspend_incoming, DROP COLUMN suspend_outgoing`.execute(db);
}
