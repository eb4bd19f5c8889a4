import pg from 'pg';
import { ensureDatabase, migrateToLatest } from '../../db/migrate.js';
import { ADMIN_URL, TEMPLATE_DB, urlFor } from './db-names.js';

/** Migrates one template database per run; every test file clones it (CREATE DATABASE ... TEMPLATE). */
export default async function setup() {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    // Leftovers of earlier runs: the template and any per-file clones.
    const old = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE 'mailpanel_test_%'`);
    for (const row of old.rows) await admin.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  await ensureDatabase(urlFor(TEMPLATE_DB));
  await migrateToLatest(urlFor(TEMPLATE_DB));
}
