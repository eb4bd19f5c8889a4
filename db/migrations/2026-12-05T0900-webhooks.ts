import { type Kysely, sql } from 'kysely';

// Signed webhooks for resellers (and the operator, reseller_id null): what happened is first written
// as an event (an outbox, in the transaction of the change, a usage write included), then fanned
// out to a delivery per matching webhook, each sent by its own job and logged.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table webhooks (
      id bigserial primary key,
      reseller_id bigint references resellers(id) on delete cascade,
      url text not null,
      events text[] not null,
      secret text not null,
      enabled boolean not null default true,
      disabled_reason text,
      failing_since timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index webhooks_reseller_idx on webhooks (reseller_id)`.execute(db);
  await sql`
    create table webhook_events (
      id bigserial primary key,
      type text not null,
      reseller_id bigint,
      customer_id bigint,
      mailbox_id bigint,
      data jsonb not null,
      created_at timestamptz not null default now(),
      fanned_out boolean not null default false
    )`.execute(db);
  await sql`create index webhook_events_pending_idx on webhook_events (id) where not fanned_out`.execute(db);
  // Announced at commit, once per statement: the central worker fans out at once (jobs/worker.ts).
  await sql`
    create function webhook_events_notify() returns trigger language plpgsql as $$
    begin
      perform pg_notify('webhook_events', 'new');
      return null;
    end $$`.execute(db);
  await sql`create trigger webhook_events_notify after insert on webhook_events for each statement execute function webhook_events_notify()`.execute(db);
  await sql`
    create table webhook_deliveries (
      id bigserial primary key,
      msg_id text not null unique,
      webhook_id bigint not null references webhooks(id) on delete cascade,
      event_id bigint not null references webhook_events(id) on delete cascade,
      mailbox_id bigint,
      status text not null default 'pending',
      attempts int not null default 0,
      response_code int,
      duration_ms int,
      last_error text,
      created_at timestamptz not null default now(),
      last_attempt_at timestamptz,
      delivered_at timestamptz,
      unique (webhook_id, event_id)
    )`.execute(db);
  await sql`create index webhook_deliveries_webhook_idx on webhook_deliveries (webhook_id, id desc)`.execute(db);
  await sql`create index webhook_deliveries_order_idx on webhook_deliveries (webhook_id, mailbox_id, id) where status in ('pending', 'retrying')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table webhook_deliveries`.execute(db);
  await sql`drop table webhook_events`.execute(db);
  await sql`drop function webhook_events_notify()`.execute(db);
  await sql`drop table webhooks`.execute(db);
}
