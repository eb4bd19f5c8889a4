import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import { chunkMailboxes, storedStates, type ChunkMailbox } from '../../db/repositories/usage-feed.js';
import { scanDuration } from '../../server/platform/metrics.js';
import type { JobData } from '../queue/registry.js';
import { parseState, type ScanItem, type ScanPool } from '../scan/index.js';
import type { DiskWatch } from '../scan/disk-watch.js';
import { maildirComponents } from '../../server/core/maildir/maildir-path.js';
import { databaseNow, recordVerified } from '../../db/repositories/usage.js';
import { writeUsage, type UsageResult, type WriteOutcome } from '../../server/services/usage/store.js';

export interface ChunkContext {
  db: Db;
  node: string;
  mailRoot: string;
  fullScanHours: number;
  driftBytes: number;
  /** The worker's thread pool, kept for the life of the process. */
  pool: ScanPool;
  /** What changed on the disk since each Maildir was measured; null: look at every Maildir. */
  watch: DiskWatch | null;
  logger: Logger;
  onWritten: (outcome: WriteOutcome) => Promise<void>;
  now?: () => Date;
}

/** Results per database write: one statement for hundreds of mailboxes. */
const WRITE_BATCH = 250;

/**
 * Chunks in progress at once per process. The thread pool is the bottleneck (a chunk keeps its threads
 * busy), so a round of 20 chunks taken at once by a worker with SCAN_CONCURRENCY 32 gains nothing from
 * holding every chunk's stored states and results in memory together: it only raises the peak RSS.
 */
const CHUNKS_AT_ONCE = 4;

/**
 * An event read up to this long before a measurement began may have happened after it (the clocks of
 * the database and of this process, the delay before events are read): such a Maildir is looked at.
 */
const QUIET_MARGIN_MS = 1000;

/** A counting semaphore: run() waits for one of `size` slots. */
class Slots {
  #free: number;
  #waiting: (() => void)[] = [];
  constructor(size: number) {
    this.#free = size;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/** The full reads and the incremental ones of a chunk, as one stream of result batches. */
async function* scanBoth(pool: ScanPool, mailRoot: string, full: ScanItem[], incremental: ScanItem[]) {
  if (full.length) yield* pool.scan(mailRoot, full, { batchSize: WRITE_BATCH, full: true });
  if (incremental.length) yield* pool.scan(mailRoot, incremental, { batchSize: WRITE_BATCH });
}

/**
 * The periodic verification of one slice of a node's mailboxes (ids fromId..toId): one query for
 * their stored states, the threaded walker over them, one write per few hundred results. Safe to
 * retry after a crash: a result older than the stored figure is dropped (see writeUsage).
 */
export function scanChunkHandler(ctx: ChunkContext) {
  const slots = new Slots(CHUNKS_AT_ONCE);
  return (job: Job<JobData['scan-chunk']>) => slots.run(() => runChunk(ctx, job));
}

async function runChunk(ctx: ChunkContext, job: Job<JobData['scan-chunk']>) {
  const { node, fromId, toId } = job.data;
  if (node !== ctx.node) throw new UnrecoverableError(`chunk of node ${node} reached the worker of ${ctx.node}`);
  const now = ctx.now?.() ?? (await databaseNow(ctx.db));
  const staleBefore = now.getTime() - ctx.fullScanHours * 3600_000;
  const rows = await chunkMailboxes(ctx.db, node, fromId, toId);
  // A mailbox never measured fully, or not for FULL_SCAN_HOURS, is read whole (no previous state).
  const full = new Set(rows.filter((r) => job.data.full || !r.fullScannedAt || r.fullScannedAt.getTime() < staleBefore).map((r) => r.id));
  const { quietIds, rest: toWalk } = splitQuiet(ctx, rows, full, now);
  // A full read still gets the stored state to compare with: an unchanged tree then writes nothing.
  const states = await storedStates(
    ctx.db,
    toWalk.map((r) => r.id),
  );
  const item = (r: ChunkMailbox): ScanItem => ({ id: r.id, maildir: r.maildir, previous: states.get(r.id) });
  const rowOf = new Map(rows.map((r) => [r.id, r]));
  const timer = scanDuration.startTimer({ full: 'chunk' });
  // Found as the last measurement left them: only the time is recorded, once for the chunk (see recordVerified).
  const verified = [...quietIds];
  let measured = 0;
  let failed = 0;
  const fullItems = toWalk.filter((r) => full.has(r.id)).map(item);
  const rest = toWalk.filter((r) => !full.has(r.id)).map(item);
  const watch = ctx.watch;
  for await (const batch of scanBoth(ctx.pool, ctx.mailRoot, fullItems, rest)) {
    const results: UsageResult[] = [];
    for (const r of batch) {
      if (!r.ok) {
        failed++;
        ctx.logger.warn({ mailboxId: r.id, code: r.error.code }, 'mailbox not measured');
        continue;
      }
      const id = Number(r.id);
      const row = rowOf.get(id)!;
      if (watch && (r.changed || !watch.watching(id))) watchMaildir(watch, ctx.mailRoot, id, row.maildir, r.state);
      // No Maildir, as at the last measurement (which stored no state): as unchanged as an equal state.
      if (!r.changed || (r.state === null && !states.has(id) && row.diskAt !== null)) verified.push(id);
      else results.push({ mailboxId: id, bytes: r.bytes, messages: r.messages, scannedAt: now, state: r.state, full: full.has(id) });
    }
    const outcome = await writeUsage(ctx.db, results, { driftBytes: ctx.driftBytes });
    if (outcome.written.length || outcome.drifted.length) await ctx.onWritten(outcome);
    measured += results.length;
    await job.updateProgress(measured);
  }
  await recordVerified(
    ctx.db,
    verified,
    verified.filter((id) => full.has(id)),
    now,
  );
  measured += verified.length;
  timer();
  // quiet: mailboxes taken as they were without a look inside, because the watch saw nothing happen there.
  return { measured, failed, quiet: quietIds.length };
}

/** Watches what a measurement found, so that the next round need not look inside while nothing happens. */
function watchMaildir(watch: DiskWatch, mailRoot: string, id: number, maildir: string, stateText: string | null) {
  const state = parseState(stateText);
  if (!state) return;
  watch.watch(id, maildirComponents(mailRoot, maildir), state);
}

/**
 * The mailboxes the watch saw nothing happen in since their last measurement began, and the rest, for
 * the threads. A full read is never skipped. Watch times are on this process's clock, measurement
 * times on the database's.
 */
function splitQuiet(ctx: ChunkContext, rows: ChunkMailbox[], full: Set<number>, now: Date) {
  const watch = ctx.watch;
  watch?.drain();
  const skew = now.getTime() - Date.now();
  const quietIds: number[] = [];
  const rest: ChunkMailbox[] = [];
  for (const r of rows) {
    if (watch && r.diskAt && !full.has(r.id) && watch.quiet(r.id, r.diskAt.getTime() - skew - QUIET_MARGIN_MS)) quietIds.push(r.id);
    else rest.push(r);
  }
  return { quietIds, rest };
}
