import { type Kysely, sql } from 'kysely';

// Every verification round rewrites the time on most mailbox_usage rows (disk_at). With room left on
// each page the new row versions stay on their page (HOT updates): no index entries, less to vacuum.
// Applies to pages written from now on; a table rewrite (VACUUM FULL) applies it to the rest.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE mailbox_usage SET (fillfactor = 50)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE mailbox_usage RESET (fillfactor)`.execute(db);
}
