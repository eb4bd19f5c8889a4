// The panel and the reseller API under load, on a large seeded database (bench/seed-large.ts).
//
//   npx tsx bench/load-web.ts                        seeds a fresh database (~10 s), measures, drops it
//   npx tsx bench/load-web.ts --database-url URL     on a database seeded earlier by seed-large.ts (kept)
//   npx tsx bench/load-web.ts --only 'api|healthz' --duration 5 --plans
//
// The app (buildApp, the production wiring) runs in a child process listening on 127.0.0.1:0 with
// its own Redis prefix; autocannon runs here, 50 connections, for a fixed time per endpoint after a
// warm-up. Every panel connection has its own session (as 50 signed-in users would); API calls use
// one key of reseller 1, as an integration would. GET /healthz (no database work) is measured first
// and last as the baseline. Afterwards the repository queries behind each endpoint are captured
// (the real repository functions, run once with a logging Kysely) and run under
// EXPLAIN (ANALYZE, BUFFERS): execution time and the indexes or sequential scans they use.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import type { Db } from '../db/database.js';
import { listCustomers } from '../db/repositories/customers.js';
import { getDomainByName, listDomains } from '../db/repositories/domains.js';
import { listMailboxes, type MailboxSort } from '../db/repositories/mailboxes.js';
import { countsByLevel, customerTotals } from '../db/repositories/overview.js';
import type { Scope } from '../db/repositories/scope.js';
import type { Database } from '../db/schema.js';
import { findUsableKey } from '../db/repositories/api-keys.js';
import { parseApiKey } from '../server/platform/tokens.js';
import { benchDatabase, DEFAULT_ADMIN_URL } from './seed-large.js';
import { openLoop } from './open-loop.js';
import { benchTeardown } from './teardown.js';

const THIS_FILE = fileURLToPath(import.meta.url);

// autocannon ships no types (and @types/autocannon is not a dependency): the part used here.
interface AutocannonClient {
  setHeaders(headers: Record<string, string>): void;
}
interface Histogram {
  average: number;
  p50: number;
  p99: number;
  max: number;
  total: number;
}
interface AutocannonResult {
  requests: Histogram;
  latency: Histogram;
  duration: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (opts: {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
  timeout?: number;
  setupClient?: (client: AutocannonClient) => void;
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

// ---------------------------------------------------------------------------------------------

interface Endpoint {
  name: string;
  who: 'none' | 'customer' | 'reseller' | 'api';
  path: string;
  /** The repository calls behind the route, with the route's arguments (for EXPLAIN). */
  queries?: (db: Db) => Promise<unknown>;
}

interface Measured {
  endpoint: Endpoint;
  singleP50: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  requests: number;
  non2xx: number;
  errors: number;
  appCpuMs: number | null;
  pgCpuMs: number | null;
  load: number;
  /** CPU cores used by processes other than this bench, its app and its database backends. */
  others: number;
  activity: Activity;
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      'database-url': { type: 'string' },
      'admin-url': { type: 'string', default: DEFAULT_ADMIN_URL },
      'keep-db': { type: 'boolean', default: false },
      connections: { type: 'string', default: '50' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      single: { type: 'string', default: '2' },
      only: { type: 'string' },
      'target-p99': { type: 'string', default: '50' },
      plans: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      profile: { type: 'string' },
      rate: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (args.help) {
    console.log(`usage: npx tsx bench/load-web.ts [--database-url URL | --keep-db] [--connections 50] [--duration 10] [--warmup 2]
       [--single 2] [--only REGEX] [--target-p99 50] [--plans] [--json] [--rate R] [--profile DIR]
  --database-url   bench on a database seeded by bench/seed-large.ts (kept) instead of seeding a fresh one
  --only           measure only the endpoints whose name matches (the baseline always runs)
  --single S       seconds at 1 connection first, for the service time (0: skip)
  --rate R         open loop (bench/open-loop.ts): the --connections clients send R requests a second in all, at
                   random moments, whatever the answers take (default: closed loop with autocannon, each client
                   sends its next request when answered, which measures the capacity)
  --profile DIR    write a V8 CPU profile of the app process to DIR (open it in Chrome's DevTools)
  --plans          print the full EXPLAIN plan of every captured query (default: the slowest ones)`);
    return;
  }
  const CONNECTIONS = Number(args.connections);
  const DURATION = Number(args.duration);
  const WARMUP = Number(args.warmup);
  const SINGLE = Number(args.single);
  const TARGET_P99 = Number(args['target-p99']);
  const RATE = args.rate === undefined ? undefined : Number(args.rate);
  if (RATE !== undefined && !(Number.isInteger(RATE) && RATE > 0)) throw new Error('--rate must be a positive integer (requests a second)');
  if (![CONNECTIONS, DURATION].every((n) => Number.isInteger(n) && n > 0) || !(WARMUP >= 0) || !(SINGLE >= 0))
    throw new Error('--connections/--duration must be positive integers');

  const { cleanups, cleanup, finished } = benchTeardown('load-web', (120 + 15 * (DURATION + WARMUP + SINGLE + 15)) * 1000);

  try {
    console.log(`load average ${loadavg()} on ${os.cpus().length} cores at start`);
    const bench = await benchDatabase({ databaseUrl: args['database-url'], adminUrl: args['admin-url'], keep: args['keep-db'], poolSize: 4 });
    cleanups.push(() => bench.close());
    const seeded = bench.seeded;
    const big = seeded.bigDomains[0];

    // --- the app in a child process
    const redisPrefix = `mpbench:${randomBytes(4).toString('hex')}`;
    // The app's log goes to a file (an overloaded app logs every 503); summarised at the end.
    const logFile = path.join(os.tmpdir(), `mailpanel-load-web-${redisPrefix.slice(8)}.log`);
    const logFd = openSync(logFile, 'w');
    cleanups.push(async () => rmSync(logFile, { force: true }));
    const child: ChildProcess = spawn(
      process.execPath,
      [...(args.profile ? ['--cpu-prof', '--cpu-prof-dir', args.profile] : []), '--import', 'tsx', THIS_FILE, '--serve'],
      {
        env: {
          ...process.env,
          DATABASE_URL: bench.url,
          REDIS_PREFIX: redisPrefix,
          COOKIE_SECURE: 'false',
          LOG_LEVEL: 'warn',
          ROLES: 'web',
          NODE_ENV: 'production',
        },
        stdio: ['ignore', logFd, logFd, 'ipc'],
      },
    );
    closeSync(logFd);
    const exited = new Promise((r) => child.once('exit', r));
    process.once('exit', () => child.kill('SIGTERM'));
    cleanups.push(async () => {
      await deleteRedisKeys(redisPrefix);
    });
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    });
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the app did not start within 60 s')), 60_000);
      child.once('message', (m: { address: string }) => {
        clearTimeout(timer);
        resolve(m.address);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the app exited with ${code}: ${readFileSync(logFile, 'utf8').slice(-2000)}`));
      });
    });
    console.log(`app (child pid ${child.pid}) on ${base}, Redis prefix ${redisPrefix}, LOG_LEVEL=warn, pool 10`);

    // --- sessions: one per connection and role, through the real login form
    const t0 = performance.now();
    const cookies = {
      customer: await Promise.all(Array.from({ length: CONNECTIONS }, () => login(base, seeded.logins.customer, seeded.password))),
      reseller: await Promise.all(Array.from({ length: CONNECTIONS }, () => login(base, seeded.logins.reseller, seeded.password))),
    };
    console.log(`signed in ${CONNECTIONS} customer and ${CONNECTIONS} reseller sessions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // --- the endpoints, with the repository calls each route makes (same arguments as the route)
    const customerScope: Scope = { resellerId: 1, customerId: 1, domainId: null };
    const resellerScope: Scope = { resellerId: 1, customerId: null, domainId: null };
    const domainPage = (scope: Scope, q: { search?: string; page?: number; sort?: MailboxSort; desc?: boolean }) => async (db: Db) => {
      const d = (await getDomainByName(db, scope, big))!;
      await listMailboxes(db, scope, { domainId: d.id, search: q.search, limit: 50, offset: ((q.page ?? 1) - 1) * 50, sort: q.sort, desc: q.desc });
    };
    const apiMailboxes = (q: { offset?: number; search?: string; sort?: MailboxSort; desc?: boolean }) => async (db: Db) => {
      await findUsableKey(db, parseApiKey(seeded.resellerKey)!.prefix);
      const d = (await getDomainByName(db, resellerScope, big))!;
      await listMailboxes(db, resellerScope, { domainId: d.id, limit: 50, offset: q.offset ?? 0, search: q.search, sort: q.sort, desc: q.desc });
    };
    const overview = (scope: Scope, staff: boolean) => async (db: Db) => {
      await Promise.all([
        countsByLevel(db, scope),
        listMailboxes(db, scope, { limit: staff ? 20 : 50, offset: 0, sort: 'fullness', desc: true }),
        staff ? customerTotals(db, scope) : null,
      ]);
    };
    const baseline: Endpoint = { name: 'baseline GET /healthz', who: 'none', path: '/healthz' };
    const all: Endpoint[] = [
      { name: 'customer panel domain page', who: 'customer', path: `/domains/${big}`, queries: domainPage(customerScope, {}) },
      { name: 'customer panel search q=ann', who: 'customer', path: `/domains/${big}?q=ann`, queries: domainPage(customerScope, { search: 'ann' }) },
      { name: 'customer panel page=100', who: 'customer', path: `/domains/${big}?page=100`, queries: domainPage(customerScope, { page: 100 }) },
      {
        name: 'customer panel sort=fullness desc',
        who: 'customer',
        path: `/domains/${big}?sort=fullness&order=desc`,
        queries: domainPage(customerScope, { sort: 'fullness', desc: true }),
      },
      { name: 'customer panel /overview', who: 'customer', path: '/overview', queries: overview(customerScope, false) },
      { name: 'reseller panel /overview', who: 'reseller', path: '/overview', queries: overview(resellerScope, true) },
      {
        name: 'reseller panel /customers',
        who: 'reseller',
        path: '/customers',
        queries: async (db) => listCustomers(db, resellerScope, { limit: 50, offset: 0 }),
      },
      {
        name: 'reseller panel /customers?q=0042',
        who: 'reseller',
        path: '/customers?q=0042',
        queries: async (db) => listCustomers(db, resellerScope, { limit: 50, offset: 0, search: '0042' }),
      },
      {
        name: 'reseller panel /domains',
        who: 'reseller',
        path: '/domains',
        queries: async (db) =>
          Promise.all([listDomains(db, resellerScope, { limit: 50, offset: 0 }), listCustomers(db, resellerScope, { limit: 200, offset: 0 })]),
      },
      {
        name: 'reseller panel /domains?q=d0004',
        who: 'reseller',
        path: '/domains?q=d0004',
        queries: async (db) =>
          Promise.all([listDomains(db, resellerScope, { limit: 50, offset: 0, search: 'd0004' }), listCustomers(db, resellerScope, { limit: 200, offset: 0 })]),
      },
      {
        name: 'api customers?limit=50',
        who: 'api',
        path: '/api/v1/customers?limit=50',
        queries: async (db) => {
          await findUsableKey(db, parseApiKey(seeded.resellerKey)!.prefix);
          await listCustomers(db, resellerScope, { limit: 50, offset: 0 });
        },
      },
      { name: 'api mailboxes offset=5000', who: 'api', path: `/api/v1/domains/${big}/mailboxes?limit=50&offset=5000`, queries: apiMailboxes({ offset: 5000 }) },
      {
        name: 'api mailboxes q=schmidt',
        who: 'api',
        path: `/api/v1/domains/${big}/mailboxes?limit=50&q=schmidt`,
        queries: apiMailboxes({ search: 'schmidt' }),
      },
      {
        name: 'api mailboxes sort=fullness desc',
        who: 'api',
        path: `/api/v1/domains/${big}/mailboxes?limit=50&sort=fullness&order=desc`,
        queries: apiMailboxes({ sort: 'fullness', desc: true }),
      },
    ];
    const endpoints = all.filter((e) => !args.only || new RegExp(args.only).test(e.name));

    // Panel pages are fetched as a browser does, accepting compression; API calls as a bare client, without.
    const headersFor = (who: Endpoint['who']): Record<string, string> =>
      who === 'api' ? { authorization: `Bearer ${seeded.resellerKey}` } : who === 'none' ? {} : { 'accept-encoding': 'gzip, deflate, br' };
    const cookiesFor = (who: Endpoint['who']) => (who === 'customer' ? cookies.customer : who === 'reseller' ? cookies.reseller : null);

    // Each endpoint once, checked, before any load.
    for (const e of [baseline, ...endpoints]) {
      const res = await fetch(base + e.path, {
        headers: { ...headersFor(e.who), ...(cookiesFor(e.who) && { cookie: cookiesFor(e.who)![0] }) },
        redirect: 'manual',
      });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`${e.name}: GET ${e.path} answered ${res.status}: ${body.slice(0, 300)}`);
      if (e.path.includes('/mailboxes') && !(JSON.parse(body) as { items: unknown[] }).items.length) throw new Error(`${e.name}: no items`);
    }

    const run = async (e: Endpoint, seconds: number, connections = CONNECTIONS, rate?: number): Promise<AutocannonResult> => {
      const list = cookiesFor(e.who);
      if (rate !== undefined) {
        const r = await openLoop({
          url: base + e.path,
          rate,
          seconds,
          clients: connections,
          headers: (i) => ({ ...headersFor(e.who), ...(list && { cookie: list[i % list.length] }) }),
        });
        const latency = { average: NaN, p50: r.p50, p99: r.p99, max: r.max, total: r.completed };
        return { requests: { ...latency, total: r.completed }, latency, duration: r.seconds, non2xx: r.non2xx, errors: r.errors, timeouts: 0 };
      }
      let n = 0;
      return autocannon({
        url: base + e.path,
        connections,
        duration: seconds,
        headers: headersFor(e.who),
        timeout: 10,
        ...(list && { setupClient: (client: AutocannonClient) => client.setHeaders({ cookie: list[n++ % list.length] }) }),
      });
    };
    const pgPids = async () => {
      const r = await pgQuery<{ pid: number }>(bench.url, 'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      return r.map((x) => x.pid);
    };
    /**
     * Requests the load generator gave up on (it stops at the deadline) are still being served:
     * wait until the app's database connections are idle, so one endpoint's backlog is not the next one's load.
     */
    const settle = async () => {
      const until = Date.now() + 60_000;
      while (Date.now() < until) {
        const [{ n }] = await pgQuery<{ n: number }>(
          bench.url,
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'",
        );
        if (n === 0) return;
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const measure = async (e: Endpoint): Promise<Measured> => {
      // Service time: one connection, one request at a time.
      const single = SINGLE > 0 ? await run(e, SINGLE, 1) : null;
      if (WARMUP > 0) await run(e, WARMUP, CONNECTIONS, e.who === 'none' ? undefined : RATE);
      const pidsBefore = await pgPids();
      const pgBefore = new Map(pidsBefore.map((p) => [p, procCpuMs(p)]));
      const appBefore = procCpuMs(child.pid!);
      const selfBefore = process.cpuUsage();
      const totalBefore = machineBusyMs();
      const t0 = performance.now();
      const sampler = sampleActivity(bench.url);
      const r = await run(e, DURATION, CONNECTIONS, e.who === 'none' ? undefined : RATE);
      const activity = await sampler.stop();
      const wallMs = performance.now() - t0;
      const appAfter = procCpuMs(child.pid!);
      let pgMs = 0;
      for (const [pid, before] of pgBefore) {
        const after = procCpuMs(pid);
        if (before !== null && after !== null) pgMs += after - before;
      }
      const self = process.cpuUsage(selfBefore);
      const appMs = appBefore !== null && appAfter !== null ? appAfter - appBefore : 0;
      // CPU used on the machine by anything but this bench (other engineers' tests, say), in cores.
      const others = Math.max(0, (machineBusyMs() - totalBefore - appMs - pgMs - (self.user + self.system) / 1000) / wallMs);
      const done = r.requests.total;
      const m: Measured = {
        endpoint: e,
        singleP50: single ? single.latency.p50 : NaN,
        rps: r.requests.total / r.duration,
        p50: done ? r.latency.p50 : NaN,
        p99: done ? r.latency.p99 : NaN,
        max: r.latency.max,
        requests: r.requests.total,
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
        appCpuMs: done && appBefore !== null && appAfter !== null ? (appAfter - appBefore) / done : null,
        pgCpuMs: done && pgBefore.size ? pgMs / done : null,
        load: os.loadavg()[0],
        others,
        activity,
      };
      console.log(
        `  ${e.name.padEnd(36)} 1 conn p50 ${fmt(m.singleP50)} ms | ${CONNECTIONS} conns: ${fmt(m.rps, 0).padStart(6)} req/s  p50 ${fmt(m.p50)}  p99 ${fmt(m.p99)} ms  ` +
          `non-2xx ${m.non2xx}  errors ${m.errors}  | db: ${fmt(activity.active)} busy, ${fmt(activity.lock)} on locks, ${fmt(activity.io)} on WAL/IO | others ${fmt(others)} cores`,
      );
      await settle();
      return m;
    };

    console.log(
      `\nper endpoint: ${SINGLE} s at 1 connection, ${WARMUP} s warm-up and ${DURATION} s measured at ${CONNECTIONS} connections` +
        (RATE === undefined ? ' (closed loop):' : ` (open loop: ${RATE} requests a second in all; the baseline closed):`),
    );
    await settle();
    const first = await measure(baseline);
    const results: Measured[] = [];
    for (const e of endpoints) results.push(await measure(e));
    const last = await measure({ ...baseline, name: 'baseline GET /healthz (again)' });
    const baseRps = (first.rps + last.rps) / 2;
    const baseP99 = (first.p99 + last.p99) / 2;
    const met = (m: Measured) => m.requests > 0 && m.p99 < TARGET_P99 && m.non2xx + m.errors === 0;

    // --- the table
    const rows = [first, ...results, last].map((m) => [
      m.endpoint.name,
      fmt(m.singleP50),
      fmt(m.rps, 0),
      fmt(m.rps / baseRps, 3),
      fmt(m.p50),
      fmt(m.p99),
      m.endpoint.who === 'none' ? '' : fmt(m.p99 / baseP99, 1),
      String(m.non2xx + m.errors),
      m.appCpuMs === null ? '-' : fmt(m.appCpuMs, 2),
      m.pgCpuMs === null ? '-' : fmt(m.pgCpuMs, 2),
      fmt(m.activity.active),
      fmt(m.activity.lock),
      fmt(m.others),
      m.endpoint.who === 'none' ? '' : met(m) ? 'ok' : 'MISSED',
    ]);
    console.log(
      `\nresults (${seeded.counts.mailboxes.toLocaleString('en')} mailboxes; ${big} has ${seeded.size.bigDomainSize.toLocaleString('en')}; target p99 < ${TARGET_P99} ms at ${CONNECTIONS} connections):`,
    );
    printTable(
      [
        'endpoint',
        '1-conn p50',
        'req/s',
        'x base',
        'p50 ms',
        'p99 ms',
        'p99/base',
        'non-2xx',
        'app cpu ms/req',
        'pg cpu ms/req',
        'db busy',
        'db locks',
        'others',
        `p99<${TARGET_P99}`,
      ],
      rows,
    );
    console.log(
      `baseline: /healthz ${fmt(first.rps, 0)} req/s at the start, ${fmt(last.rps, 0)} at the end; load average ${loadavg()} at the end on ${os.cpus().length} cores`,
    );
    console.log('("1-conn p50" = service time, one request at a time; "x base" = req/s relative to the mean baseline; "p99/base" = p99 relative to the');
    console.log(' baseline\'s p99; cpu = CPU time of the app process and of its database backends per completed request; "db busy"/"db locks" =');
    console.log(' mean number of the app\'s database sessions running / waiting on a lock (pool of 10); "others" = CPU cores used meanwhile by');
    console.log(' other processes on this machine)');
    const needRps = CONNECTIONS / (TARGET_P99 / 1000);
    if (RATE !== undefined)
      console.log(`open loop: ${RATE} requests a second offered over ${CONNECTIONS} connections; an endpoint whose req/s falls short of that is saturated.`);
    else
      console.log(
        `closed loop: each of the ${CONNECTIONS} connections sends its next request when the last one is answered, so mean latency = ${CONNECTIONS} / (req/s);\n` +
          ` p99 < ${TARGET_P99} ms therefore needs more than ~${fmt(needRps, 0)} req/s, i.e. under ~${fmt((os.cpus().length * 1000) / needRps, 1)} ms of CPU per request ` +
          `(app + database) on these ${os.cpus().length} cores, which the load generator shares.`,
      );
    const appLog = readFileSync(logFile, 'utf8');
    const errorLines = appLog.split('\n').filter((l) => /"level":(50|60)/.test(l));
    if (errorLines.length) {
      const kinds = new Map<string, number>();
      for (const l of errorLines) {
        const msg = /"message":"([^"]*)"/.exec(l)?.[1] ?? /"msg":"([^"]*)"/.exec(l)?.[1] ?? l.slice(0, 80);
        kinds.set(msg, (kinds.get(msg) ?? 0) + 1);
      }
      console.log(`the app logged ${errorLines.length} errors: ${[...kinds].map(([k, v]) => `${v} x "${k}"`).join(', ')}`);
    }

    // --- EXPLAIN (ANALYZE, BUFFERS) of the queries behind each endpoint
    console.log('\nqueries behind the endpoints, EXPLAIN (ANALYZE, BUFFERS) on an idle database (slowest first):');
    const explained = await explainEndpoints(bench.url, endpoints);
    explained.sort((a, b) => b.ms - a.ms);
    printTable(
      ['ms', 'endpoint(s)', 'query', 'indexes used', 'seq scans (rows)'],
      explained.map((x) => [fmt(x.ms), short(x.endpoints.join('; '), 48), x.label, x.indexes.join(', ') || '-', x.seqScans.join(', ') || '-']),
    );
    // The slowest query of each endpoint that missed, at most 6 (all of them with --plans).
    const seenEndpoints = new Set<string>();
    const toPrint = args.plans
      ? explained
      : explained.filter((x) => x.ms >= 5 && !x.endpoints.every((e) => seenEndpoints.has(e)) && x.endpoints.every((e) => seenEndpoints.add(e))).slice(0, 6);
    for (const x of toPrint) {
      console.log(`\n--- ${fmt(x.ms)} ms: ${x.label} (${x.endpoints.join('; ')})\n${x.sql}\n  params: ${JSON.stringify(x.params)}\n${x.text}`);
    }
    const missed = results.filter((m) => !met(m));
    console.log(
      `\n${missed.length === 0 ? 'every endpoint met' : `${missed.length} of ${results.length} endpoints missed`} p99 < ${TARGET_P99} ms at ${CONNECTIONS} connections`,
    );
    if (args.json)
      console.log(JSON.stringify({ baseline: [first, last].map(plain), results: results.map(plain), explained: explained.map(({ text: _t, ...x }) => x) }));
  } finally {
    await cleanup();
    finished();
  }
}

function plain(m: Measured) {
  const { endpoint, ...rest } = m;
  return { name: endpoint.name, path: endpoint.path, ...rest };
}

// ---------------------------------------------------------------------------------------------

/** Signs in through GET /login (CSRF cookie and token) and POST /login; returns the session cookie. */
async function login(base: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${base}/login`, { redirect: 'manual' });
  const html = await page.text();
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  const csrfCookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith('mailpanel-csrf='));
  if (!token || !csrfCookie) throw new Error('login page without a CSRF token');
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
    body: new URLSearchParams({ _csrf: token, email, password }).toString(),
  });
  await res.text();
  const session = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith('mailpanel='));
  if (res.status !== 303 || !session) throw new Error(`login of ${email} failed: ${res.status}`);
  return session;
}

interface Explained {
  endpoints: string[];
  label: string;
  sql: string;
  params: readonly unknown[];
  ms: number;
  indexes: string[];
  seqScans: string[];
  text: string;
}

/** Runs each endpoint's repository calls once with a Kysely that records the SQL, then EXPLAINs every distinct query. */
async function explainEndpoints(url: string, endpoints: Endpoint[]): Promise<Explained[]> {
  const captured: CompiledQuery[] = [];
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query') captured.push(event.query);
    },
  });
  const byKey = new Map<string, Explained>();
  try {
    for (const e of endpoints) {
      if (!e.queries) continue;
      captured.length = 0;
      await e.queries(db as Db);
      for (const q of captured) {
        if (/^\s*update/i.test(q.sql)) continue;
        const key = `${q.sql}\n${JSON.stringify(q.parameters)}`;
        const seen = byKey.get(key);
        if (seen) {
          if (!seen.endpoints.includes(e.name)) seen.endpoints.push(e.name);
          continue;
        }
        byKey.set(key, { endpoints: [e.name], label: labelOf(q.sql), sql: q.sql, params: q.parameters, ms: 0, indexes: [], seqScans: [], text: '' });
      }
    }
    const client = await pool.connect();
    try {
      for (const x of byKey.values()) {
        // Once to warm the cache as under load, then measured.
        await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${x.sql}`, x.params as unknown[]);
        const json = await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${x.sql}`, x.params as unknown[]);
        const plan = (json.rows[0]['QUERY PLAN'] as { Plan: PlanNode; 'Execution Time': number; 'Planning Time': number }[])[0];
        x.ms = plan['Execution Time'] + plan['Planning Time'];
        walk(plan.Plan, (n) => {
          if (n['Index Name'] && !x.indexes.includes(n['Index Name'])) x.indexes.push(n['Index Name']);
          if (n['Node Type'] === 'Seq Scan') x.seqScans.push(`${n['Relation Name']} (${(n['Actual Rows'] * (n['Actual Loops'] ?? 1)).toLocaleString('en')})`);
        });
        const text = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${x.sql}`, x.params as unknown[]);
        x.text = text.rows.map((r) => `    ${r['QUERY PLAN']}`).join('\n');
      }
    } finally {
      client.release();
    }
  } finally {
    await db.destroy();
  }
  return [...byKey.values()];
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

function walk(n: PlanNode, f: (n: PlanNode) => void) {
  f(n);
  for (const c of n.Plans ?? []) walk(c, f);
}

/** A short name for a query: its main table and what it does. */
function labelOf(sqlText: string): string {
  const s = sqlText.replace(/\s+/g, ' ');
  const from = /\bfrom "?(\w+)"?(?: as "?(\w+)"?)?/i.exec(s)?.[1] ?? '?';
  const count = /select count\(\*\) as "n" from/i.test(s);
  const order = /order by (.+?)(?: limit|$)/i.exec(s)?.[1];
  const offset = /offset \$\d+/i.test(s) ? ' offset' : '';
  const like = / like /i.test(s) ? ' like' : '';
  const group = /group by/i.test(s) ? ' group by level' : '';
  if (count) return `count ${from}${like}`;
  if (group) return `${from}${group}`;
  return `${from}${like}${order ? ` order by ${order.replace(/"/g, '').slice(0, 40)}` : ''}${offset}`;
}

async function pgQuery<T>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

async function deleteRedisKeys(prefix: string) {
  const { createRedis } = await import('../server/platform/redis.js');
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

interface Activity {
  /** Mean number of the database's sessions (this bench's app) in state active. */
  active: number;
  /** ... of which waiting on a heavyweight lock (row locks: the same session or key row updated by many). */
  lock: number;
  /** ... of which waiting on WAL or IO. */
  io: number;
}

/** Samples pg_stat_activity of the database every 100 ms until stop(). */
function sampleActivity(url: string) {
  const client = new pg.Client({ connectionString: url });
  let samples = 0;
  const sum = { active: 0, lock: 0, io: 0 };
  let running = true;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const r = await client.query<{ active: number; lock: number; io: number }>(
        `SELECT count(*) FILTER (WHERE state = 'active')::int AS active,
                count(*) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock')::int AS lock,
                count(*) FILTER (WHERE state = 'active' AND (wait_event_type = 'IO' OR wait_event LIKE 'WAL%'))::int AS io
           FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      samples++;
      sum.active += r.rows[0].active;
      sum.lock += r.rows[0].lock;
      sum.io += r.rows[0].io;
      await new Promise((res) => setTimeout(res, 100));
    }
    await client.end();
  })();
  return {
    async stop(): Promise<Activity> {
      running = false;
      await loop.catch(() => {});
      const n = samples || 1;
      return { active: sum.active / n, lock: sum.lock / n, io: sum.io / n };
    },
  };
}

/** Busy CPU time of the whole machine in ms (all cores), from /proc/stat. */
function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) * 10;
}

/** utime + stime of a process in ms (Linux /proc); null when it is gone. */
function procCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}

const short = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '-');

function printTable(head: string[], rows: string[][]) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = head.map((_, i) => rows.every((r) => /^[-\d.,]*$/.test(r[i]) || r[i] === 'ok' || r[i] === 'MISSED'));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

// ---------------------------------------------------------------------------------------------
// Child mode: the app server.
async function serve() {
  const { loadConfig } = await import('../server/platform/config.js');
  const { createRedis } = await import('../server/platform/redis.js');
  const { createDb } = await import('../db/database.js');
  const { buildApp } = await import('../server/web/app.js');
  const config = loadConfig();
  const redis = createRedis(config.redisUrl);
  await redis.connect();
  const db = createDb(config.databaseUrl); // the production pool size (10)
  const app = await buildApp({ config, db, redis, logger: { level: config.logLevel } });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.send!({ address });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    await redis.quit();
    await db.destroy();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('disconnect', () => void stop()); // the bench died: do not outlive it
}

// Dispatch last: everything above is initialised by now.
if (process.argv.includes('--serve')) await serve();
else await main();
