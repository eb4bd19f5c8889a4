// Does a scan round wait for webhooks? The production worker (jobs/main.ts --maintenance) runs full
// verification rounds over a generated tree in which every mailbox changes level, once with no webhook
// (the baseline) and once with 10 webhooks subscribed to quota.level_changed (10,000 events → 100,000
// deliveries to a receiver in this process), interleaved. Between rounds every mailbox gets a 2 MB message
// in its INBOX or loses it again, against a quota of its own usage plus 1 MB: ok ↔ full each round.
//
//   npx tsx bench/webhook-fanout.ts                    10,000 mailboxes / 20,000 messages, 3 rounds of each
//   --mailboxes N --messages N --webhooks N --reps N
//
// A round is timed as verify-round.ts times it: from adding the `scan-fanout` job (as the scheduler does)
// to the moment every mailbox_usage row has disk_at >= the round's start, i.e. every usage row committed,
// with the events written in each batch's transaction (server/services/usage/store.ts). Before each round the
// queues and the previous round's deliveries are done. Also printed: how long after the round's start the last
// delivery arrived at the receiver, and the receiver's count (must be events × webhooks).
import { randomBytes } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { insertWebhook } from '../db/repositories/webhooks.js';
import { MAINTENANCE_QUEUE, Queues, WEBHOOKS_QUEUE, scanQueueName } from '../jobs/queue/queues.js';
import { createRedis } from '../server/platform/redis.js';
import { generate, mailboxPaths, type GenParams } from './maildir-gen.js';
import { type Child, REDIS_URL, deleteRedisKeys, freshBenchDb, median, sleep, startChild } from './procs.js';
import { benchTeardown } from './teardown.js';

const { values: args } = parseArgs({
  options: {
    mailboxes: { type: 'string', default: '10000' },
    messages: { type: 'string', default: '20000' },
    webhooks: { type: 'string', default: '10' },
    reps: { type: 'string', default: '3' },
  },
});
const params: GenParams = { mailboxes: Number(args.mailboxes), messages: Number(args.messages), seed: 7 };
const HOOKS = Number(args.webhooks);
const REPS = Number(args.reps);
const BIG = 10 * 1024 ** 3;
const SLACK = 1024 ** 2;
const EXTRA = 2 * 1024 ** 2;
const { cleanups, cleanup, finished } = benchTeardown('webhook-fanout', 60 * 60_000);
const secs = (ms: number) => (ms / 1000).toFixed(2);

// The tree, small files: the round's cost is in the rows, events and deliveries, not in the walk.
const dir = mkdtempSync(path.join(os.tmpdir(), 'mailpanel-webhook-bench-'));
cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
mkdirSync(dir, { recursive: true });
generate(dir, params);

// The receiver: answers 204 at once and counts.
let received = 0;
let lastAt = 0;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    lastAt = performance.now();
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
cleanups.push(() => new Promise((r) => receiver.close(() => r(undefined))));
const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

const benchDb = await freshBenchDb('mailpanel_webhooks_', 4);
const db = benchDb.db;
cleanups.push(() => benchDb.drop());
const redisPrefix = `mpwebhooks:${randomBytes(4).toString('hex')}`;
cleanups.push(async () => void (await deleteRedisKeys(redisPrefix)));
const producer = createRedis(REDIS_URL, { name: 'webhook-bench' });
await producer.connect();
cleanups.push(async () => producer.disconnect());
const queues = new Queues(producer, redisPrefix);
cleanups.push(() => queues.close());
const logDir = mkdtempSync(path.join(os.tmpdir(), 'mailpanel-webhook-bench-log-'));
cleanups.push(async () => rmSync(logDir, { recursive: true, force: true }));

async function idle(timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let busy = 0;
    for (const q of [MAINTENANCE_QUEUE, scanQueueName('local'), WEBHOOKS_QUEUE]) {
      const states = q === MAINTENANCE_QUEUE ? (['waiting', 'active'] as const) : (['waiting', 'active', 'delayed', 'prioritized'] as const);
      busy += Object.values(await queues.get(q).getJobCounts(...states)).reduce((a, b) => a + b, 0);
    }
    if (busy === 0) return;
    if (Date.now() > deadline) throw new Error(`queues still busy (${busy}) after ${timeoutMs} ms`);
    await sleep(100);
  }
}

let worker: Child;
try {
  worker = startChild(
    'worker',
    'jobs/main.ts',
    ['--node', 'local', '--mail-root', dir, '--maintenance'],
    {
      DATABASE_URL: benchDb.url,
      REDIS_PREFIX: redisPrefix,
      MAIL_ROOT: dir,
      STORAGE_NODE: 'local',
      SCAN_INTERVAL_MINUTES: '1440',
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
      SMTP_URL: 'smtp://127.0.0.1:9',
      NOTICE_LMTP_URL: 'none',
      WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
    },
    path.join(logDir, 'worker.log'),
  );
  cleanups.push(() => worker.stop());
  await worker.waitForLog('workers started');
  await idle();

  // One reseller (no contact address) and customer on a plan whose warnings go to the reseller only:
  // the rounds evaluate warnings as always, but send none.
  const paths = mailboxPaths(params);
  await db.transaction().execute(async (trx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(trx);
    await sql`INSERT INTO resellers (id, name, contact_email) VALUES (1, 'Webhook Bench', NULL)`.execute(trx);
    await sql`INSERT INTO plans (id, reseller_id, name, default_quota_bytes, alert_recipients) VALUES (1, 1, 'Bench', ${BIG}, '{reseller}')`.execute(trx);
    await sql`INSERT INTO customers (id, reseller_id, name, contact_email, plan_id) VALUES (1, 1, 'Webhook Bench Customer', 'owner@bench.test', 1)`.execute(
      trx,
    );
    const domains = [...new Set(paths.map((p) => p.slice(0, p.indexOf('/'))))];
    await sql`INSERT INTO domains (id, customer_id, name) SELECT i, 1, d FROM unnest(${domains}::text[]) WITH ORDINALITY AS t(d, i)`.execute(trx);
    await sql`
      INSERT INTO mailboxes (id, domain_id, local_part, address, password_hash, quota_bytes, maildir)
      SELECT t.i, d.id, split_part(t.p, '/', 2), split_part(t.p, '/', 2) || '@' || split_part(t.p, '/', 1), 'x', ${BIG}, t.p
        FROM unnest(${paths}::text[]) WITH ORDINALITY AS t(p, i) JOIN domains d ON d.name = split_part(t.p, '/', 1)`.execute(trx);
    for (const t of ['resellers', 'plans', 'customers', 'domains', 'mailboxes'])
      await sql`SELECT setval(pg_get_serial_sequence(${t}, 'id'), (SELECT max(id) FROM ${sql.table(t)}))`.execute(trx);
  });
  const hookIds: number[] = [];
  for (let i = 0; i < HOOKS; i++)
    hookIds.push(
      (await insertWebhook(db, { resellerId: 1 }, { url: hookUrl, events: ['quota.level_changed'], secret: `whsec_${randomBytes(24).toString('base64')}` })).id,
    );
  const setHooks = (on: boolean) => sql`UPDATE webhooks SET enabled = ${on}`.execute(db);

  // Each round flips every mailbox between ok and full on disk: a message of 2 MB (a sparse file) comes
  // into its INBOX, or goes again, against a quota of its own usage plus 1 MB.
  const bigMessage = paths.map((p, i) => path.join(dir, p, 'Maildir', 'cur', `1790000000.M${i}P1.bench,S=${EXTRA},W=${EXTRA}:2,S`));
  let full = false;
  const flip = () => {
    full = !full;
    for (const f of bigMessage) {
      if (full) {
        mkdirSync(path.dirname(f), { recursive: true });
        const fd = openSync(f, 'w');
        ftruncateSync(fd, EXTRA);
        closeSync(fd);
      } else rmSync(f, { force: true });
    }
  };
  async function round(withHooks: boolean): Promise<{ ms: number; deliveredMs: number | null; deliveries: number }> {
    await idle();
    await setHooks(withHooks);
    flip();
    await sql`UPDATE mailbox_usage SET full_scanned_at = NULL`.execute(db);
    await sql`VACUUM (ANALYZE) mailbox_usage, mailboxes`.execute(db);
    const received0 = received;
    const start = new Date();
    const t0 = performance.now();
    await queues.enqueue('scan-fanout', {}, {});
    let ms = 0;
    for (;;) {
      const { rows } = await sql<{ pending: boolean }>`
        SELECT EXISTS (SELECT 1 FROM mailboxes m LEFT JOIN mailbox_usage u ON u.mailbox_id = m.id WHERE u.disk_at IS NULL OR u.disk_at < ${start}) AS pending`.execute(
        db,
      );
      ms = performance.now() - t0;
      if (!rows[0].pending) break;
      await sleep(20);
    }
    const expected = withHooks ? params.mailboxes * HOOKS : 0;
    const deadline = Date.now() + 30 * 60_000;
    while (received - received0 < expected) {
      if (Date.now() > deadline) throw new Error(`only ${received - received0} of ${expected} deliveries arrived`);
      await sleep(50);
    }
    await idle();
    if (received - received0 !== expected) throw new Error(`${received - received0} deliveries, expected ${expected}`);
    return { ms, deliveredMs: withHooks ? lastAt - t0 : null, deliveries: received - received0 };
  }

  // Warm-up: the first round measures (no level change from nothing), then each quota is set to the
  // mailbox's own usage plus 1 MB, and a second round flips.
  full = true;
  await round(false);
  await sql`UPDATE mailboxes m SET quota_bytes = u.used_bytes + ${SLACK} FROM mailbox_usage u WHERE u.mailbox_id = m.id`.execute(db);
  await round(false);
  const without: number[] = [];
  const withHooks: number[] = [];
  const delivered: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const a = await round(false);
    without.push(a.ms);
    const b = await round(true);
    withHooks.push(b.ms);
    delivered.push(b.deliveredMs!);
    console.log(
      `rep ${i + 1}: round without webhooks ${secs(a.ms)} s, with ${HOOKS} webhooks ${secs(b.ms)} s; ${b.deliveries.toLocaleString('en')} deliveries, the last ${secs(b.deliveredMs!)} s after the round began`,
    );
  }
  const m0 = median(without);
  const m1 = median(withHooks);
  console.log(`\n${params.mailboxes.toLocaleString('en')} mailboxes changing level per round, ${HOOKS} webhooks on quota.level_changed`);
  console.log(`median round: without webhooks ${secs(m0)} s, with ${secs(m1)} s → ratio ${(m1 / m0).toFixed(2)}x`);
  console.log(`median time to the last of ${(params.mailboxes * HOOKS).toLocaleString('en')} deliveries: ${secs(median(delivered))} s after the round began`);
  finished();
} finally {
  await cleanup();
}
