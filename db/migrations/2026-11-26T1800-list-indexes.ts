import { type Kysely, sql } from 'kysely';

// A domain's mailboxes in address order, page by page, without sorting the whole domain.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX IF NOT EXISTS mailboxes_domain_address_idx ON mailboxes (domain_id, address) INCLUDE (id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS mailboxes_domain_address_idx`.execute(db);
}
