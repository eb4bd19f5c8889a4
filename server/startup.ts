import type { Db } from '../db/database.js';
import { ensureDatabase, migrateToLatest, pendingMigrations } from '../db/migrate.js';
import { countOperators } from '../db/repositories/users.js';
import { insertSetupToken } from '../db/repositories/sessions.js';
import { randomToken, sha256 } from './platform/tokens.js';
import { createRedis } from './platform/redis.js';

/** Creates the database if missing and migrates it; safe when several processes start at once. */
export async function prepareDatabase(databaseUrl: string): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  const result = await migrateToLatest(databaseUrl);
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * With MIGRATE_ON_START=false the migrations are a deploy step of their own: then a database that is
 * behind this build is refused at start, rather than served by code that expects newer tables.
 */
export class DatabaseBehind extends Error {}

export async function requireMigrated(databaseUrl: string): Promise<void> {
  const pending = await pendingMigrations(databaseUrl);
  if (pending.length)
    throw new DatabaseBehind(
      `the database lacks ${pending.length} migration(s) (${pending.join(', ')}): run \`npm run cli -- migrate\` first, or set MIGRATE_ON_START=true`,
    );
}

export async function checkRedis(redisUrl: string) {
  const redis = createRedis(redisUrl, { name: 'mailpanel-startup-check' });
  try {
    await redis.connect();
    await redis.ping();
  } finally {
    redis.disconnect();
  }
}

/** With no operator yet, prints a one-time link that creates the first one. */
export async function announceSetupLink(db: Db, publicUrl: string): Promise<string | null> {
  if ((await countOperators(db)) > 0) return null;
  const token = randomToken();
  await insertSetupToken(db, sha256(token), new Date(Date.now() + 24 * 3600 * 1000));
  const link = `${publicUrl}/setup/${token}`;
  console.log(`\n  No operator account exists yet. Create one within 24 hours at:\n\n    ${link}\n`);
  return link;
}
