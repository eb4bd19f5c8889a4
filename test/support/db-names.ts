export const PG_BASE = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const ADMIN_URL = `${PG_BASE}/postgres`;
export const urlFor = (db: string) => `${PG_BASE}/${db}`;

// Each vitest run owns the databases named with its run id (set in global setup, inherited by the
// workers), so concurrent runs on one machine never drop each other's databases.
export const RUN_ID_ENV = 'MAILPANEL_TEST_RUN';
export const runId = () => process.env[RUN_ID_ENV] ?? 'adhoc';
export const templateDb = () => `mailpanel_test_${runId()}_template`;
export const RUN_PREFIX = 'mailpanel_test_';
/** Runs older than this are leftovers of a crashed run and may be dropped. */
export const STALE_MS = 3 * 3600 * 1000;
