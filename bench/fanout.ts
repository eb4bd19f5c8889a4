// Redis memory through a full scan round: 100,000 scan jobs fanned out with no worker running, then drained.
//
//   npx tsx bench/fanout.ts                          seeds a fresh database (100,000 mailboxes, ~10 s), runs, drops it
//   npx tsx bench/fanout.ts --database-url URL       on a database seeded earlier by bench/seed-large.ts (kept)
//   npx tsx bench/fanout.ts --processor real         drain with the real scan handler on an empty MAIL_ROOT
//
// 1. the real fan-out (jobs/handlers/scan-fanout.ts: pages of 1,000 mailboxes, addBulk per node queue,
//    one deduplication id per mailbox) into the node's queue while no worker runs;
// 2. the same fan-out again while every job still waits: deduplication must add nothing;
// 3. real BullMQ Workers (the worker role's options: concurrency SCAN_CONCURRENCY, stalled checks) drain
//    the queue, with a trivial processor (default) or the real scan-mailbox handler;
// 4. a few seconds more, idle.
// Redis `INFO memory` used_memory and the queue's job counts are sampled every second throughout. Finished
// jobs are removed (jobs/queues.ts FINISHED: keep the last 1,000 completed), so memory must fall back near
// its starting level after the drain however many jobs ran. Everything lives under a Redis prefix of its
// own, deleted at the end.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { BatchWriter } from '../jobs/batch-writer.js';
import { scanFanoutHandler } from '../jobs/handlers/scan-fanout.js';
import { scanMailboxHandler } from '../jobs/handlers/scan-mailbox.js';
import { FINISHED, Queues, scanQueueName } from '../jobs/queues.js';
import type { JobData } from '../jobs/registry.js';
import { createRedis } from '../server/redis.js';
import { benchDatabase, DEFAULT_ADMIN_URL, LARGE, type SeedSize } from './seed-large.js';
import { benchTeardown } from './teardown.js';

const HELP = `usage: npx tsx bench/fanout.ts [options]
  --database-url URL   a database seeded by bench/seed-large.ts (kept); default: seed a fresh one and drop it
  --mailboxes N        size of the fresh database (100000)
  --processor trivial|real   what the workers run (trivial)
  --workers N          Worker instances (1), each with --concurrency jobs at once
  --concurrency N      jobs per worker at once (32, the SCAN_CONCURRENCY default)
  --timeout S          give up the drain after S seconds (240)
  --samples            print every one-second sample (default: one line every few seconds)
  --keep-db            keep the fresh database
  --redis-url URL      (redis://127.0.0.1:6379)`;

const { values: args } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    'admin-url': { type: 'string', default: DEFAULT_ADMIN_URL },
    'redis-url': { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    mailboxes: { type: 'string', default: String(LARGE.mailboxes) },
    processor: { type: 'string', default: 'trivial' },
    workers: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '32' },
    timeout: { type: 'string', default: '240' },
    samples: { type: 'boolean', default: false },
    'keep-db': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const int = (name: keyof typeof args, min: number) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
};
const MAILBOXES = int('mailboxes', 1);
const WORKERS = int('workers', 1);
const CONCURRENCY = int('concurrency', 1);
const TIMEOUT_MS = int('timeout', 10) * 1000;
if (args.processor !== 'trivial' && args.processor !== 'real') throw new Error('--processor must be trivial or real');

/** The large tree scaled down when --mailboxes is smaller (the fan-out only reads mailboxes.id and node). */
function sizeFor(n: number): SeedSize {
  if (n === LARGE.mailboxes) return LARGE;
  const domains = Math.max(2, Math.min(LARGE.domains, Math.round(n / 10)));
  return { resellers: 2, customers: domains, domains, mailboxes: n, bigDomains: 1, bigDomainSize: Math.min(10_000, Math.floor(n / 2)) };
}

interface Sample {
  t: number;
  phase: string;
  usedMemory: number;
  waiting: number;
  active: number;
  completed: number;
  failed: number;
}

const MB = 1024 * 1024;
const mb = (b: number) => (b / MB).toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
}

/** Keys under the prefix and their MEMORY USAGE in bytes: this bench's own share, whoever else uses the server. */
async function prefixMemory(redis: Redis, prefix: string): Promise<{ keys: number; bytes: number }> {
  let cursor = '0';
  let keys = 0;
  let bytes = 0;
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 2000);
    cursor = next;
    if (!batch.length) continue;
    const p = redis.pipeline();
    for (const k of batch) p.memory('USAGE', k);
    for (const [err, n] of (await p.exec()) ?? []) if (!err) bytes += Number(n ?? 0);
    keys += batch.length;
  } while (cursor !== '0');
  return { keys, bytes };
}

async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) n += await redis.del(...keys);
  } while (cursor !== '0');
  return n;
}

async function main() {
  // The drain has its own timeout; the overall limit is the backstop.
  const { cleanups, cleanup, finished } = benchTeardown('fanout', TIMEOUT_MS + 240_000);

  try {
    console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores at start`);
    const bench = await benchDatabase({ databaseUrl: args['database-url'], adminUrl: args['admin-url'], keep: args['keep-db'], size: sizeFor(MAILBOXES), poolSize: 4 });
    cleanups.push(() => bench.close());
    const { n: total } = await bench.db.selectFrom('mailboxes').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const nodes = await bench.db.selectFrom('mailboxes').select('node').distinct().execute();
    if (nodes.length !== 1) throw new Error(`expected every mailbox on one node, found ${nodes.map((n) => n.node).join(', ')}`);
    const node = nodes[0].node;

    const prefix = `mpbench-fanout:${randomBytes(4).toString('hex')}`;
    const producer = createRedis(args['redis-url'], { name: 'bench-fanout-producer' });
    const monitor = createRedis(args['redis-url'], { name: 'bench-fanout-monitor' });
    await producer.connect();
    await monitor.connect();
    cleanups.push(async () => {
      const n = await deleteKeys(monitor, prefix);
      console.log(`deleted ${n} Redis keys under ${prefix}:`);
      monitor.disconnect();
    });
    const queues = new Queues(producer, prefix);
    cleanups.push(async () => {
      await queues.close();
      producer.disconnect();
    });
    const queueName = scanQueueName(node);
    const queue = queues.get(queueName);
    await queue.waitUntilReady();

    // --- sampling, every second, on its own connection
    const samples: Sample[] = [];
    let phase = 'idle (before)';
    const t0 = performance.now();
    const sampleOnce = async () => {
      const [memory, counts] = await Promise.all([usedMemory(monitor), queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized')]);
      samples.push({
        t: (performance.now() - t0) / 1000,
        phase,
        usedMemory: memory,
        waiting: (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        completed: counts.completed ?? 0,
        failed: counts.failed ?? 0,
      });
    };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const next = performance.now() + 1000;
        await sampleOnce().catch(() => {});
        await sleep(Math.max(0, next - performance.now()));
      }
    })();
    cleanups.push(async () => {
      sampling = false;
      await sampler;
    });
    const startMemory = await usedMemory(monitor);
    await sleep(2000);

    // --- 1. fan-out with no worker
    const fanout = scanFanoutHandler(bench.db, queues);
    const fakeJob = (full = false) => ({ data: { full }, updateProgress: async () => {} }) as unknown as Job<JobData['scan-fanout']>;
    phase = 'fan-out';
    let t = performance.now();
    const first = (await fanout(fakeJob())) as { enqueued: number };
    const enqueueS = (performance.now() - t) / 1000;
    await sampleOnce();
    const afterEnqueue = await queue.getJobCounts('waiting', 'prioritized', 'delayed');
    const queued = (afterEnqueue.waiting ?? 0) + (afterEnqueue.prioritized ?? 0) + (afterEnqueue.delayed ?? 0);
    const queuedMemory = await usedMemory(monitor);
    const queuedOwn = await prefixMemory(monitor, prefix);
    console.log(
      `fan-out: ${first.enqueued.toLocaleString('en')} mailboxes read, ${queued.toLocaleString('en')} jobs waiting, in ${enqueueS.toFixed(1)} s ` +
        `(${Math.round(first.enqueued / enqueueS).toLocaleString('en')} jobs/s); Redis +${mb(queuedMemory - startMemory)} MB ` +
        `(${Math.round((queuedMemory - startMemory) / Math.max(queued, 1))} bytes per waiting job); ` +
        `own keys: ${queuedOwn.keys.toLocaleString('en')}, ${mb(queuedOwn.bytes)} MB by MEMORY USAGE`,
    );

    // --- 2. the same fan-out again: every job is still waiting, so deduplication drops them all
    phase = 'fan-out again';
    t = performance.now();
    await fanout(fakeJob());
    const againS = (performance.now() - t) / 1000;
    const afterAgain = await queue.getJobCounts('waiting', 'prioritized', 'delayed');
    const queuedAgain = (afterAgain.waiting ?? 0) + (afterAgain.prioritized ?? 0) + (afterAgain.delayed ?? 0);
    console.log(`fan-out again while queued: ${(queuedAgain - queued).toLocaleString('en')} jobs added (deduplicated), ${againS.toFixed(1)} s`);
    await sleep(2000);

    // --- 3. drain with real Workers
    let mailRoot: string | null = null;
    let writer: BatchWriter | null = null;
    let processor: (job: Job) => Promise<unknown>;
    if (args.processor === 'real') {
      mailRoot = await mkdtemp(path.join(os.tmpdir(), 'mailpanel-fanout-root-'));
      cleanups.push(() => rm(mailRoot!, { recursive: true, force: true }));
      writer = new BatchWriter(bench.db, () => {});
      const handler = scanMailboxHandler({ db: bench.db, node, mailRoot, fullScanHours: 24, writer, logger: pino({ level: 'silent' }) });
      processor = (job) => handler(job as Job<JobData['scan-mailbox']>);
    } else {
      processor = async (job) => ({ mailboxId: (job.data as JobData['scan-mailbox']).mailboxId });
    }
    phase = 'drain';
    let failures = 0;
    const workerConnections: Redis[] = [];
    const workers: Worker[] = [];
    t = performance.now();
    for (let i = 0; i < WORKERS; i++) {
      const connection = createRedis(args['redis-url'], { forWorker: true, name: `bench-fanout-worker-${i}` });
      workerConnections.push(connection);
      // The options of jobs/worker.ts (STALLED_MS default 30 s).
      const w = new Worker(queueName, processor, { connection, prefix, concurrency: CONCURRENCY, stalledInterval: 30_000, lockDuration: 30_000, maxStalledCount: 1 });
      w.on('failed', () => failures++);
      w.on('error', () => {});
      workers.push(w);
    }
    const stopWorkers = async () => {
      await Promise.all(workers.splice(0).map((w) => w.close()));
      await writer?.flush();
      for (const c of workerConnections.splice(0)) c.disconnect();
    };
    cleanups.push(stopWorkers);
    let drained = false;
    while (performance.now() - t < TIMEOUT_MS) {
      const c = await queue.getJobCounts('waiting', 'active', 'prioritized', 'delayed');
      if ((c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0) === 0) {
        drained = true;
        break;
      }
      await sleep(100);
    }
    const drainS = (performance.now() - t) / 1000;
    await stopWorkers();
    const finished = await queue.getJobCounts('completed', 'failed');
    console.log(
      `drain: ${drained ? 'empty' : `NOT empty after ${TIMEOUT_MS / 1000} s`} in ${drainS.toFixed(1)} s with ${WORKERS} worker(s) x ${CONCURRENCY} ` +
        `(${args.processor} processor): ${Math.round(queued / drainS).toLocaleString('en')} jobs/s; ${failures} failed; ` +
        `kept afterwards: ${finished.completed} completed, ${finished.failed} failed (removeOnComplete ${JSON.stringify(FINISHED.removeOnComplete)})`,
    );

    // --- 4. idle
    phase = 'idle (after)';
    await sleep(4000);
    sampling = false;
    await sampler;
    const endMemory = await usedMemory(monitor);
    const endOwn = await prefixMemory(monitor, prefix);

    // --- report
    const peak = samples.reduce((a, s) => (s.usedMemory > a.usedMemory ? s : a), samples[0]);
    const drainSamples = samples.filter((s) => s.phase === 'drain');
    const every = args.samples ? 1 : Math.max(1, Math.ceil(samples.length / 30));
    console.log(`\nsamples (every ${every} s${every > 1 ? '; --samples for all' : ''}):`);
    console.log('     t  phase             used_memory  waiting   active  completed  failed');
    samples.forEach((s, i) => {
      const boundary = i === 0 || samples[i - 1].phase !== s.phase || i === samples.length - 1 || s === peak;
      if (i % every !== 0 && !boundary) return;
      console.log(
        `${s.t.toFixed(0).padStart(6)}  ${s.phase.padEnd(16)} ${`${mb(s.usedMemory)} MB`.padStart(12)}  ${String(s.waiting).padStart(7)}  ${String(s.active).padStart(7)}  ${String(s.completed).padStart(9)}  ${String(s.failed).padStart(6)}`,
      );
    });
    const drainPeak = drainSamples.reduce((a, s) => Math.max(a, s.usedMemory), 0);
    const drainEnd = drainSamples.length ? drainSamples[drainSamples.length - 1].usedMemory : NaN;
    console.log(`
Redis used_memory (whole server; other users of this Redis move it too):
  start              ${mb(startMemory)} MB
  after fan-out      ${mb(queuedMemory)} MB  (${queued.toLocaleString('en')} jobs waiting)
  peak               ${mb(peak.usedMemory)} MB  at ${peak.t.toFixed(0)} s (${peak.phase})
  during the drain   from ${mb(drainPeak)} MB down to ${mb(drainEnd)} MB
  end (idle)         ${mb(endMemory)} MB  = start ${endMemory >= startMemory ? '+' : ''}${mb(endMemory - startMemory)} MB, ${(((endMemory - startMemory) / Math.max(peak.usedMemory - startMemory, 1)) * 100).toFixed(0)}% of the peak's growth
this bench's own keys (MEMORY USAGE): ${queuedOwn.keys.toLocaleString('en')} keys / ${mb(queuedOwn.bytes)} MB with every job waiting, ${endOwn.keys.toLocaleString('en')} keys / ${mb(endOwn.bytes)} MB after the drain
rates: fan-out ${Math.round(first.enqueued / enqueueS).toLocaleString('en')} jobs/s, drain ${Math.round(queued / drainS).toLocaleString('en')} jobs/s; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    // Judged on this bench's own keys: used_memory also moves with whatever else uses the server meanwhile.
    const back = endOwn.bytes < 0.05 * queuedOwn.bytes + 2 * MB;
    const ok = drained && queued === total && queuedAgain === queued && failures === 0 && back;
    console.log(`checks: all ${total.toLocaleString('en')} mailboxes queued ${queued === total ? 'yes' : 'NO'}; re-fan-out deduplicated ${queuedAgain === queued ? 'yes' : 'NO'}; ` +
      `drained ${drained ? 'yes' : 'NO'}; own keys back to under 5% of their peak ${back ? 'yes' : 'NO'} => ${ok ? 'ok' : 'FAILED'}`);
    process.exitCode = ok ? 0 : 1;
  } finally {
    await cleanup();
    finished();
  }
}

await main();
