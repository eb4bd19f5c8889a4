// The worker as a real process: killed mid-scan, stopped gracefully, and its jobs are never lost.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobOf, scanQueueName } from '../../jobs/queue/queues.js';
import { createRedis } from '../../server/platform/redis.js';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from '../support/database.js';
import { writeMessage } from '../support/maildir.js';
import { startScript } from '../support/process.js';

const MAILBOXES = 600;
let t: TestDatabase;
let root: string;
let prefix: string;
let queue: Queue;
const redis = createRedis('redis://127.0.0.1:6379', { forWorker: true });
const expected = new Map<number, number>();

beforeAll(async () => {
  t = await createTestDatabase();
  root = mkdtempSync(path.join(os.tmpdir(), 'mp-faults-'));
  prefix = testRedisPrefix();
  await sql`INSERT INTO resellers (name) VALUES ('r')`.execute(t.db);
  await sql`INSERT INTO customers (reseller_id, name, contact_email) VALUES (1, 'c', 'c@example.org')`.execute(t.db);
  await sql`INSERT INTO domains (customer_id, name) VALUES (1, 'faults.example')`.execute(t.db);
  await sql`INSERT INTO mailboxes (domain_id, local_part, address, password_hash, quota_bytes, maildir)
            SELECT 1, 'u' || i, 'u' || i || '@faults.example', 'x', 10000000, 'faults.example/u' || i FROM generate_series(1, ${MAILBOXES}) i`.execute(t.db);
  for (const { id, maildir } of await t.db.selectFrom('mailboxes').select(['id', 'maildir']).execute()) {
    let bytes = 0;
    for (let k = 0; k < 1 + (id % 4); k++) {
      const size = 500 + ((id * 37 + k * 101) % 5000);
      writeMessage(root, maildir, size, k % 2 ? '.Sent' : '');
      bytes += size;
    }
    expected.set(id, bytes);
  }
  await redis.connect();
  queue = new Queue(scanQueueName('local'), { connection: redis, prefix });
});
afterAll(async () => {
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  redis.disconnect();
  await t.drop();
  rmSync(root, { recursive: true, force: true });
});

const worker = () =>
  startScript(
    'jobs/main.ts',
    { DATABASE_URL: t.url, REDIS_PREFIX: prefix, MAIL_ROOT: root, STALLED_MS: '1000', SCAN_CONCURRENCY: '4', LOG_LEVEL: 'info' },
    /workers started/,
  );
const enqueueAll = async () => {
  const ids = [...expected.keys()];
  await queue.addBulk(ids.map((mailboxId) => jobOf('scan-mailbox', { mailboxId })));
};
const measured = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM mailbox_usage`.execute(t.db)).rows[0].n);
async function waitFor(what: string, fn: () => Promise<boolean>, ms = 60_000) {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${await measured()} measured, jobs ${JSON.stringify(await queue.getJobCounts())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a worker process under faults', () => {
  it('SIGKILLed mid-scan: its jobs are taken over after the stall interval and every usage is written once', { timeout: 120_000 }, async () => {
    await enqueueAll();
    const first = worker();
    await first.started;
    await waitFor('some scans', async () => (await measured()) > 40);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('close', r));
    const done = await measured();
    expect(done).toBeLessThan(MAILBOXES);

    const second = worker();
    await second.started;
    await waitFor('all scans', async () => (await measured()) === MAILBOXES, 30_000);
    await waitFor('queue drained', async () => {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed');
      return c.waiting + c.active + c.delayed === 0;
    });
    const rows = await t.db.selectFrom('mailbox_usage').select(['mailbox_id', 'used_bytes']).execute();
    for (const r of rows) expect(r.used_bytes, `mailbox ${r.mailbox_id}`).toBe(expected.get(r.mailbox_id));
    const samples = await sql<{
      mailbox_id: number;
      n: string;
    }>`SELECT mailbox_id, count(*) AS n FROM usage_samples GROUP BY mailbox_id HAVING count(*) > 1`.execute(t.db);
    expect(samples.rows).toEqual([]);
    expect((await queue.getJobCounts('failed')).failed).toBe(0);
    expect(await second.stop()).toBe(0);
  });

  it('SIGTERM with active jobs: finishes them, exits 0, leaves nothing stalled; the rest wait for the next worker', { timeout: 120_000 }, async () => {
    await sql`TRUNCATE mailbox_usage, usage_samples`.execute(t.db);
    await enqueueAll();
    const w = worker();
    await w.started;
    await waitFor('some scans', async () => (await measured()) > 20);
    expect(await w.stop()).toBe(0);
    expect(w.output()).toContain('shutting down');
    const counts = await queue.getJobCounts('active', 'waiting', 'failed');
    expect(counts.active).toBe(0);
    expect(counts.failed).toBe(0);
    const after = await measured();
    expect(after + counts.waiting).toBeGreaterThanOrEqual(MAILBOXES);
    const next = worker();
    await next.started;
    await waitFor('all scans', async () => (await measured()) === MAILBOXES);
    expect(await next.stop()).toBe(0);
  });
});
