import { type Kysely, sql } from 'kysely';

// Send limits: messages per hour and per day and recipients per message, set per plan (null: no
// limit) with a mailbox's own limits over them (send_limits: null = the plan's). The policy service
// holds each mailbox's effective limits in memory, so a change to a plan, or to which plan a
// customer has, announces the mailboxes concerned on the policy channel as a mailbox change does.
// Breaches are kept: the worker counts them to suspend outgoing mail, and the panel lists them.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE plans
      ADD COLUMN send_per_hour integer CHECK (send_per_hour > 0),
      ADD COLUMN send_per_day integer CHECK (send_per_day > 0),
      ADD COLUMN send_recipients integer CHECK (send_recipients > 0)`.execute(db);
  await sql`ALTER TABLE mailboxes ADD COLUMN send_limits jsonb CHECK (send_limits IS NULL OR jsonb_typeof(send_limits) = 'object')`.execute(db);
  // Set with an automatic suspension of sending: only staff lift that one (a customer lifts its own).
  await sql`ALTER TABLE mailboxes ADD COLUMN outgoing_locked boolean NOT NULL DEFAULT false`.execute(db);
  await sql`
    CREATE TABLE send_limit_breaches (
      id bigserial PRIMARY KEY,
      mailbox_id bigint NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('perHour', 'perDay', 'recipientsPerMessage')),
      limit_value integer NOT NULL,
      at timestamptz NOT NULL,
      -- One breach per mailbox, kind and hour however often the policy service reports it.
      hour timestamptz GENERATED ALWAYS AS (date_trunc('hour', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') STORED,
      suspended boolean NOT NULL DEFAULT false,
      -- Whether the customer and the reseller were told (a retried job tells whom a failure skipped).
      notified boolean NOT NULL DEFAULT false,
      UNIQUE (mailbox_id, kind, hour)
    )`.execute(db);
  await sql`CREATE INDEX send_limit_breaches_recent_idx ON send_limit_breaches (mailbox_id, at DESC)`.execute(db);
  // The policy service re-reads a mailbox when its send limits change too.
  await sql`DROP TRIGGER mailboxes_notify ON mailboxes`.execute(db);
  await sql`
    CREATE TRIGGER mailboxes_notify AFTER INSERT OR DELETE OR UPDATE OF address, quota_bytes, active, send_limits ON mailboxes
      FOR EACH ROW EXECUTE FUNCTION mailpanel_notify_mailbox()`.execute(db);
  await sql`
    CREATE FUNCTION mailpanel_notify_plan_mailboxes() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_TABLE_NAME = 'plans' THEN
        PERFORM pg_notify('mailpanel_mailbox', m.address)
          FROM mailboxes m JOIN domains d ON d.id = m.domain_id JOIN customers c ON c.id = d.customer_id
         WHERE c.plan_id = NEW.id;
      ELSE
        PERFORM pg_notify('mailpanel_mailbox', m.address)
          FROM mailboxes m JOIN domains d ON d.id = m.domain_id
         WHERE d.customer_id = NEW.id;
      END IF;
      RETURN NULL;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER plans_send_limits_notify AFTER UPDATE OF send_per_hour, send_per_day, send_recipients ON plans
      FOR EACH ROW WHEN (OLD.send_per_hour IS DISTINCT FROM NEW.send_per_hour OR OLD.send_per_day IS DISTINCT FROM NEW.send_per_day
                         OR OLD.send_recipients IS DISTINCT FROM NEW.send_recipients)
      EXECUTE FUNCTION mailpanel_notify_plan_mailboxes()`.execute(db);
  await sql`
    CREATE TRIGGER customers_plan_notify AFTER UPDATE OF plan_id ON customers
      FOR EACH ROW WHEN (OLD.plan_id IS DISTINCT FROM NEW.plan_id)
      EXECUTE FUNCTION mailpanel_notify_plan_mailboxes()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER customers_plan_notify ON customers`.execute(db);
  await sql`DROP TRIGGER plans_send_limits_notify ON plans`.execute(db);
  await sql`DROP FUNCTION mailpanel_notify_plan_mailboxes()`.execute(db);
  await sql`DROP TRIGGER mailboxes_notify ON mailboxes`.execute(db);
  await sql`
    CREATE TRIGGER mailboxes_notify AFTER INSERT OR DELETE OR UPDATE OF address, quota_bytes, active ON mailboxes
      FOR EACH ROW EXECUTE FUNCTION mailpanel_notify_mailbox()`.execute(db);
  await sql`DROP TABLE send_limit_breaches`.execute(db);
  await sql`ALTER TABLE mailboxes DROP COLUMN send_limits, DROP COLUMN outgoing_locked`.execute(db);
  await sql`ALTER TABLE plans DROP COLUMN send_per_hour, DROP COLUMN send_per_day, DROP COLUMN send_recipients`.execute(db);
}
