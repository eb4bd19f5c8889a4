import { type Kysely, sql } from 'kysely';

// When and from where each mailbox last signed in, per protocol: written by Dovecot itself (its
// last_login plugin through the dict, deploy/dovecot/dovecot-dict-sql.conf.ext), one upsert per
// login. The dict writes seconds since the epoch as a bare number and upserts on every key field
// (address, protocol, ip), so the table keys on all three and a trigger keeps the latest ip only.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE mailbox_last_logins (
      address text NOT NULL,
      protocol text NOT NULL,
      ip text NOT NULL,
      at_epoch bigint NOT NULL,
      at timestamptz GENERATED ALWAYS AS (to_timestamp(at_epoch)) STORED,
      PRIMARY KEY (address, protocol, ip)
    )`.execute(db);
  await sql`
    CREATE FUNCTION mailbox_last_logins_one_ip() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM mailbox_last_logins WHERE address = NEW.address AND protocol = NEW.protocol AND ip <> NEW.ip;
      RETURN NEW;
    END $$`.execute(db);
  await sql`CREATE TRIGGER mailbox_last_logins_one_ip BEFORE INSERT ON mailbox_last_logins FOR EACH ROW EXECUTE FUNCTION mailbox_last_logins_one_ip()`.execute(
    db,
  );
  await sql`
    DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mailpanel_mail') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON mailbox_last_logins TO mailpanel_mail;
      END IF;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'mailbox_last_logins not granted to mailpanel_mail: %', SQLERRM;
    END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE mailbox_last_logins`.execute(db);
  await sql`DROP FUNCTION mailbox_last_logins_one_ip()`.execute(db);
}
