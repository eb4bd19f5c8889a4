// A scan whose worker dies twice while running it: BullMQ gives up on it (maxStalledCount 1), and
// the next scheduled fan-out measures the mailbox anyway.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanFanoutHandler } from '../../jobs/handlers/scan-fanout.js';
import { Queues, jobOf, scanQueueName } from '../../jobs/queue/queues.js';
import { createRedis } from '../../server/platform/redis.js';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from '../support/database.js';
import { startScript } from '../support/process.js';

const FILES = 80_000; // enough that one scan runs long enough to be caught, even on a busy machine
let t: TestDatabase;
let root: string;
const prefix = testRedisPrefix();
const redis = createRedis('redis://127.0.0.1:6379', { forWorker: true });
let queue: Queue;
let mailboxId: number;

beforeAll(async () => {
  t = await createTestDatabase();
  root = mkdtempSync(path.join(os.tmpdir(), 'mp-twice-'));
  await sql`INSERT INTO resellers (name) VALUES ('r')`.execute(t.db);
  await sql`INSERT INTO customers (reseller_id, name, contact_email) VALUES (1, 'c', 'c@example.org')`.execute(t.db);
  await sql`INSERT INTO domains (customer_id, name) VALUES (1, 'twice.example')`.execute(t.db);
  mailboxId = (
    await sql<{ id: number }>`INSERT INTO mailboxes (domain_id, local_part, address, password_hash, quota_bytes, maildir)
    VALUES (1, 'big', 'big@twice.example', 'x', 1000000000, 'twice.example/big') RETURNING id`.execute(t.db)
  ).rows[0].id;
  const cur = path.join(root, 'twice.example/big/Maildir/cur');
  mkdirSync(cur, { recursive: true });
  for (let i = 0; i < FILES; i++) writeFileSync(path.join(cur, `17000000${i}.M${i}P1.twice,S=100:2,S`), '');
  await redis.connect();
  queue = new Queue(scanQueueName('local'), { connection: redis, prefix });
}, 120_000);
afterAll(async () => {
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  redis.disconnect();
  await t.drop();
  rmSync(root, { recursive: true, force: true });
});

const worker = () =>
  startScript('jobs/main.ts', { DATABASE_URL: t.url, REDIS_PREFIX: prefix, MAIL_ROOT: root, STALLED_MS: '1000', SCAN_CONCURRENCY: '1' }, /workers started/);

/**
 * Freezes the worker the moment it starts the job (SIGSTOP keeps the job active and unfinished),
 * then kills it. A new start shows in attemptsStarted; an earlier worker's stale 'active' does not.
 */
async function killWhileRunning(w: ReturnType<typeof worker>, jobId: string) {
  const startedBefore = (await queue.getJob(jobId))!.attemptsStarted;
  let caught = false;
  for (let i = 0; i < 50_000 && !caught; i++) {
    const job = await queue.getJob(jobId);
    if (job!.attemptsStarted > startedBefore && (await job!.getState()) === 'active') {
      w.child.kill('SIGSTOP');
      caught = true;
    }
  }
  const closed = new Promise((r) => w.child.once('close', r));
  w.child.kill('SIGKILL');
  await closed;
  return caught;
}

describe('a job whose worker dies twice', () => {
  it('fails after the second stall, and the next fan-out measures the mailbox', { timeout: 120_000 }, async () => {
    const j = jobOf('scan-mailbox', { mailboxId });
    const job = await queue.add(j.name, j.data, j.opts);

    const first = worker();
    expect(await killWhileRunning(first, job.id!)).toBe(true);
    expect(await sql`SELECT 1 FROM mailbox_usage`.execute(t.db).then((r) => r.rows.length)).toBe(0);

    const second = worker();
    expect(await killWhileRunning(second, job.id!)).toBe(true);

    const third = worker();
    await third.started;
    for (let i = 0; i < 100 && (await queue.getJobState(job.id!)) !== 'failed'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await queue.getJobState(job.id!)).toBe('failed');
    expect((await queue.getJob(job.id!))!.failedReason).toMatch(/stalled/i);
    expect(await sql`SELECT 1 FROM mailbox_usage`.execute(t.db).then((r) => r.rows.length)).toBe(0);

    // The scheduled fan-out (run here by hand) queues it again; the dedup key of the failed job is gone.
    const producer = createRedis('redis://127.0.0.1:6379');
    await producer.connect();
    const queues = new Queues(producer, prefix);
    await scanFanoutHandler(t.db, queues)({ data: {}, updateProgress: async () => {} } as never);
    let usage: { used_bytes: number; messages: number } | undefined;
    for (let i = 0; i < 200 && !usage; i++) {
      usage = await t.db.selectFrom('mailbox_usage').select(['used_bytes', 'messages']).where('mailbox_id', '=', mailboxId).executeTakeFirst();
      if (!usage) await new Promise((r) => setTimeout(r, 100));
    }
    expect(usage).toEqual({ used_bytes: FILES * 100, messages: FILES });
    await queues.close();
    producer.disconnect();
    expect(await third.stop()).toBe(0);
  });
});
