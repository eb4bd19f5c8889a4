// SIGTERM lets active jobs finish, but not forever: past SHUTDOWN_TIMEOUT_MS the worker exits anyway
// (exit 1, said in its log), and the job it left is retried by the next worker.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobOf, scanQueueName } from '../../jobs/queue/queues.js';
import { createRedis } from '../../server/platform/redis.js';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from '../support/database.js';
import { startScript } from '../support/process.js';
import { until } from '../support/wait.js';

let t: TestDatabase;
let dir: string;
let prefix: string;
let queue: Queue;
const redis = createRedis('redis://127.0.0.1:6379', { forWorker: true });

beforeAll(async () => {
  t = await createTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'mp-shutdown-'));
  prefix = testRedisPrefix();
  await sql`INSERT INTO resellers (name) VALUES ('r')`.execute(t.db);
  await sql`INSERT INTO customers (reseller_id, name, contact_email) VALUES (1, 'c', 'c@example.org')`.execute(t.db);
  await sql`INSERT INTO domains (customer_id, name) VALUES (1, 'slow.example')`.execute(t.db);
  await sql`INSERT INTO mailboxes (domain_id, local_part, address, password_hash, quota_bytes, maildir)
            VALUES (1, 'u', 'u@slow.example', 'x', 10000000, 'slow.example/u')`.execute(t.db);
  // A doveadm that hangs, as one stuck on a dead NFS mount would.
  writeFileSync(path.join(dir, 'doveadm'), '#!/bin/sh\nexec sleep 120\n');
  chmodSync(path.join(dir, 'doveadm'), 0o755);
  await redis.connect();
  queue = new Queue(scanQueueName('local'), { connection: redis, prefix });
});
afterAll(async () => {
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  redis.disconnect();
  await t.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('stopping a worker', () => {
  it('exits 1 at SHUTDOWN_TIMEOUT_MS with a job still running, and says so', { timeout: 60_000 }, async () => {
    const worker = startScript(
      'jobs/main.ts',
      {
        DATABASE_URL: t.url,
        REDIS_PREFIX: prefix,
        MAIL_ROOT: dir,
        DOVEADM: path.join(dir, 'doveadm'),
        SHUTDOWN_TIMEOUT_MS: '1500',
        DOVECOT_EVENTS_PORT: '0',
        LOG_LEVEL: 'info',
      },
      /workers started/,
    );
    await worker.started;
    const j = jobOf('quota-recalc', { mailboxId: 1 });
    const job = await queue.add(j.name, j.data, j.opts);
    await until(
      'job running',
      () => job.getState(),
      (s) => s === 'active',
    );
    const t0 = Date.now();
    const code = await worker.stop();
    const took = Date.now() - t0;
    expect(code).toBe(1);
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(10_000);
    expect(worker.output()).toContain('shutdown deadline passed');
  });
});
