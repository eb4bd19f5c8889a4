import { type Kysely, sql } from 'kysely';

// Requests for more space: a customer or a mailbox owner asks for one of the sizes its plan offers,
// the reseller approves (the quota changes) or declines with a reason; a plan may approve up to a
// size by itself. One open request per mailbox, kept by a partial unique index.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table plans add column upgrade_sizes bigint[] not null default '{}'`.execute(db);
  await sql`alter table plans add column auto_approve_bytes bigint check (auto_approve_bytes > 0)`.execute(db);
  await sql`
    create table space_requests (
      id bigserial primary key,
      mailbox_id bigint not null references mailboxes(id) on delete cascade,
      customer_id bigint not null,
      reseller_id bigint not null,
      from_bytes bigint not null,
      requested_bytes bigint not null check (requested_bytes > 0),
      note text not null default '',
      status text not null default 'open' check (status in ('open', 'approved', 'declined', 'withdrawn')),
      requested_by text not null,
      decided_by text,
      reason text,
      created_at timestamptz not null default now(),
      decided_at timestamptz,
      notified text
    )`.execute(db);
  await sql`create unique index space_requests_one_open on space_requests (mailbox_id) where status = 'open'`.execute(db);
  await sql`create index space_requests_mailbox_idx on space_requests (mailbox_id, created_at desc)`.execute(db);
  await sql`create index space_requests_queue_idx on space_requests (reseller_id, status, id desc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table space_requests`.execute(db);
  await sql`alter table plans drop column auto_approve_bytes`.execute(db);
  await sql`alter table plans drop column upgrade_sizes`.execute(db);
}
