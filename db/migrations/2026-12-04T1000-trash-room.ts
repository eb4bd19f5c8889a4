import { type Kysely, sql } from 'kysely';

// Room to delete: a full mailbox must still let its owner move mail to Trash (a COPY there needs room
// until the original is expunged). Per plan, saving into Trash (and, if chosen, Junk) may go this share
// of the quota over it; Dovecot enforces it from the userdb (quota_rule2/3, dovecot-sql.conf.ext).
// Without a plan: 10 % for Trash, nothing for Junk.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE plans ADD COLUMN trash_room_percent integer NOT NULL DEFAULT 10 CHECK (trash_room_percent BETWEEN 0 AND 100)`.execute(db);
  await sql`ALTER TABLE plans ADD COLUMN junk_room boolean NOT NULL DEFAULT false`.execute(db);
  // New columns go last: CREATE OR REPLACE VIEW keeps the existing ones as they are.
  await sql`
    CREATE OR REPLACE VIEW mail_accounts AS
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
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP VIEW mail_accounts`.execute(db);
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
  await sql`GRANT SELECT ON mail_accounts TO mailpanel_mail`.execute(db).catch(() => undefined);
  await sql`ALTER TABLE plans DROP COLUMN junk_room, DROP COLUMN trash_room_percent`.execute(db);
}
