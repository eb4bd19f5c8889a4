// "Change -> visible": how long after a delivery or an expunge the panel's API and the policy service
// show the new usage, through the real path: Dovecot's quota_clone -> dict -> dovecot_quota (trigger,
// NOTIFY) -> the central worker's UsageFeed -> writeUsage -> mailbox_usage (NOTIFY) -> the policy
// service's cache, and the API reading the row.
//
//   npx tsx bench/feed-latency.ts            (root, Dovecot + Postfix installed; about 2 minutes)
//   --deliveries 200 --mailboxes 20 --smtp 40 --expunges 50 --close-expunges 5 --open-expunges 5
//   --layout split|one   split (default): web, worker and policy as three processes (ROLES=web / worker /
//                        policy, as production splits them); one: one process with every role (npm start)
//   --keep-db            keep the database (dropped by default)
//
// Everything runs on 127.0.0.1: a fresh database migrated by server/startup.ts prepareDatabase, the
// product as child processes (server/main.ts), the mail stack of deploy/local-stack.ts on that database
// with Postfix asking our policy service. Tenants through the services (reseller, API key) and the API
// (customer, domain, mailboxes). Events run one at a time (no queueing behind each other), round robin
// over the mailboxes:
//
// * LMTP deliveries straight to Dovecot; the clock starts at Dovecot's 250 after the message's final dot.
// * SMTP deliveries through Postfix (its policy check at RCPT, queue, LMTP): from Postfix's 250 (queued).
// * IMAP expunges: login, SELECT, UID STORE \Deleted + UID EXPUNGE; from the EXPUNGE's tagged OK:
//   (i) then LOGOUT (quota_clone flushes when the mailbox closes); (ii) then CLOSE, staying logged in;
//   (iii) staying selected (quota_clone's 10 s timer).
//
// "Visible" is measured twice, concurrently, by polling from this process:
// (a) the API: GET /api/v1/mailboxes/{address}/usage with a reseller's API key, every ~5 ms, until
//     usedBytes differs from the figure before the event (then it must equal Dovecot's row);
// (b) the policy service: a RCPT request over one persistent connection with a declared SIZE chosen
//     so that the decision flips exactly when the service's cached usage moves off the figure before
//     the event. Before a delivery (usage U, quota Q): SIZE = Q - U fits (U + SIZE = Q, DUNNO) and any
//     delivery makes it not fit (552). Before an expunge: SIZE = Q - U + 1 does not fit (552) and any
//     expunge makes it fit (DUNNO). Before every event both sides are checked (the cache holds exactly
//     U: DUNNO at Q - U and 552 at Q - U + 1), so a flip can only come from this event.
// Beside that, this process LISTENs on the two channels and stamps when Dovecot's row was written
// (mailpanel_usage_feed) and when the worker committed mailbox_usage (mailpanel_mailbox): the breakdown.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ImapFlow } from 'imapflow';
import { sql } from 'kysely';
import pg from 'pg';
import { OPERATOR_SYSTEM } from '../server/services/auth/principal.js';
import { PolicyClient } from '../server/policy/client.js';
import { createApiKey } from '../server/services/api-keys/service.js';
import { createReseller } from '../server/services/resellers/service.js';
import { LineClient, freePorts, mailStackInstalled, makeMessage, startMailStack, type MailStack } from '../deploy/local-stack.js';
import { type Child, deleteRedisKeys, freshBenchDb, machineJiffies, pct, procCpuSeconds, sleep, startChild } from './procs.js';
import { benchTeardown } from './teardown.js';

const { values: args } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '200' },
    mailboxes: { type: 'string', default: '20' },
    smtp: { type: 'string', default: '40' },
    expunges: { type: 'string', default: '50' },
    'close-expunges': { type: 'string', default: '5' },
    'open-expunges': { type: 'string', default: '5' },
    layout: { type: 'string', default: 'split' },
    'keep-db': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: npx tsx bench/feed-latency.ts [--deliveries 200] [--mailboxes 20] [--smtp 40] [--expunges 50] [--close-expunges 5] [--open-expunges 5] [--layout split|one] [--keep-db]',
  );
  process.exit(0);
}
const int = (k: keyof typeof args, min: number) => {
  const n = Number(args[k]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${k} must be an integer >= ${min}`);
  return n;
};
const DELIVERIES = int('deliveries', 1);
const MAILBOXES = int('mailboxes', 1);
const SMTP = int('smtp', 0);
const EXPUNGES = int('expunges', 0);
const CLOSE_EXPUNGES = int('close-expunges', 0);
const OPEN_EXPUNGES = int('open-expunges', 0);
if (!['split', 'one'].includes(args.layout!)) throw new Error('--layout must be split or one');
if (EXPUNGES + CLOSE_EXPUNGES + OPEN_EXPUNGES > DELIVERIES + SMTP) throw new Error('more expunges than messages delivered');

const QUOTA = 1024 ** 3; // 1 GiB: every delivery fits, so Dovecot never refuses one
const PASSWORD = 'feed-bench-password-2026';
const SENDER = 'sender@outside.test';
const API_GAP_MS = 5;
const POLICY_GAP_MS = 2;
const EVENT_TIMEOUT_MS = 30_000;
const TARGET_P99_MS = 1000;

const { cleanups, cleanup, finished } = benchTeardown('feed-latency', 20 * 60_000);

// ------------------------------------------------------------------------------------------------
// Observation

interface Usage {
  usedBytes: number | null;
  messages: number | null;
  source: string | null;
  scannedAt: string | null;
  diskBytes: number | null;
  diskScannedAt: string | null;
  drift: { bytes: number } | null;
}

let base = '';
let apiKey = '';
const headers = () => ({ authorization: `Bearer ${apiKey}` });

async function api(method: string, p: string, body?: object): Promise<Response> {
  return fetch(`${base}/api/v1${p}`, {
    method,
    headers: { ...headers(), ...(body && { 'content-type': 'application/json' }) },
    body: body && JSON.stringify(body),
  });
}

async function usage(address: string): Promise<Usage> {
  const r = await api('GET', `/mailboxes/${encodeURIComponent(address)}/usage`);
  if (r.status !== 200) throw new Error(`GET usage of ${address}: ${r.status} ${await r.text()}`);
  return (await r.json()) as Usage;
}

/** Polls the API until `ok`; resolves with the time the satisfying answer arrived. */
async function apiUntil(address: string, ok: (u: Usage) => boolean, since: number): Promise<{ t: number; value: Usage; polls: number }> {
  let polls = 0;
  for (;;) {
    const value = await usage(address);
    const t = performance.now();
    polls++;
    if (ok(value)) return { t, value, polls };
    if (t - since > EVENT_TIMEOUT_MS) throw new Error(`API: ${address} still at ${JSON.stringify(value)} after ${EVENT_TIMEOUT_MS} ms`);
    await sleep(API_GAP_MS);
  }
}

let policy: PolicyClient;
let policyPort = 0;
const ask = (recipient: string, size: number) =>
  policy.request({ request: 'smtpd_access_policy', protocol_state: 'RCPT', recipient, sender: SENDER, size, client_address: '127.0.0.1' });
const refused = (action: string) => action.startsWith('552');

/** Polls the policy service until `ok`; resolves with the time of the satisfying answer. */
async function policyUntil(address: string, size: number, ok: (action: string) => boolean, since: number): Promise<{ t: number; polls: number }> {
  let polls = 0;
  for (;;) {
    const action = await ask(address, size);
    const t = performance.now();
    polls++;
    if (ok(action)) return { t, polls };
    if (t - since > EVENT_TIMEOUT_MS) throw new Error(`policy: ${address} still answers "${action}" for SIZE=${size} after ${EVENT_TIMEOUT_MS} ms`);
    await sleep(POLICY_GAP_MS);
  }
}

/** The policy cache holds exactly `used` for this mailbox: Q - used fits, Q - used + 1 does not. */
async function policyHolds(address: string, used: number): Promise<boolean> {
  const [fits, over] = await Promise.all([ask(address, QUOTA - used), ask(address, QUOTA - used + 1)]);
  return fits === 'DUNNO' && refused(over);
}

/** Notifications seen by this process, per channel and payload, stamped on arrival. */
const heard = new Map<string, number[]>();
function heardAfter(channel: string, payload: string, since: number): number | null {
  return heard.get(`${channel} ${payload}`)?.find((t) => t >= since) ?? null;
}

// ------------------------------------------------------------------------------------------------
// Mail

/** One SMTP or LMTP transaction on a fresh connection; returns when the reply to the final dot came. */
async function transact(port: number, lmtp: boolean, to: string, message: string): Promise<{ code: number; text: string; doneAt: number; startedAt: number }> {
  const startedAt = performance.now();
  const c = await LineClient.connect(port, 30_000);
  try {
    const expect = async (line: string | null, code: number) => {
      const r = line === null ? await c.readReply() : await c.command(line);
      if (r.code !== code) throw new Error(`${line ?? 'greeting'}: ${r.code} ${r.text}`);
      return r;
    };
    await expect(null, 220);
    await expect(`${lmtp ? 'LHLO' : 'EHLO'} client.bench.test`, 250);
    await expect(`MAIL FROM:<${SENDER}>`, 250);
    await expect(`RCPT TO:<${to}>`, 250);
    await expect('DATA', 354);
    const body = message.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    c.write(`${body}${body.endsWith('\r\n') ? '' : '\r\n'}.\r\n`);
    const r = await c.readReply();
    const doneAt = performance.now();
    await c.command('QUIT').catch(() => undefined);
    return { ...r, doneAt, startedAt };
  } finally {
    c.close();
  }
}

/** Sizes from 1 KB to 2 MB, log-uniform, deterministic. */
function sizes(n: number, seed: number): number[] {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => Math.round(1000 * Math.exp(rand() * Math.log(2000))));
}

// ------------------------------------------------------------------------------------------------
// One event, measured

interface Sample {
  kind: string;
  address: string;
  /** ms from the event's end (250 / EXPUNGE OK) to: */
  apiMs: number;
  policyMs: number;
  /** Dovecot's row written (NOTIFY heard), relative to the event's end; may be negative. */
  feedMs: number | null;
  /** mailbox_usage committed by the worker (NOTIFY heard). */
  usageMs: number | null;
  /** The event itself: SMTP/LMTP transaction, or LOGOUT after the expunge. */
  extraMs?: number;
  bytesDelta: number;
}

const samples: Sample[] = [];
const problems: string[] = [];

async function dovecotRow(address: string): Promise<{ bytes: number; messages: number } | undefined> {
  return (
    await sql<{
      bytes: number;
      messages: number;
    }>`SELECT bytes::float8 AS bytes, messages::int AS messages FROM dovecot_quota WHERE username = ${address}`.execute(benchDb.db)
  ).rows[0];
}

/** Waits until the API and the policy agree with Dovecot's row for this mailbox; returns the figure. */
async function settled(address: string): Promise<Usage> {
  const since = performance.now();
  for (;;) {
    const [u, d] = await Promise.all([usage(address), dovecotRow(address)]);
    const used = u.usedBytes ?? 0;
    if ((d === undefined ? u.usedBytes !== null : u.usedBytes === d.bytes && u.messages === d.messages) && (await policyHolds(address, used))) return u;
    if (performance.now() - since > EVENT_TIMEOUT_MS) throw new Error(`${address} does not settle: API ${JSON.stringify(u)}, Dovecot ${JSON.stringify(d)}`);
    await sleep(20);
  }
}

/**
 * Measures one event: `act` performs it and returns the moment it ended (and anything to time beside);
 * `after` runs once the change is visible (e.g. LOGOUT of a session kept open).
 */
async function measure(
  kind: string,
  address: string,
  direction: 'up' | 'down',
  act: () => Promise<{ endAt: number; startAt: number; extraMs?: number }>,
): Promise<Sample> {
  const before = await settled(address);
  const used = before.usedBytes ?? 0;
  // Up: Q - used fits now, and stops fitting when usage grows. Down: Q - used + 1 does not fit now, and fits once it shrinks.
  const size = direction === 'up' ? QUOTA - used : QUOTA - used + 1;
  const { endAt, startAt, extraMs } = await act();
  const [a, p] = await Promise.all([
    apiUntil(address, (u) => u.usedBytes !== before.usedBytes, endAt),
    // DUNNO exactly: a DEFER (cache not fresh) is neither answer.
    policyUntil(address, size, (action) => (direction === 'up' ? refused(action) : action === 'DUNNO'), endAt),
  ]);
  const moved = (a.value.usedBytes ?? 0) - used;
  if (direction === 'up' ? moved <= 0 : moved >= 0) problems.push(`${kind} ${address}: usage moved by ${moved}`);
  const d = await dovecotRow(address);
  if (!d || d.bytes !== a.value.usedBytes) {
    // A later write may still come (quota_clone writes bytes and messages in one transaction, so it should not).
    problems.push(`${kind} ${address}: API showed ${a.value.usedBytes} first, Dovecot's row says ${d?.bytes}`);
  }
  if (a.value.source !== 'dovecot') problems.push(`${kind} ${address}: source ${a.value.source}`);
  const feedAt = heardAfter('mailpanel_usage_feed', address, startAt);
  const usageAt = heardAfter('mailpanel_mailbox', address, feedAt ?? startAt);
  const s: Sample = {
    kind,
    address,
    apiMs: a.t - endAt,
    policyMs: p.t - endAt,
    feedMs: feedAt === null ? null : feedAt - endAt,
    usageMs: usageAt === null ? null : usageAt - endAt,
    extraMs,
    bytesDelta: moved,
  };
  samples.push(s);
  return s;
}

// ------------------------------------------------------------------------------------------------

const benchDb = await freshBenchDb('mailpanel_feed_', 4);
const keepDb = args['keep-db'];
cleanups.push(async () => (keepDb ? console.log(`kept database ${benchDb.name}`) : benchDb.drop()));
const redisPrefix = `mpfeed:${randomBytes(4).toString('hex')}`;
cleanups.push(async () => void (await deleteRedisKeys(redisPrefix)));
const logDir = mkdtempSync(path.join(os.tmpdir(), 'mailpanel-feed-bench-'));
cleanups.push(async () => rmSync(logDir, { recursive: true, force: true }));

let stack: MailStack | undefined;
const children: Child[] = [];
let exitCode = 1;
try {
  if (!mailStackInstalled() || process.getuid?.() !== 0) throw new Error('needs root and Dovecot + Postfix (test/mail-stack/install.sh)');
  console.log(
    `feed-latency: database ${benchDb.name}, Redis prefix ${redisPrefix}, layout ${args.layout}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} on ${os.cpus().length} cores`,
  );

  // Listen before anything can happen.
  const listener = new pg.Client({ connectionString: benchDb.url, application_name: 'feed-bench-listener' });
  await listener.connect();
  cleanups.push(() => listener.end());
  listener.on('notification', (m) => {
    const key = `${m.channel} ${m.payload}`;
    const list = heard.get(key) ?? [];
    list.push(performance.now());
    heard.set(key, list);
  });
  await listener.query('LISTEN mailpanel_usage_feed');
  await listener.query('LISTEN mailpanel_mailbox');

  const [webPort, pPort, eventsPort] = await freePorts(3);
  policyPort = pPort;
  const t0 = performance.now();
  // Dovecot posts expunge events to the worker (DOVECOT_EVENTS_PORT), as npm run stack sets it up.
  stack = await startMailStack({ databaseUrl: benchDb.url, policyPort, vars: { EVENTS_PORT: String(eventsPort) } });
  const theStack = stack;
  cleanups.push(() => theStack.stop());
  console.log(`mail stack up in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify(stack.ports)}`);

  const env: Record<string, string> = {
    DATABASE_URL: benchDb.url,
    REDIS_PREFIX: redisPrefix,
    MAIL_ROOT: stack.mailRoot,
    STORAGE_NODE: 'local',
    HOST: '127.0.0.1',
    PORT: String(webPort),
    PUBLIC_URL: `http://127.0.0.1:${webPort}`,
    COOKIE_SECURE: 'false',
    POLICY_HOST: '127.0.0.1',
    POLICY_PORT: String(policyPort),
    SMTP_URL: `smtp://127.0.0.1:${stack.ports.smtp}`,
    NOTICE_LMTP_URL: `lmtp://127.0.0.1:${stack.ports.lmtpNotice}`,
    ALERT_FROM: 'Panel <postmaster@outside.test>',
    DOVEADM: `doveadm -c ${path.join(stack.dir, 'dovecot', 'dovecot.conf')}`,
    DOVECOT_EVENTS_PORT: String(eventsPort),
    NODE_ENV: 'production',
  };
  // The worker logs "workers started" at info; the web role would log every poll at info (so in one
  // process the log stays at warn, and the worker is known to run when it has measured the new mailboxes).
  const roles =
    args.layout === 'one'
      ? [['all', 'web,worker,policy', 'warn']]
      : [
          ['worker', 'worker', 'info'],
          ['policy', 'policy', 'warn'],
          ['web', 'web', 'warn'],
        ];
  for (const [name, r, level] of roles) {
    const c = startChild(name, 'server/main.ts', [], { ...env, ROLES: r, LOG_LEVEL: level }, path.join(logDir, `${name}.log`));
    children.push(c);
    cleanups.push(() => c.stop());
  }
  base = `http://127.0.0.1:${webPort}`;
  await Promise.all(children.filter((c) => c.name === 'worker').map((c) => c.waitForLog('workers started')));
  for (const deadline = Date.now() + 60_000; ; ) {
    const ok = await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`web did not start:\n${children.map((c) => c.log()).join('\n')}`);
    await sleep(100);
  }
  for (const deadline = Date.now() + 60_000; ; ) {
    try {
      policy = await PolicyClient.connect('127.0.0.1', policyPort);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error('policy service did not start');
      await sleep(100);
    }
  }
  cleanups.push(async () => policy.close());
  console.log(`product up: ${children.map((c) => `${c.name} pid ${c.pid}`).join(', ')}`);

  // Tenants: reseller and its API key through the services (operators make resellers), the rest through the API.
  const reseller = await createReseller(benchDb.db, OPERATOR_SYSTEM, { name: 'Feed Bench Reseller', contactEmail: 'reseller@bench.test' });
  apiKey = (await createApiKey(benchDb.db, { ...OPERATOR_SYSTEM, role: 'reseller', resellerId: reseller.id }, { name: 'feed bench', readOnly: false })).key;
  const cust = await api('POST', '/customers', { name: 'Feed Bench Customer', contactEmail: 'owner@customer.test' });
  if (cust.status !== 201) throw new Error(`POST /customers: ${cust.status} ${await cust.text()}`);
  const customerId = ((await cust.json()) as { id: number }).id;
  const domain = 'feed-bench.example';
  const dom = await api('POST', `/customers/${customerId}/domains`, { name: domain });
  if (dom.status !== 201) throw new Error(`POST domain: ${dom.status} ${await dom.text()}`);
  const addresses: string[] = [];
  for (let i = 0; i < MAILBOXES; i++) {
    const localPart = `user${String(i).padStart(2, '0')}`;
    const r = await api('POST', `/domains/${domain}/mailboxes`, { localPart, password: PASSWORD, quotaBytes: QUOTA });
    if (r.status !== 201) throw new Error(`POST mailbox: ${r.status} ${await r.text()}`);
    addresses.push(`${localPart}@${domain}`);
  }
  // New mailboxes are measured at once (a scan job each): wait for that, so no scan runs during the events.
  for (const a of addresses) await apiUntil(a, (u) => u.usedBytes !== null, performance.now());
  console.log(`${MAILBOXES} mailboxes of ${QUOTA / 1024 ** 3} GiB created through the API and measured`);

  const cpu0 = children.map((c) => procCpuSeconds(c.pid));
  const machine0 = machineJiffies();
  const load0 = os.loadavg()[0];
  const tRun = performance.now();

  // Warm-up: one delivery per mailbox (creates the Maildir and Dovecot's row; first-time paths), not counted.
  for (const a of addresses) {
    const r = await transact(stack.ports.lmtp, true, a, makeMessage({ from: SENDER, to: a, subject: 'warm-up', padTo: 2000 }));
    if (r.code !== 250) throw new Error(`warm-up delivery to ${a}: ${r.code} ${r.text}`);
  }
  for (const a of addresses) await settled(a);

  const lmtpSizes = sizes(DELIVERIES, 1);
  for (let i = 0; i < DELIVERIES; i++) {
    const a = addresses[i % addresses.length];
    const message = makeMessage({ from: SENDER, to: a, subject: `lmtp ${i}`, padTo: lmtpSizes[i] });
    await measure('lmtp', a, 'up', async () => {
      const r = await transact(stack!.ports.lmtp, true, a, message);
      if (r.code !== 250) throw new Error(`LMTP delivery to ${a}: ${r.code} ${r.text}`);
      return { endAt: r.doneAt, startAt: r.startedAt, extraMs: r.doneAt - r.startedAt };
    });
    if ((i + 1) % 50 === 0) console.log(`  ${i + 1}/${DELIVERIES} LMTP deliveries measured`);
  }

  const smtpSizes = sizes(SMTP, 2);
  for (let i = 0; i < SMTP; i++) {
    const a = addresses[i % addresses.length];
    const message = makeMessage({ from: SENDER, to: a, subject: `smtp ${i}`, padTo: smtpSizes[i] });
    await measure('smtp', a, 'up', async () => {
      const r = await transact(stack!.ports.smtp, false, a, message);
      if (r.code !== 250) throw new Error(`SMTP delivery to ${a}: ${r.code} ${r.text}`);
      return { endAt: r.doneAt, startAt: r.startedAt, extraMs: r.doneAt - r.startedAt };
    });
  }
  if (SMTP) console.log(`  ${SMTP} SMTP deliveries through Postfix measured`);

  /** Logs in, selects INBOX, deletes the newest message; `finish` decides what the session does next. */
  async function expunge(kind: string, a: string, finish: 'logout' | 'close' | 'open') {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: stack!.ports.imap,
      secure: false,
      doSTARTTLS: false,
      auth: { user: a, pass: PASSWORD },
      logger: false,
    });
    client.on('error', () => {});
    await client.connect();
    try {
      await client.mailboxOpen('INBOX');
      const uids = (await client.search({ all: true }, { uid: true })) || [];
      if (uids.length === 0) throw new Error(`${a}: nothing left to expunge`);
      const uid = Math.max(...uids);
      await measure(kind, a, 'down', async () => {
        const startAt = performance.now();
        // STORE +FLAGS (\Deleted) and UID EXPUNGE; resolves on EXPUNGE's tagged OK.
        const ok = await client.messageDelete(String(uid), { uid: true });
        const endAt = performance.now();
        if (!ok) throw new Error(`${a}: expunge of uid ${uid} failed`);
        let extraMs: number | undefined;
        if (finish === 'logout') {
          await client.logout();
          extraMs = performance.now() - endAt;
        } else if (finish === 'close') {
          await client.mailboxClose();
          extraMs = performance.now() - endAt;
        }
        return { endAt, startAt, extraMs };
      });
    } finally {
      if (client.usable) await client.logout().catch(() => client.close());
      else client.close();
    }
  }

  for (let i = 0; i < EXPUNGES; i++) await expunge('expunge+logout', addresses[i % addresses.length], 'logout');
  if (EXPUNGES) console.log(`  ${EXPUNGES} expunges followed by LOGOUT measured`);
  for (let i = 0; i < CLOSE_EXPUNGES; i++) await expunge('expunge+close', addresses[(i + 3) % addresses.length], 'close');
  if (CLOSE_EXPUNGES) console.log(`  ${CLOSE_EXPUNGES} expunges followed by CLOSE (still logged in) measured`);
  for (let i = 0; i < OPEN_EXPUNGES; i++) await expunge('expunge, session open', addresses[(i + 7) % addresses.length], 'open');
  if (OPEN_EXPUNGES) console.log(`  ${OPEN_EXPUNGES} expunges in a session kept open measured`);

  const runSeconds = (performance.now() - tRun) / 1000;
  const cpu = children.map((c, i) => procCpuSeconds(c.pid) - cpu0[i]);
  const machine1 = machineJiffies();
  const busy = (machine1.busy - machine0.busy) / (machine1.total - machine0.total);

  // Disk against Dovecot: every mailbox scanned now must agree with the figure the feed gave.
  for (const a of addresses) {
    const r = await api('POST', `/mailboxes/${encodeURIComponent(a)}/scan`);
    if (r.status !== 202) problems.push(`scan of ${a}: ${r.status}`);
  }
  let drifted = 0;
  for (const a of addresses) {
    const d = await dovecotRow(a);
    const { value } = await apiUntil(
      a,
      (u) => u.diskScannedAt !== null && Date.parse(u.diskScannedAt) > Date.now() - 60_000 && u.diskBytes !== null && u.source === 'scan',
      performance.now(),
    );
    if (value.diskBytes !== d?.bytes || value.drift) {
      drifted++;
      problems.push(`${a}: disk ${value.diskBytes}, Dovecot ${d?.bytes}, drift ${JSON.stringify(value.drift)}`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  const fmt = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const row = (label: string, xs: (number | null | undefined)[]) => {
    const v = xs.filter((x): x is number => typeof x === 'number').sort((a, b) => a - b);
    return `| ${label} | ${v.length} | ${fmt(pct(v, 50))} | ${fmt(pct(v, 99))} | ${fmt(v[v.length - 1])} |`;
  };
  const kinds = [...new Set(samples.map((s) => s.kind))];
  console.log();
  console.log(
    `feed-latency results: ${samples.length} events in ${runSeconds.toFixed(1)} s; layout ${args.layout}; load average ${load0.toFixed(2)} -> ${os.loadavg()[0].toFixed(2)}; machine busy ${(busy * 100).toFixed(0)}% of ${os.cpus().length} cores`,
  );
  console.log(`product CPU during the events: ${children.map((c, i) => `${c.name} ${cpu[i].toFixed(1)} s`).join(', ')}`);
  console.log();
  console.log('| ms after the event ends | n | p50 | p99 | max |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  const labels: Record<string, string> = {
    lmtp: "LMTP delivery (from Dovecot's 250)",
    smtp: "SMTP via Postfix (from Postfix's 250, queued)",
    'expunge+logout': 'IMAP expunge, then LOGOUT (from EXPUNGE OK)',
    'expunge+close': 'IMAP expunge, then CLOSE, still logged in',
    'expunge, session open': 'IMAP expunge, session kept open',
  };
  const verdicts: string[] = [];
  for (const k of kinds) {
    const ks = samples.filter((s) => s.kind === k);
    console.log(
      row(
        `**${labels[k] ?? k}** → API shows it`,
        ks.map((s) => s.apiMs),
      ),
    );
    console.log(
      row(
        `… → policy decides on it`,
        ks.map((s) => s.policyMs),
      ),
    );
    console.log(
      row(
        `… → Dovecot's row written (NOTIFY)`,
        ks.map((s) => s.feedMs),
      ),
    );
    console.log(
      row(
        `… → mailbox_usage committed (NOTIFY)`,
        ks.map((s) => s.usageMs),
      ),
    );
    const extra =
      k === 'lmtp' || k === 'smtp'
        ? 'the transaction itself (connect to 250)'
        : k === 'expunge+logout'
          ? 'LOGOUT round trip'
          : k === 'expunge+close'
            ? 'CLOSE round trip'
            : null;
    if (extra)
      console.log(
        row(
          `… ${extra}`,
          ks.map((s) => s.extraMs),
        ),
      );
    const worst = Math.max(...ks.map((s) => Math.max(s.apiMs, s.policyMs)));
    const p99 = Math.max(
      pct(
        ks.map((s) => s.apiMs).sort((a, b) => a - b),
        99,
      ),
      pct(
        ks.map((s) => s.policyMs).sort((a, b) => a - b),
        99,
      ),
    );
    verdicts.push(
      `  ${(labels[k] ?? k).padEnd(48)} p99 ${fmt(p99).padStart(6)} ms (max ${fmt(worst)}): ${p99 < TARGET_P99_MS ? 'meets' : 'MISSES'} p99 < ${TARGET_P99_MS} ms`,
    );
  }
  console.log();
  console.log('against the target (API and policy, the later of the two):');
  for (const v of verdicts) console.log(v);
  console.log();
  console.log(`disk scan after the events: ${MAILBOXES - drifted}/${MAILBOXES} mailboxes agree with Dovecot's figure to the byte`);
  if (problems.length) {
    console.log(`${problems.length} problem(s):`);
    for (const p of problems.slice(0, 30)) console.log(`  ${p}`);
  } else console.log('every first figure the API showed was Dovecot\'s row, with source "dovecot"; no problems');
  const errors = children
    .map(
      (c) =>
        [
          c.name,
          c
            .log()
            .split('\n')
            .filter((l) => /"level":(50|60)/.test(l)),
        ] as const,
    )
    .filter(([, l]) => l.length);
  for (const [name, lines] of errors) console.log(`${name} logged ${lines.length} error(s), first: ${lines[0].slice(0, 300)}`);
  const core = ['lmtp', 'expunge+logout'].filter((k) => kinds.includes(k));
  exitCode =
    problems.length === 0 &&
    core.every((k) => {
      const ks = samples.filter((s) => s.kind === k);
      return (
        Math.max(
          pct(
            ks.map((s) => s.apiMs).sort((a, b) => a - b),
            99,
          ),
          pct(
            ks.map((s) => s.policyMs).sort((a, b) => a - b),
            99,
          ),
        ) < TARGET_P99_MS
      );
    })
      ? 0
      : 1;
} catch (err) {
  console.error('feed-latency failed:', err instanceof Error ? err.stack : err);
  if (stack) console.error((await stack.logs()).slice(-4000));
  for (const c of children) console.error(`--- ${c.name} log (tail)\n${c.log().slice(-2000)}`);
} finally {
  finished();
  await cleanup();
}
process.exit(exitCode);
