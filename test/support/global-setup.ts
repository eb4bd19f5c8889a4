import { execFileSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { ensureDatabase, migrateToLatest } from '../../db/migrate.js';
import { ADMIN_URL, RUN_ID_ENV, RUN_PREFIX, STALE_MS, runId, templateDb, urlFor } from './db-names.js';

async function dropDatabases(filter: (name: string) => boolean) {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    const rows = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE '${RUN_PREFIX}%'`);
    for (const { datname } of rows.rows) if (filter(datname)) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Migrates one template database per run; every test file clones it (CREATE DATABASE ... TEMPLATE). */
export default async function setup() {
  // Processes under test run the build, as production does (test/support/process.ts); incremental, ~1 s.
  const root = path.resolve(import.meta.dirname, '../..');
  execFileSync(path.join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  process.env[RUN_ID_ENV] = Date.now().toString(36);
  const now = Date.now();
  await dropDatabases((name) => {
    const stamp = parseInt(name.slice(RUN_PREFIX.length).split('_')[0], 36);
    return Number.isFinite(stamp) && now - stamp > STALE_MS;
  });
  await ensureDatabase(urlFor(templateDb()));
  await migrateToLatest(urlFor(templateDb()));
  const mine = `${RUN_PREFIX}${runId()}_`;
  return async () => dropDatabases((name) => name.startsWith(mine));
}
