import { type Kysely, sql } from 'kysely';

// Dovecot's change feed. Its quota_clone plugin copies the user's quota usage (the figure Dovecot
// itself enforces) through the dict service into dovecot_quota after every delivery, expunge,
// copy and recount; the trigger stamps the row and announces the user, and the central worker
// applies it to mailbox_usage like a scan result. The mail servers' role may write only this table.
//
// mailbox_usage keeps, beside the current figure (whichever measurement is newest), what the last
// scan found on the disk and how far Dovecot's own count was from it (drift).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE dovecot_quota (
      username text PRIMARY KEY,
      bytes bigint NOT NULL DEFAULT 0,
      messages bigint NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )`.execute(db);
  // Stamped here, not by Dovecot: measurements are ordered by the database's clock (scans take theirs from it too).
  await sql`
    CREATE FUNCTION mailpanel_dovecot_quota_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.updated_at := clock_timestamp();
      IF TG_OP = 'UPDATE' AND NEW.bytes = OLD.bytes AND NEW.messages = OLD.messages THEN
        RETURN NEW;
      END IF;
      PERFORM pg_notify('mailpanel_usage_feed', NEW.username);
      RETURN NEW;
    END $$`.execute(db);
  await sql`CREATE TRIGGER dovecot_quota_stamp BEFORE INSERT OR UPDATE ON dovecot_quota FOR EACH ROW EXECUTE FUNCTION mailpanel_dovecot_quota_stamp()`.execute(
    db,
  );

  await db.schema
    .alterTable('mailbox_usage')
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('scan').check(sql`source IN ('scan', 'dovecot')`))
    .addColumn('disk_bytes', 'bigint')
    .addColumn('disk_messages', 'bigint')
    .addColumn('disk_at', 'timestamptz')
    .addColumn('drift_bytes', 'bigint')
    .addColumn('drift_at', 'timestamptz')
    .execute();
  // The policy service needs to hear of a new figure or level only, not of a verification's timestamps.
  await sql`DROP TRIGGER mailbox_usage_notify ON mailbox_usage`.execute(db);
  await sql`CREATE TRIGGER mailbox_usage_notify AFTER INSERT OR UPDATE OF used_bytes, level ON mailbox_usage FOR EACH ROW EXECUTE FUNCTION mailpanel_notify_mailbox()`.execute(
    db,
  );
  await sql`UPDATE mailbox_usage SET disk_bytes = used_bytes, disk_messages = messages, disk_at = scanned_at`.execute(db);
  await sql`CREATE INDEX mailbox_usage_drift_idx ON mailbox_usage (drift_at) WHERE drift_bytes IS NOT NULL`.execute(db);

  await sql`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mailpanel_mail') THEN
        GRANT SELECT, INSERT, UPDATE ON dovecot_quota TO mailpanel_mail;
      END IF;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'dovecot_quota not granted to mailpanel_mail: %', SQLERRM;
    END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER mailbox_usage_notify ON mailbox_usage`.execute(db);
  await sql`CREATE TRIGGER mailbox_usage_notify AFTER INSERT OR UPDATE ON mailbox_usage FOR EACH ROW EXECUTE FUNCTION mailpanel_notify_mailbox()`.execute(db);
  await sql`DROP TABLE IF EXISTS dovecot_quota`.execute(db);
  await sql`DROP FUNCTION IF EXISTS mailpanel_dovecot_quota_stamp()`.execute(db);
  await db.schema
    .alterTable('mailbox_usage')
    .dropColumn('source')
    .dropColumn('disk_bytes')
    .dropColumn('disk_messages')
    .dropColumn('disk_at')
    .dropColumn('drift_bytes')
    .dropColumn('drift_at')
    .execute();
}
