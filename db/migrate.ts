import { Kysely, Migrator, PostgresDialect, type MigrationResultSet } from 'kysely';
import pg from 'pg';
import { migrations } from './migrations/index.js';
import { isDuplicateDatabase, isUniqueViolation } from './errors.js';

/** Creates the database named in the URL when it does not exist yet (several processes may race here). */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name) throw new Error('DATABASE_URL names no database');
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    return true;
  } catch (err) {
    // 42P04 duplicate_database, 23505 unique_violation on pg_database: another process won the race.
    if (isDuplicateDatabase(err) || isUniqueViolation(err)) return false;
    throw err;
  } finally {
    await client.end();
  }
}

/** The migrations this build has that the database has not applied yet (all of them when it is empty). */
export async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl, max: 1 }) }) });
  try {
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    return (await migrator.getMigrations()).filter((m) => !m.executedAt).map((m) => m.name);
  } finally {
    await db.destroy();
  }
}

const MIGRATION_LOCK = 7_342_001;

/**
 * Migrates to the latest version. A session-level advisory lock held on its own connection
 * serialises concurrent starters, including the creation of kysely's own bookkeeping tables.
 */
export async function migrateToLatest(databaseUrl: string): Promise<MigrationResultSet> {
  const lock = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  await lock.connect();
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl, max: 2 }) }) });
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const result = await migrator.migrateToLatest();
    if (result.error) throw result.error;
    return result;
  } finally {
    await db.destroy();
    await lock.end(); // ending the session releases the lock
  }
}
