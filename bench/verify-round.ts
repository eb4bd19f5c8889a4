// The production verification round end to end, against `du` on the same tree:
//
//   npx tsx bench/verify-round.ts                        10,000 mailboxes / 1,000,000 messages (about 4 minutes)
//   npx tsx bench/verify-round.ts --size small           1,000 / 200,000
//   --mailboxes N --messages N   another size        --seed N   another tree of that size
//   --dir DIR        where the tree lives (default $TMPDIR/mailpanel-maildirs-<size>-seed<seed>, shared with scan-bench.ts)
//   --reps N         repetitions of each kind of round (default 3)
//   --entry worker   `npm run worker -- --node local --mail-root DIR --maintenance` (jobs/main.ts; default)
//   --entry roles    `ROLES=worker npm start` (server/main.ts: the central worker role)
//   --cpu-prof DIR   V8 CPU profile of the worker's main thread, written when it stops
//   --worker-env K=V another setting for the worker (repeatable), e.g. SCAN_CONCURRENCY=4
//   --worker-node-arg A  a node flag for the worker (repeatable), e.g. --trace-gc
//   --skip-breakdown     skip step 6
//   --worker-log FILE    keep a copy of the worker's output
//   --keep-tree --keep-db
//
// 1. Generates the Maildir++ tree (bench/maildir-gen.ts) unless a complete one with the same parameters is
//    there (then it is kept afterwards; a tree this run made is removed unless --keep-tree).
// 2. Creates a database (server/startup.ts prepareDatabase) and starts the production worker as its own
//    process on it, with its own Redis prefix and SCAN_INTERVAL_MINUTES=1440 (no scheduled round during
//    the bench: the scheduler's immediate first fan-out runs before any mailbox exists).
// 3. Inserts one mailboxes row per generated mailbox (maildir '<domain>/<localpart>' relative to MAIL_ROOT,
//    quota 10 GiB: no mailbox reaches a warning line, so no alert mail is attempted).
// 4. Warms the page cache with one `du`, then repeats, interleaved:
//      du -b --max-depth=2 DIR                   (child process)
//      first round      no usage rows at all (deleted before; as on the first round after an install)
//      unchanged round  every mailbox has its state from the round before: incremental
//      full round       rows kept, full_scanned_at cleared (what happens every FULL_SCAN_HOURS)
//      unchanged round  again
//    A round is timed from adding the `scan-fanout` job on the maintenance queue (as the scheduler in
//    jobs/schedules.ts adds it) to the moment every mailbox_usage row has disk_at >= the round's start
//    (polled every 20 ms). Before each round the queues are idle and mailbox_usage/mailboxes vacuumed.
// 5. After every round: sum(disk_bytes), sum(disk_messages) and sum(used_bytes) must equal the generator's
//    totals (exit 1 otherwise). Prints medians, ratios, the worker's peak RSS (VmHWM of /proc/PID/status:
//    its threads included) and the CPU the worker and PostgreSQL spent per round.
// 6. Breakdown (in this process, one step at a time, on the same rows): the product's ScanPool full and
//    incremental over all mailboxes, writeUsage of the unchanged results in the chunk handler's batches
//    of 250, evaluateAlerts of the written ids in the same batches: what a round's pieces cost alone.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { MAINTENANCE_QUEUE, Queues, scanQueueName } from '../jobs/queue/queues.js';
import { ALERTS_QUEUE } from '../jobs/queue/registry.js';
import { evaluateAlerts } from '../server/services/alerts/evaluate.js';
import { ScanPool } from '../jobs/scan/index.js';
import { writeUsage, type UsageResult } from '../server/services/usage/store.js';
import { chunkMailboxes, storedStates } from '../db/repositories/usage-feed.js';
import { createRedis } from '../server/platform/redis.js';
import { SIZES, generate, mailboxPaths, readManifest, type GenManifest, type GenParams } from './maildir-gen.js';
import { type Child, REDIS_URL, deleteRedisKeys, freshBenchDb, median, procCpuSeconds, procMemory, sleep, startChild } from './procs.js';
import { benchTeardown } from './teardown.js';

const { values: args } = parseArgs({
  options: {
    size: { type: 'string' },
    mailboxes: { type: 'string' },
    messages: { type: 'string' },
    seed: { type: 'string', default: '1' },
    dir: { type: 'string' },
    reps: { type: 'string', default: '3' },
    entry: { type: 'string', default: 'worker' },
    'cpu-prof': { type: 'string' },
    'keep-tree': { type: 'boolean', default: false },
    'skip-breakdown': { type: 'boolean', default: false },
    'worker-log': { type: 'string' },
    'worker-env': { type: 'string', multiple: true },
    'worker-node-arg': { type: 'string', multiple: true },
    'keep-db': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'usage: npx tsx bench/verify-round.ts [--size small|large | --mailboxes N --messages N] [--seed N] [--dir DIR] [--reps 3] [--entry worker|roles] [--cpu-prof DIR] [--worker-env K=V]... [--worker-node-arg ARG]... [--skip-breakdown] [--worker-log FILE] [--keep-tree] [--keep-db]',
  );
  process.exit(0);
}
const seed = Number(args.seed);
const sizeName = args.size ?? (args.mailboxes || args.messages ? undefined : 'large');
if (sizeName && !(sizeName in SIZES)) throw new Error(`--size must be one of ${Object.keys(SIZES).join(', ')}`);
const params: GenParams = sizeName
  ? { ...SIZES[sizeName as keyof typeof SIZES], seed }
  : { mailboxes: Number(args.mailboxes ?? 1000), messages: Number(args.messages ?? 100_000), seed };
if (!Number.isInteger(params.mailboxes) || params.mailboxes < 1 || !Number.isInteger(params.messages) || params.messages < 0)
  throw new Error('--mailboxes and --messages must be whole numbers');
const dir = path.resolve(args.dir ?? path.join(os.tmpdir(), `mailpanel-maildirs-${sizeName ?? `${params.mailboxes}x${params.messages}`}-seed${seed}`));
const REPS = Math.max(1, Number(args.reps));
if (!['worker', 'roles'].includes(args.entry!)) throw new Error('--entry must be worker or roles');
const QUOTA = 10 * 1024 ** 3;
const POLL_MS = 20;
const ROUND_TIMEOUT_MS = 10 * 60_000;
const TARGETS = { duOverFull: 3, fullOverUnchanged: 10, rssMb: 150 };

const { cleanups, cleanup, finished } = benchTeardown('verify-round', 40 * 60_000);
const mb = (x: number) => Math.round(x);
const secs = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);

// ------------------------------------------------------------------------------------------------
// The tree

const before = readManifest(dir);
const reuse =
  !!before?.complete && before.params.mailboxes === params.mailboxes && before.params.messages === params.messages && before.params.seed === params.seed;
let manifest: GenManifest;
if (reuse) {
  manifest = before!;
  console.log(`tree: ${dir} (already there; kept afterwards)`);
} else {
  mkdirSync(path.dirname(dir), { recursive: true });
  const t0 = performance.now();
  manifest = generate(dir, params).manifest;
  console.log(`tree: generated ${dir} in ${secs(performance.now() - t0)} s${args['keep-tree'] ? ' (kept: --keep-tree)' : ' (removed at the end)'}`);
  if (!args['keep-tree']) cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
}
console.log(
  `  ${params.mailboxes.toLocaleString('en')} mailboxes, ${manifest.messages.toLocaleString('en')} messages, ${manifest.bytes.toLocaleString('en')} bytes, ${manifest.files.toLocaleString('en')} files, ${manifest.dirs.toLocaleString('en')} dirs`,
);

/** CPU ms of waited-for children (du), from /proc/self/stat. */
function childCpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}
function timeDu(): { ms: number; cpuMs: number } {
  const cpu0 = childCpuMs();
  const t0 = performance.now();
  const r = spawnSync('du', ['-b', '--max-depth=2', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`du failed with status ${r.status}`);
  return { ms, cpuMs: childCpuMs() - cpu0 };
}

// ------------------------------------------------------------------------------------------------

const benchDb = await freshBenchDb('mailpanel_verify_', 4);
const db = benchDb.db;
cleanups.push(async () => (args['keep-db'] ? console.log(`kept database ${benchDb.name}`) : benchDb.drop()));
const redisPrefix = `mpverify:${randomBytes(4).toString('hex')}`;
cleanups.push(async () => void (await deleteRedisKeys(redisPrefix)));
const logDir = mkdtempSync(path.join(os.tmpdir(), 'mailpanel-verify-bench-'));
cleanups.push(async () => rmSync(logDir, { recursive: true, force: true }));
// Runs after the worker has stopped (steps run in reverse order).
if (args['worker-log']) cleanups.push(async () => copyFileSync(path.join(logDir, 'worker.log'), path.resolve(args['worker-log']!)));

const producer = createRedis(REDIS_URL, { name: 'verify-bench' });
await producer.connect();
cleanups.push(async () => producer.disconnect());
const queues = new Queues(producer, redisPrefix);
cleanups.push(() => queues.close());

/** Waits until nothing waits, runs or is delayed on the worker's queues. */
async function idle(timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let busy = 0;
    for (const q of [MAINTENANCE_QUEUE, scanQueueName('local'), ALERTS_QUEUE]) {
      // The maintenance queue always holds the schedulers' next runs as delayed jobs; elsewhere a delayed job is a retry.
      const states =
        q === MAINTENANCE_QUEUE ? (['waiting', 'active'] as const) : (['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'] as const);
      const c = await queues.get(q).getJobCounts(...states);
      busy += Object.values(c).reduce((a, b) => a + b, 0);
    }
    if (busy === 0) return;
    if (Date.now() > deadline) throw new Error(`queues still busy (${busy} jobs) after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** CPU seconds of this database's PostgreSQL backends (those alive now). */
async function pgBackendCpu(): Promise<Map<number, number>> {
  const { rows } = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(db);
  return new Map(rows.map((r) => [r.pid, procCpuSeconds(r.pid)]));
}
function cpuDelta(a: Map<number, number>, b: Map<number, number>): number {
  let s = 0;
  for (const [pid, v] of b) if (Number.isFinite(v)) s += v - (a.get(pid) ?? 0);
  return s;
}

interface Round {
  kind: string;
  ms: number;
  /** Fan-out job done (its chunks queued), ms after adding it. */
  fanoutMs: number | null;
  /** First chunk picked up, last chunk finished (BullMQ's own stamps), ms after adding the fan-out. */
  firstChunkMs: number | null;
  lastChunkMs: number | null;
  chunks: number;
  workerCpuS: number;
  pgCpuS: number;
  rssMb: number;
  /** usage_samples rows the round added. */
  samples: number;
  /** Mailboxes the chunks took as they were, without a look inside (the inotify watch saw nothing happen). */
  quiet: number;
}

let worker: Child;
const N = params.mailboxes;

async function round(kind: string): Promise<Round> {
  await idle();
  await sql`VACUUM (ANALYZE) mailbox_usage, mailboxes`.execute(db);
  const samples0 = await countSamples();
  const w0 = procCpuSeconds(worker.pid);
  const pg0 = await pgBackendCpu();
  const start = new Date();
  const t0 = performance.now();
  const job = await queues.enqueue('scan-fanout', {}, {});
  let ms = 0;
  for (;;) {
    // Stops at the first mailbox not done: polling every 20 ms must not load the database it measures.
    const { rows } = await sql<{ pending: boolean }>`
      SELECT EXISTS (SELECT 1 FROM mailboxes m LEFT JOIN mailbox_usage u ON u.mailbox_id = m.id WHERE u.disk_at IS NULL OR u.disk_at < ${start}) AS pending`.execute(
      db,
    );
    ms = performance.now() - t0;
    if (!rows[0].pending) break;
    if (ms > ROUND_TIMEOUT_MS) throw new Error(`${kind}: not every mailbox verified after ${ROUND_TIMEOUT_MS} ms\n${worker.log().slice(-3000)}`);
    await sleep(POLL_MS);
  }
  const workerCpuS = procCpuSeconds(worker.pid) - w0;
  const pgCpuS = cpuDelta(pg0, await pgBackendCpu());
  await idle();
  const fan = await queues.get(MAINTENANCE_QUEUE).getJob(job.id!);
  const chunks = (await queues.get(scanQueueName('local')).getJobs(['completed', 'failed'], 0, 2000)).filter(
    (j) => j.name === 'scan-chunk' && j.timestamp >= start.getTime(),
  );
  const failed = chunks.filter((j) => j.failedReason);
  if (failed.length) throw new Error(`${kind}: ${failed.length} chunk(s) failed: ${failed[0].failedReason}`);
  const rel = (t: number | undefined) => (t ? t - start.getTime() : null);
  const r: Round = {
    kind,
    ms,
    fanoutMs: rel(fan?.finishedOn),
    firstChunkMs: chunks.length ? Math.min(...chunks.map((j) => rel(j.processedOn) ?? Infinity)) : null,
    lastChunkMs: chunks.length ? Math.max(...chunks.map((j) => rel(j.finishedOn) ?? -Infinity)) : null,
    chunks: chunks.length,
    workerCpuS,
    pgCpuS,
    rssMb: procMemory(worker.pid)?.rssMb ?? NaN,
    samples: (await countSamples()) - samples0,
    quiet: chunks.reduce((n, j) => n + ((j.returnvalue as { quiet?: number } | null)?.quiet ?? 0), 0),
  };
  await checkTotals(kind);
  return r;
}

const countSamples = async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM usage_samples`.execute(db)).rows[0].n;

async function checkTotals(kind: string) {
  const { rows } = await sql<{ rows: number; disk: number; msgs: number; used: number; umsgs: number }>`
    SELECT count(*)::int AS rows, sum(disk_bytes)::float8 AS disk, sum(disk_messages)::float8 AS msgs, sum(used_bytes)::float8 AS used, sum(messages)::float8 AS umsgs FROM mailbox_usage`.execute(
    db,
  );
  const t = rows[0];
  if (t.rows !== N || t.disk !== manifest.bytes || t.msgs !== manifest.messages || t.used !== manifest.bytes || t.umsgs !== manifest.messages) {
    throw new Error(
      `${kind}: totals differ from the generator's: ${JSON.stringify(t)} vs ${manifest.messages} messages / ${manifest.bytes} bytes over ${N} mailboxes`,
    );
  }
}

/** The pieces of a round, each alone and one batch at a time, in this process (step 6). */
async function breakdown() {
  await idle();
  const rows = await chunkMailboxes(db, 'local', 1, N);
  const states = await storedStates(
    db,
    rows.map((r) => r.id),
  );
  const pool = new ScanPool({ threads: 2 });
  await pool.start();
  const timed = async <T>(fn: () => Promise<T>) => {
    const c0 = process.cpuUsage();
    const pg0 = await pgBackendCpu();
    const t0 = performance.now();
    const value = await fn();
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    return { value, ms, cpuS: (c.user + c.system) / 1e6, pgS: cpuDelta(pg0, await pgBackendCpu()) };
  };
  let unchangedCount = 0;
  const scan = async (incremental: boolean) => {
    const results: UsageResult[] = [];
    const now = new Date();
    unchangedCount = 0;
    for await (const batch of pool.scan(
      dir,
      rows.map((r) => ({ id: r.id, maildir: r.maildir, previous: incremental ? states.get(r.id) : undefined })),
      { batchSize: 250 },
    )) {
      for (const r of batch) {
        if (!r.ok) continue;
        if (!r.changed) unchangedCount++;
        results.push({ mailboxId: Number(r.id), bytes: r.bytes, messages: r.messages, scannedAt: now, state: r.state, full: !incremental });
      }
    }
    return results;
  };
  try {
    await scan(false); // warm
    const full = await timed(() => scan(false));
    const inc = await timed(() => scan(true));
    const unchangedByScanner = unchangedCount;
    if (inc.value.length !== N || inc.value.reduce((a, r) => a + r.bytes, 0) !== manifest.bytes)
      throw new Error('breakdown: the incremental scan does not add up');
    const write = await timed(async () => {
      const written: number[] = [];
      for (let i = 0; i < inc.value.length; i += 250) written.push(...(await writeUsage(db, inc.value.slice(i, i + 250))).written);
      return written;
    });
    const evaluate = await timed(async () => {
      for (let i = 0; i < write.value.length; i += 250) await evaluateAlerts(db, write.value.slice(i, i + 250), new Date());
    });
    console.log();
    console.log(
      `breakdown (this process, one batch at a time, ${N.toLocaleString('en')} mailboxes; the round runs ${Math.min(20, Math.ceil(N / 500))} chunks at once):`,
    );
    console.log('| step | wall s | CPU s (this process, threads included) | PostgreSQL CPU s |');
    console.log('| --- | ---: | ---: | ---: |');
    const line = (label: string, x: { ms: number; cpuS: number; pgS: number }) =>
      console.log(`| ${label} | ${secs(x.ms)} | ${x.cpuS.toFixed(2)} | ${x.pgS.toFixed(2)} |`);
    line('ScanPool full scan (2 threads)', full);
    line('ScanPool incremental, unchanged', inc);
    line(`writeUsage of the same results, batches of 250 (what a first round writes) (${write.value.length.toLocaleString('en')} "written")`, write);
    line('evaluateAlerts of those ids, batches of 250', evaluate);
    console.log(
      `the incremental scan reported ${unchangedByScanner.toLocaleString('en')} of ${N.toLocaleString('en')} mailboxes unchanged (changed: false, "nothing to write"); a round records only their verification time (recordVerified), and takes the mailboxes the inotify watch saw nothing happen in without walking them`,
    );
  } finally {
    await pool.close();
  }
}

let exitCode = 1;
try {
  console.log(
    `verify-round: database ${benchDb.name}, Redis prefix ${redisPrefix}, entry ${args.entry}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} on ${os.cpus().length} cores`,
  );
  const env: Record<string, string> = {
    DATABASE_URL: benchDb.url,
    REDIS_PREFIX: redisPrefix,
    MAIL_ROOT: dir,
    STORAGE_NODE: 'local',
    SCAN_INTERVAL_MINUTES: '1440',
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
    // Nothing should be sent (quota 10 GiB); a relay that is not there fails fast.
    SMTP_URL: 'smtp://127.0.0.1:9',
  };
  for (const kv of args['worker-env'] ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 1) throw new Error(`--worker-env wants K=V, got ${kv}`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const nodeArgs = [...(args['worker-node-arg'] ?? []), ...(args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(args['cpu-prof'])] : [])];
  if (args['worker-env']?.length || nodeArgs.length) console.log(`worker settings: ${[...(args['worker-env'] ?? []), ...nodeArgs].join(' ')}`);
  worker =
    args.entry === 'roles'
      ? startChild('worker', 'server/main.ts', [], { ...env, ROLES: 'worker' }, path.join(logDir, 'worker.log'), nodeArgs)
      : startChild('worker', 'jobs/main.ts', ['--node', 'local', '--mail-root', dir, '--maintenance'], env, path.join(logDir, 'worker.log'), nodeArgs);
  cleanups.push(() => worker.stop());
  await worker.waitForLog('workers started');
  // The scheduler's first fan-out, housekeeping and sweep run at once; on an empty database.
  await idle();
  console.log(
    `worker pid ${worker.pid} (${args.entry === 'roles' ? 'ROLES=worker server/main.ts' : 'jobs/main.ts --maintenance'}), idle at ${mb(procMemory(worker.pid)!.rssMb)} MB RSS`,
  );

  // The mailboxes, in bulk (as seed-large.ts does): one reseller and customer, 20 mailboxes per domain.
  const paths = mailboxPaths(params);
  const t0 = performance.now();
  await db.transaction().execute(async (trx) => {
    await sql`SET LOCAL session_replication_role = replica`.execute(trx);
    await sql`INSERT INTO resellers (id, name, contact_email) VALUES (1, 'Verify Bench', 'reseller@bench.test')`.execute(trx);
    await sql`INSERT INTO customers (id, reseller_id, name, contact_email) VALUES (1, 1, 'Verify Bench Customer', 'owner@bench.test')`.execute(trx);
    const domains = [...new Set(paths.map((p) => p.slice(0, p.indexOf('/'))))];
    await sql`INSERT INTO domains (id, customer_id, name) SELECT i, 1, d FROM unnest(${domains}::text[]) WITH ORDINALITY AS t(d, i)`.execute(trx);
    await sql`
      INSERT INTO mailboxes (id, domain_id, local_part, address, password_hash, quota_bytes, maildir)
      SELECT t.i, d.id, split_part(t.p, '/', 2), split_part(t.p, '/', 2) || '@' || split_part(t.p, '/', 1), 'x', ${QUOTA}, t.p
        FROM unnest(${paths}::text[]) WITH ORDINALITY AS t(p, i)
        JOIN domains d ON d.name = split_part(t.p, '/', 1)`.execute(trx);
    await sql`UPDATE domains d SET mailbox_count = n.n FROM (SELECT domain_id, count(*) AS n FROM mailboxes GROUP BY domain_id) n WHERE n.domain_id = d.id`.execute(
      trx,
    );
    for (const t of ['resellers', 'customers', 'domains', 'mailboxes'])
      await sql`SELECT setval(pg_get_serial_sequence(${t}, 'id'), (SELECT max(id) FROM ${sql.table(t)}))`.execute(trx);
  });
  console.log(`${N.toLocaleString('en')} mailboxes rows inserted in ${secs(performance.now() - t0)} s`);

  // Warm: the page cache (du stats every inode), then one round of each kind for the worker's JIT and pool.
  timeDu();
  const clearAll = async () => {
    await sql`DELETE FROM alert_deliveries`.execute(db);
    await sql`DELETE FROM alerts`.execute(db);
    await sql`DELETE FROM alert_state`.execute(db);
    await sql`DELETE FROM usage_samples`.execute(db);
    await sql`DELETE FROM mailbox_usage`.execute(db);
  };
  const clearFull = () => sql`UPDATE mailbox_usage SET full_scanned_at = NULL`.execute(db);
  const warm = await round('warm-up first round');
  const warmInc = await round('warm-up unchanged round');
  console.log(`warm-up: first round ${secs(warm.ms)} s, unchanged ${secs(warmInc.ms)} s (not counted)`);

  const du: { ms: number; cpuMs: number }[] = [];
  const rounds: Round[] = [];
  const loadStart = os.loadavg()[0];
  for (let i = 0; i < REPS; i++) {
    du.push(timeDu());
    await clearAll();
    rounds.push(await round('first round (no usage rows)'));
    rounds.push(await round('unchanged round'));
    await clearFull();
    rounds.push(await round('full round (rows kept)'));
    rounds.push(await round('unchanged round'));
    const last = rounds.slice(-4);
    console.log(
      `  rep ${i + 1}/${REPS}: du ${secs(du[i].ms)} s, first ${secs(last[0].ms)} s, unchanged ${secs(last[1].ms)} s, full ${secs(last[2].ms)} s, unchanged ${secs(last[3].ms)} s (${last[1].quiet} and ${last[3].quiet} quiet)`,
    );
  }
  const mem = procMemory(worker.pid)!;
  const alerts = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM alerts`.execute(db)).rows[0].n;
  const logLines = worker.log().split('\n').filter(Boolean);
  const warnings = logLines.filter((l) => /"level":(40|50|60)/.test(l));

  // ---------------------------------------------------------------------------------------------
  const kinds = ['first round (no usage rows)', 'full round (rows kept)', 'unchanged round'];
  const med = (k: string, f: (r: Round) => number | null) =>
    median(
      rounds
        .filter((r) => r.kind === k)
        .map(f)
        .filter((x): x is number => x !== null),
    );
  const duMs = median(du.map((d) => d.ms));
  console.log();
  console.log(
    `verify-round results: ${N.toLocaleString('en')} mailboxes / ${manifest.messages.toLocaleString('en')} messages, ${REPS} repetitions, chunks of 500, worker ${args.entry === 'roles' ? 'ROLES=worker' : 'jobs/main.ts --maintenance'}; load average ${loadStart.toFixed(2)} -> ${os.loadavg()[0].toFixed(2)}`,
  );
  console.log();
  console.log('| median (min–max) | wall s | fan-out done s | last chunk done s | worker CPU s | PostgreSQL CPU s | usage_samples added |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const range = (xs: number[]) => `${secs(median(xs))} (${secs(Math.min(...xs))}–${secs(Math.max(...xs))})`;
  console.log(`| \`du -b --max-depth=2\` | ${range(du.map((d) => d.ms))} | | | ${(median(du.map((d) => d.cpuMs)) / 1000).toFixed(2)} (du) | | |`);
  for (const k of kinds) {
    const rs = rounds.filter((r) => r.kind === k);
    console.log(
      `| ${k} | ${range(rs.map((r) => r.ms))} | ${secs(med(k, (r) => r.fanoutMs))} | ${secs(med(k, (r) => r.lastChunkMs))} | ${med(k, (r) => r.workerCpuS).toFixed(2)} | ${med(k, (r) => r.pgCpuS).toFixed(2)} | ${med(k, (r) => r.samples)} |`,
    );
  }
  const first = med(kinds[0], (r) => r.ms);
  const full = med(kinds[1], (r) => r.ms);
  const unchanged = med(kinds[2], (r) => r.ms);
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log();
  console.log(
    `  du / first round          ${(duMs / first).toFixed(2).padStart(6)}x   (target >= ${TARGETS.duOverFull}x: ${verdict(duMs / first >= TARGETS.duOverFull)})`,
  );
  console.log(
    `  du / full round           ${(duMs / full).toFixed(2).padStart(6)}x   (target >= ${TARGETS.duOverFull}x: ${verdict(duMs / full >= TARGETS.duOverFull)})`,
  );
  console.log(
    `  first / unchanged round   ${(first / unchanged).toFixed(2).padStart(6)}x   (target >= ${TARGETS.fullOverUnchanged}x: ${verdict(first / unchanged >= TARGETS.fullOverUnchanged)})`,
  );
  console.log(
    `  full / unchanged round    ${(full / unchanged).toFixed(2).padStart(6)}x   (target >= ${TARGETS.fullOverUnchanged}x: ${verdict(full / unchanged >= TARGETS.fullOverUnchanged)})`,
  );
  console.log(
    `  worker peak RSS (VmHWM)   ${mb(mem.hwmMb).toString().padStart(6)} MB  (target < ${TARGETS.rssMb} MB: ${verdict(mem.hwmMb < TARGETS.rssMb)}); now ${mb(mem.rssMb)} MB`,
  );
  console.log(
    `  totals after every round: ${manifest.messages.toLocaleString('en')} messages, ${manifest.bytes.toLocaleString('en')} bytes, as the generator wrote them (disk_* and used_*)`,
  );
  console.log(
    `  alerts recorded: ${alerts}; worker log: ${logLines.length} lines, ${warnings.length} warnings/errors${warnings.length ? `, first: ${warnings[0].slice(0, 200)}` : ''}`,
  );
  if (!args['skip-breakdown']) await breakdown();
  exitCode = 0;
} catch (err) {
  console.error('verify-round failed:', err instanceof Error ? err.stack : err);
  if (worker!) console.error(`--- worker log (tail)\n${worker.log().slice(-3000)}`);
} finally {
  finished();
  await cleanup();
  if (args['cpu-prof']) console.log(`CPU profile(s) of the worker in ${path.resolve(args['cpu-prof'])}`);
}
process.exit(exitCode);
