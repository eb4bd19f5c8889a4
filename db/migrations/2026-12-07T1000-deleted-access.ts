import { type Kysely, sql } from 'kysely';

// A deleted mailbox keeps who may send, receive and sign in (protocol switches, suspensions, where
// the main password works, the automatic purge, its own send limits), so a restore brings it back as
// it was: a mailbox deleted while its sending was suspended must not come back able to send.
// App passwords are not kept: deleting a mailbox revokes them.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE deleted_mailboxes ADD COLUMN access jsonb`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE deleted_mailboxes DROP COLUMN access`.execute(db);
}
