import { type Kysely, sql } from 'kysely';

// The scanner's state is written and read whole by the scanner only (never queried inside): as jsonb,
// PostgreSQL parsed it on every write and printed it again on every read, 10,000 times a round.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE mailbox_usage ALTER COLUMN scan_state TYPE text USING scan_state::text`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE mailbox_usage ALTER COLUMN scan_state TYPE jsonb USING scan_state::jsonb`.execute(db);
}
