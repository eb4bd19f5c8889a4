import { type Kysely, sql } from 'kysely';

// Automatic purge per plan: Trash and Junk lose what was moved there more than N (M) days ago; off
// (null) unless the plan says so. A customer may keep a mailbox out of it (auto_purge = false).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE plans ADD COLUMN trash_purge_days integer CHECK (trash_purge_days BETWEEN 1 AND 3650)`.execute(db);
  await sql`ALTER TABLE plans ADD COLUMN junk_purge_days integer CHECK (junk_purge_days BETWEEN 1 AND 3650)`.execute(db);
  await sql`ALTER TABLE mailboxes ADD COLUMN auto_purge boolean NOT NULL DEFAULT true`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE mailboxes DROP COLUMN auto_purge`.execute(db);
  await sql`ALTER TABLE plans DROP COLUMN junk_purge_days, DROP COLUMN trash_purge_days`.execute(db);
}
