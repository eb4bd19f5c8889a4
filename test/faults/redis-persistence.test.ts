// Redis restarted with its data (append-only file) and without: queued work survives the first,
// and neither sends a warning twice, because PostgreSQL, not Redis, remembers what was sent.
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateAndQueue } from '../../server/services/alerts/evaluate.js';
import { evaluateAlerts } from '../../server/services/alerts/evaluate.js';
import { sweepAlerts } from '../../server/services/alerts/sweep.js';
import { Queues, scanQueueName } from '../../jobs/queue/queues.js';
import { writeUsage } from '../../server/services/usage/store.js';
import { startWorkers } from '../../jobs/worker.js';
import { loadConfig } from '../../server/platform/config.js';
import { createRedis } from '../../server/platform/redis.js';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from '../support/database.js';
import { seedTenants, type Tenants } from '../support/fixtures.js';
import { startRedis } from '../support/redis-server.js';
import { startSink } from '../support/smtp-sink.js';

const silent = pino(
  { level: 'silent' },
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  }),
);
let t: TestDatabase;
let w: Tenants;
let redis: Awaited<ReturnType<typeof startRedis>>;
let sink: Awaited<ReturnType<typeof startSink>>;
const prefix = testRedisPrefix();

beforeAll(async () => {
  t = await createTestDatabase();
  w = await seedTenants(t.db);
  await t.db.updateTable('mailboxes').set({ node: 'elsewhere' }).execute();
  redis = await startRedis({ persistent: true });
  sink = await startSink();
});
afterAll(async () => {
  await sink.close();
  await redis.kill();
  redis.cleanup();
  await t.drop();
});

const producer = async () => {
  const conn = createRedis(redis.url, { forWorker: true });
  return { conn, queues: new Queues(conn, prefix) };
};

describe('Redis restarts and quota warnings', () => {
  it('with persistence: jobs queued before the restart are still there after it', async () => {
    const p = await producer();
    const { id } = await t.db.selectFrom('mailboxes').select('id').where('address', '=', w.A.mailbox.address).executeTakeFirstOrThrow();
    await p.queues.enqueue('scan-mailbox', { mailboxId: id }, { node: 'elsewhere' });
    await p.queues.close();
    p.conn.disconnect();
    await redis.kill();
    redis = await startRedis({ port: redis.port, persistent: true, dir: redis.dir });
    const conn = createRedis(redis.url, { forWorker: true });
    const q = new Queue(scanQueueName('elsewhere'), { connection: conn, prefix });
    const waiting = await q.getWaiting();
    expect(waiting.map((j) => j.data)).toEqual([{ mailboxId: id }]);
    await q.close();
    conn.disconnect();
  });

  it('without its data: what was sent is not sent again, what was pending is sent once', { timeout: 60_000 }, async () => {
    const config = loadConfig({
      DATABASE_URL: t.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
      // Notices to the mailbox too go to this sink, not to Dovecot's notice listener.
      NOTICE_LMTP_URL: 'none',
      ALERT_RETRY_BASE_MS: '100',
    });
    let workers = await startWorkers(config, t.db, silent, { maintenance: true });
    const ids = await Promise.all(
      [w.A.mailbox.address, w.B.mailbox.address].map(
        async (a) => (await t.db.selectFrom('mailboxes').select('id').where('address', '=', a).executeTakeFirstOrThrow()).id,
      ),
    );
    await writeUsage(t.db, [{ mailboxId: ids[0], bytes: 450 * 1024 * 1024, messages: 1, scannedAt: new Date(), state: null, full: true }]);
    await evaluateAndQueue(t.db, workers.queues, [ids[0]]);
    const sentBefore = async () => (await t.db.selectFrom('alert_deliveries').select('status').execute()).filter((d) => d.status === 'sent').length;
    for (let i = 0; i < 100 && (await sentBefore()) < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(sink.received).toHaveLength(2);
    await workers.stop();

    // A delivery decided while Redis is gone is only in PostgreSQL.
    await redis.kill();
    redis.cleanup();
    redis = await startRedis({ port: redis.port, persistent: false });
    await writeUsage(t.db, [{ mailboxId: ids[1], bytes: 450 * 1024 * 1024, messages: 1, scannedAt: new Date(), state: null, full: true }]);
    const pending = await evaluateAlerts(t.db, [ids[1]], new Date());
    expect(pending).toHaveLength(2);

    workers = await startWorkers(config, t.db, silent, { maintenance: true });
    await sweepAlerts(t.db, workers.queues, new Date(Date.now() + 11 * 60_000));
    for (let i = 0; i < 100 && sink.received.length < 4; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    await workers.stop();
    expect(sink.received).toHaveLength(4);
    const messageIds = sink.received.map((m) => /Message-ID: (<[^>]+>)/i.exec(m.raw)?.[1]);
    expect(new Set(messageIds).size).toBe(4);
  });
});
