import { type Kysely, sql } from 'kysely';

// API keys limited to client addresses; optional TOTP second factor for panel users.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('allowed_cidrs', sql`text[]`).execute();
  await db.schema
    .alterTable('users')
    .addColumn('totp_secret', 'text')
    .addColumn('totp_enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  // A session that passed the password but still owes its TOTP code.
  await db.schema
    .alterTable('sessions')
    .addColumn('pending_totp', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('pending_totp').execute();
  await db.schema.alterTable('users').dropColumn('totp_secret').dropColumn('totp_enabled').execute();
  await db.schema.alterTable('api_keys').dropColumn('allowed_cidrs').execute();
}
