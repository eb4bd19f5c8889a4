import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type Db } from '../../db/database.js';
import { ADMIN_URL, RUN_PREFIX, runId, templateDb, urlFor } from './db-names.js';

export interface TestDatabase {
  name: string;
  url: string;
  db: Db;
  drop(): Promise<void>;
}

/** A fresh database for one test file, cloned from the migrated template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `${RUN_PREFIX}${runId()}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    // Cloning needs the template to have no other sessions; parallel files may collide briefly, so retry.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${templateDb()}"`);
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== '55006' || attempt > 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await admin.end();
  }
  const url = urlFor(name);
  const db = createDb(url, 5);
  return {
    name,
    url,
    db,
    async drop() {
      await db.destroy();
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      // pg's pool.end() resolves before its clients' sockets close; terminating a client that is still
      // closing surfaces as an uncaught error in it, so give the sessions a moment to leave first.
      for (let i = 0; i < 40; i++) {
        const { rows } = await a.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
        if (rows[0].n === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    },
  };
}

export const testRedisPrefix = () => `mptest:${randomBytes(4).toString('hex')}`;
