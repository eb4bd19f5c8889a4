import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync, lstatSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { createDb } from '../db/database.js';
import { ensureDatabase, migrateToLatest } from '../db/migrate.js';
import { ALERTS_QUEUE } from '../jobs/queue/registry.js';
import { MAINTENANCE_QUEUE, scanQueueName } from '../jobs/queue/queues.js';
import { startWorkers } from '../jobs/worker.js';
import { buildApp } from '../server/web/app.js';
import { loadConfig } from '../server/platform/config.js';
import { PolicyClient } from '../server/policy/client.js';
import { startPolicyServer } from '../server/policy/server.js';
import { createRedis } from '../server/platform/redis.js';
import { seedTenants } from '../test/support/fixtures.js';
import { startSink } from '../test/support/smtp-sink.js';

// Soak: every part running together for a while (default 10 minutes) under a mix of API writes,
// mail arriving and leaving on disk, scans and policy checks; then the invariants are checked.
//   npx tsx bench/soak.ts [--minutes 10] [--mailboxes 200]

const { values: args } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, mailboxes: { type: 'string', default: '200' } } });
const MINUTES = Number(args.minutes);
const MAILBOXES = Number(args.mailboxes);
const MB = 1024 * 1024;

const admin = 'postgres://postgres@127.0.0.1:5432';
const dbName = `mailpanel_soak_${randomBytes(4).toString('hex')}`;
const url = `${admin}/${dbName}`;
const root = mkdtempSync(path.join(os.tmpdir(), 'mp-soak-'));
const prefix = `mpsoak:${randomBytes(3).toString('hex')}`;
const logger = pino({ level: 'warn' });
const counts: Record<string, number> = {};
const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);

await ensureDatabase(url);
await migrateToLatest(url);
const db = createDb(url, 20);
const w = await seedTenants(db, 'soak');
const domain = w.A.domain.name;
const d = await db.selectFrom('domains').select('id').where('name', '=', domain).executeTakeFirstOrThrow();
await sql`INSERT INTO mailboxes (domain_id, local_part, address, password_hash, quota_bytes, maildir)
          SELECT ${d.id}, 's' || i, 's' || i || '@' || ${domain}, 'x', 2 * 1024 * 1024, ${domain} || '/s' || i FROM generate_series(1, ${MAILBOXES}) i`.execute(
  db,
);
const boxes = await db.selectFrom('mailboxes').select(['id', 'address', 'maildir']).where('domain_id', '=', d.id).execute();

const sink = await startSink();
const config = loadConfig({
  DATABASE_URL: url,
  REDIS_PREFIX: prefix,
  MAIL_ROOT: root,
  SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
  SCAN_INTERVAL_MINUTES: '1',
  ALERT_RETRY_BASE_MS: '500',
  LOG_LEVEL: 'warn',
});
const redis = createRedis(config.redisUrl);
await redis.connect();
const app = await buildApp({ config, db, redis, loggerInstance: logger });
await app.listen({ host: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
const workers = await startWorkers(config, db, logger, { maintenance: true });
const policy = await startPolicyServer({ db, databaseUrl: url, host: '127.0.0.1', port: 0, logger });

const pick = <T>(a: T[]) => a[Math.floor(Math.random() * a.length)];
const api = (method: string, p: string, body?: object) =>
  fetch(`${base}/api/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${w.A.key}`, ...(body && { 'content-type': 'application/json' }) },
    body: body && JSON.stringify(body),
  });

let seq = 0;
function deliver(maildir: string) {
  const dir = path.join(root, maildir, 'Maildir', Math.random() < 0.3 ? '.Archive' : '', 'new');
  mkdirSync(dir, { recursive: true });
  const size = 2000 + Math.floor(Math.random() * 60_000);
  writeFileSync(path.join(dir, `${Date.now()}.M${seq++}P1.soak,S=${size}:2,`), Buffer.alloc(size));
}
function expunge(maildir: string) {
  for (const sub of ['new', '.Archive/new']) {
    const dir = path.join(root, maildir, 'Maildir', sub);
    const files = (() => {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    })();
    if (files.length) unlinkSync(path.join(dir, pick(files)));
  }
}

const end = Date.now() + MINUTES * 60_000;
const loops = [
  // API writes: quotas up and down (re-evaluating levels and alerts), protocol switches.
  async () => {
    const b = pick(boxes);
    const r = Math.random();
    const res =
      r < 0.5
        ? await api('PATCH', `/mailboxes/${b.address}`, { quotaBytes: pick([0.5, 1, 2]) * MB })
        : await api('PATCH', `/mailboxes/${b.address}`, { pop3: Math.random() < 0.5 });
    bump(`api ${res.status}`);
    await new Promise((r) => setTimeout(r, 20));
  },
  // Mail arriving and being deleted on disk.
  async () => {
    const b = pick(boxes);
    if (Math.random() < 0.7) deliver(b.maildir);
    else expunge(b.maildir);
    bump('disk changes');
    await new Promise((r) => setTimeout(r, 10));
  },
  // "Scan now" from the API.
  async () => {
    const res = await api('POST', `/mailboxes/${pick(boxes).address}/scan`);
    bump(`scan now ${res.status}`);
    await new Promise((r) => setTimeout(r, 50));
  },
];
const policyClients = await Promise.all([1, 2, 3, 4].map(() => PolicyClient.connect('127.0.0.1', policy.port)));
const policyLoops = policyClients.map((c) => async () => {
  const action = await c.request({ request: 'smtpd_access_policy', protocol_state: 'RCPT', recipient: pick(boxes).address, size: 5000 });
  bump(`policy ${action.split(' ')[0]}`);
});

console.log(`soak: ${MAILBOXES} mailboxes for ${MINUTES} min (db ${dbName}, redis prefix ${prefix})`);
const ticker = setInterval(() => console.log(`${new Date().toISOString()} ${JSON.stringify(counts)}`), 30_000);
await Promise.all(
  [...loops, ...policyLoops].map(async (fn) => {
    while (Date.now() < end) await fn().catch((e) => bump(`error ${(e as Error).message.slice(0, 40)}`));
  }),
);
clearInterval(ticker);
for (const c of policyClients) c.close();

// Settle: one full scan of everything, then wait for every queue to drain.
console.log('load stopped; final full scan and drain');
const settleStart = new Date();
await workers.queues.get(MAINTENANCE_QUEUE).add('scan-fanout', { full: true });
const queues = [MAINTENANCE_QUEUE, scanQueueName('local'), ALERTS_QUEUE].map((q) => workers.queues.get(q));
for (;;) {
  const c = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized')));
  // The maintenance queue always holds its schedulers' next runs as delayed jobs.
  const left = c.reduce((n, x, i) => n + x.waiting + x.active + (queues[i].name === MAINTENANCE_QUEUE ? 0 : x.delayed) + x.prioritized, 0);
  const stale = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM mailbox_usage WHERE scanned_at < ${settleStart}`.execute(db)).rows[0].n);
  if (left === 0 && stale === 0) break;
  await new Promise((r) => setTimeout(r, 500));
}

// Invariants.
const onDisk = (maildir: string) => {
  let bytes = 0;
  let messages = 0;
  const walk = (dir: string) => {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(dir, n);
      if (lstatSync(p).isDirectory()) walk(p);
      else {
        bytes += lstatSync(p).size;
        messages++;
      }
    }
  };
  walk(path.join(root, maildir, 'Maildir'));
  return { bytes, messages };
};
const usage = new Map((await db.selectFrom('mailbox_usage').select(['mailbox_id', 'used_bytes', 'messages']).execute()).map((u) => [u.mailbox_id, u]));
let wrong = 0;
for (const b of boxes) {
  const disk = onDisk(b.maildir);
  const u = usage.get(b.id);
  if (!u || u.used_bytes !== disk.bytes || u.messages !== disk.messages) wrong++;
}
// The copies the list indexes sort on (mailboxes.used_bytes / usage_level) must equal the usage rows.
const copyDrift = Number(
  (
    await sql<{ n: string }>`SELECT count(*) AS n FROM mailboxes m LEFT JOIN mailbox_usage u ON u.mailbox_id = m.id
                                                   WHERE m.used_bytes IS DISTINCT FROM u.used_bytes OR m.usage_level IS DISTINCT FROM u.level`.execute(db)
  ).rows[0].n,
);
const failed = (await Promise.all(queues.map((q) => q.getJobCounts('failed')))).reduce((n, c) => n + c.failed, 0);
const dupAlerts = Number(
  (await sql<{ n: string }>`SELECT count(*) AS n FROM (SELECT 1 FROM alerts GROUP BY mailbox_id, episode, kind, level HAVING count(*) > 1) x`.execute(db))
    .rows[0].n,
);
const sentDeliveries = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM alert_deliveries WHERE status = 'sent'`.execute(db)).rows[0].n);
const messageIds = sink.received.map((m) => /Message-ID: (<[^>]+>)/i.exec(m.raw)?.[1]);
const dupMails = messageIds.length - new Set(messageIds).size;

const rows: [string, string, boolean][] = [
  ['mailboxes whose usage is not their last scan of the disk', String(wrong), wrong === 0],
  ['mailbox rows whose usage copy differs from their usage row', String(copyDrift), copyDrift === 0],
  ['failed jobs', String(failed), failed === 0],
  ['jobs left in queues', '0', true],
  ['duplicate alerts (same crossing twice)', String(dupAlerts), dupAlerts === 0],
  ['alert emails received / deliveries marked sent', `${sink.received.length} / ${sentDeliveries}`, sink.received.length === sentDeliveries],
  ['duplicate alert emails (same Message-ID)', String(dupMails), dupMails === 0],
];
console.log('\nactivity:', JSON.stringify(counts));
console.log('\n| invariant | value | holds |\n|---|---|---|');
for (const [k, v, ok] of rows) console.log(`| ${k} | ${v} | ${ok ? 'yes' : 'NO'} |`);

await policy.close();
await workers.stop();
await app.close();
redis.disconnect();
await sink.close();
await db.destroy();
const a = new pg.Client({ connectionString: `${admin}/postgres` });
await a.connect();
await a.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
await a.end();
const keys = await (async () => {
  const r = createRedis(config.redisUrl);
  await r.connect();
  const k = await r.keys(`${prefix}:*`);
  if (k.length) await r.del(...k);
  r.disconnect();
  return k.length;
})();
void keys;
rmSync(root, { recursive: true, force: true });
process.exit(rows.every((r) => r[2]) ? 0 : 1);
