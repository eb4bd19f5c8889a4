// Redis goes away and comes back, with and without its data: schedulers return, workers take jobs
// again, and the web answers 503 for queue actions at once instead of hanging.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAINTENANCE_QUEUE } from '../../jobs/queue/queues.js';
import { createRedis } from '../../server/platform/redis.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { writeMessage } from '../support/maildir.js';
import { runScript, startScript } from '../support/process.js';
import { startRedis } from '../support/redis-server.js';

let redis: Awaited<ReturnType<typeof startRedis>>;
let t: TestApp;
let w: Tenants;
let root: string;
let worker: ReturnType<typeof startScript>;

beforeAll(async () => {
  redis = await startRedis({ persistent: false });
  t = await createTestApp({ REDIS_URL: redis.url });
  w = await seedTenants(t.db);
  root = mkdtempSync(path.join(os.tmpdir(), 'mp-redis-restart-'));
  writeMessage(root, `${w.A.domain.name}/info`, 1234);
  worker = startScript(
    'jobs/main.ts',
    { DATABASE_URL: t.database.url, REDIS_URL: redis.url, REDIS_PREFIX: t.config.redisPrefix, MAIL_ROOT: root, STALLED_MS: '1000' },
    /workers started/,
    30_000,
    ['--maintenance'],
  );
  await worker.started;
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await t?.close().catch(() => {});
  await redis?.kill();
  redis?.cleanup();
  rmSync(root, { recursive: true, force: true });
});

async function schedulers(): Promise<string[]> {
  const conn = createRedis(redis.url, { forWorker: true });
  const q = new Queue(MAINTENANCE_QUEUE, { connection: conn, prefix: t.config.redisPrefix });
  try {
    return (await q.getJobSchedulers()).map((s) => s.key).sort();
  } finally {
    await q.close();
    conn.disconnect();
  }
}
const usage = async () => (await t.app.inject({ method: 'GET', url: `/api/v1/mailboxes/${w.A.mailbox.address}/usage`, headers: bearer(w.A.key) })).json();
async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined as T);
    if (v !== undefined && ok(v)) return v;
    if (Date.now() > end) throw new Error(`gave up; last ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('Redis restarts', () => {
  it('the worker has created its schedulers', async () => {
    expect(await schedulers()).toEqual(['alerts-sweep', 'auto-purge', 'housekeeping', 'scan-all', 'webhooks-sweep']);
  });

  it('while Redis is down the web answers 503 for queue actions within a second, and the panel still serves pages', async () => {
    await redis.kill();
    const started = Date.now();
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/mailboxes/${w.A.mailbox.address}/scan`, headers: bearer(w.A.key) });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toBe('unavailable');
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/mailboxes/${w.A.mailbox.address}`, headers: bearer(w.A.key) })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(503);
  });

  it('after a restart without persistence the schedulers come back and workers take jobs again', { timeout: 60_000 }, async () => {
    redis = await startRedis({ port: redis.port, persistent: false, dir: redis.dir });
    await until(schedulers, (s) => s.length === 5);
    const before = (await usage()).scannedAt;
    const res = await until(
      () => t.app.inject({ method: 'POST', url: `/api/v1/mailboxes/${w.A.mailbox.address}/scan`, headers: bearer(w.A.key) }),
      (r) => r.statusCode === 202,
    );
    expect(res.statusCode).toBe(202);
    const after = await until(usage, (u) => u.scannedAt !== null && u.scannedAt !== before);
    expect(after.usedBytes).toBe(1234);
  });
});

describe('start-up checks', () => {
  it('the worker refuses to start on a Redis that may evict keys', async () => {
    const evicting = await startRedis({ persistent: false });
    try {
      const admin = createRedis(evicting.url, { forWorker: true });
      await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
      admin.disconnect();
      const r = await runScript('jobs/main.ts', [], { DATABASE_URL: t.database.url, REDIS_URL: evicting.url });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('maxmemory-policy is "allkeys-lru"');
      expect(r.stderr).toContain('noeviction');
    } finally {
      await evicting.kill();
      evicting.cleanup();
    }
  });
});
