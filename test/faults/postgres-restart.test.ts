// PostgreSQL restarts under a running panel and policy service: the web answers 503 and then
// recovers; the policy service defers (never a 5xx) and then answers from fresh data again.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeUsage } from '../../server/services/usage/store.js';
import { buildApp, type App } from '../../server/web/app.js';
import { loadConfig } from '../../server/platform/config.js';
import { createDb, type Db } from '../../db/database.js';
import { ensureDatabase, migrateToLatest } from '../../db/migrate.js';
import { PolicyClient } from '../../server/policy/client.js';
import { startPolicyServer } from '../../server/policy/server.js';
import { createRedis } from '../../server/platform/redis.js';
import { testRedisPrefix } from '../support/database.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { startPostgres } from '../support/pg-server.js';

let pg: Awaited<ReturnType<typeof startPostgres>>;
let db: Db;
let app: App;
let w: Tenants;
let policy: Awaited<ReturnType<typeof startPolicyServer>>;
const redis = createRedis('redis://127.0.0.1:6379');
const silent = pino(
  { level: 'silent' },
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  }),
);

beforeAll(async () => {
  pg = await startPostgres();
  const url = pg.url('mailpanel');
  await ensureDatabase(url);
  await migrateToLatest(url);
  db = createDb(url, 5);
  w = await seedTenants(db);
  const id = (await db.selectFrom('mailboxes').select('id').where('address', '=', w.A.mailbox.address).executeTakeFirstOrThrow()).id;
  await writeUsage(db, [{ mailboxId: id, bytes: 600 * 1024 * 1024, messages: 9, scannedAt: new Date(), state: null, full: true }]);
  await redis.connect();
  app = await buildApp({ config: loadConfig({ DATABASE_URL: url, REDIS_PREFIX: testRedisPrefix() }), db, redis, loggerInstance: silent });
  await app.ready();
  policy = await startPolicyServer({ db, databaseUrl: url, host: '127.0.0.1', port: 0, logger: silent, deadlineMs: 500 });
}, 60_000);
afterAll(async () => {
  await policy?.close();
  await app?.close();
  redis.disconnect();
  await db?.destroy();
  await pg?.destroy();
});

/** One RCPT question on a fresh connection, as Postfix would ask it. */
async function rcpt(recipient: string): Promise<string> {
  const c = await PolicyClient.connect('127.0.0.1', policy.port);
  try {
    return await c.request({ request: 'smtpd_access_policy', protocol_state: 'RCPT', recipient, size: 100 });
  } finally {
    c.close();
  }
}
const get = () => app.inject({ method: 'GET', url: `/api/v1/mailboxes/${w.A.mailbox.address}`, headers: bearer(w.A.key) });
async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`gave up; last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('PostgreSQL restarts', () => {
  it('answers normally before', async () => {
    expect((await get()).statusCode).toBe(200);
    await until(
      () => rcpt(w.A.mailbox.address),
      (a) => a.startsWith('552'),
    );
  });

  it('while it is down: the web answers 503, the policy service DEFER_IF_PERMIT, never 5xx', { timeout: 60_000 }, async () => {
    await pg.stop();
    const res = await get();
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toBe('unavailable');
    const answer = await until(
      () => rcpt(w.A.mailbox.address),
      (a) => !a.startsWith('552'),
    );
    expect(answer).toMatch(/^DEFER_IF_PERMIT/);
    for (const r of [w.A.mailbox.address, w.B.mailbox.address, 'nobody@nowhere.example']) expect(await rcpt(r)).not.toMatch(/^5/);
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503);
  });

  it('after it is back: both recover by themselves', { timeout: 60_000 }, async () => {
    await pg.start();
    await until(get, (r) => r.statusCode === 200);
    await until(
      () => rcpt(w.A.mailbox.address),
      (a) => a.startsWith('552'),
    );
    expect(await rcpt(w.B.mailbox.address)).toBe('DUNNO');
  });
});
