import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import { scanItemsOfChunk } from '../../db/repositories/usage-feed.js';
import { scanDuration } from '../../server/platform/metrics.js';
import type { JobData } from '../queue/registry.js';
import type { ScanItem, ScanPool } from '../scan/index.js';
import { databaseNow, recordVerified, writeUsage, type UsageResult, type WriteOutcome } from '../../server/services/usage/store.js';

export interface ChunkContext {
  db: Db;
  node: string;
  mailRoot: string;
  fullScanHours: number;
  driftBytes: number;
  /** The worker's thread pool, kept for the life of the process. */
  pool: ScanPool;
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
const CHUNKS_AT_ONCE = 2;

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
  const rows = await scanItemsOfChunk(ctx.db, node, fromId, toId);
  // A mailbox never measured fully, or not for FULL_SCAN_HOURS, is read whole (no previous state).
  const full = new Set(rows.filter((r) => job.data.full || !r.fullScannedAt || r.fullScannedAt.getTime() < staleBefore).map((r) => r.id));
  // A full read still gets the stored state to compare with: an unchanged tree then writes nothing.
  const items = rows.map((r) => ({ id: r.id, maildir: r.maildir, previous: r.scanState ?? undefined }));
  const timer = scanDuration.startTimer({ full: 'chunk' });
  let measured = 0;
  let failed = 0;
  const fullItems = items.filter((i) => full.has(i.id));
  const rest = items.filter((i) => !full.has(i.id));
  for await (const batch of scanBoth(ctx.pool, ctx.mailRoot, fullItems, rest)) {
    const results: UsageResult[] = [];
    const unchanged: number[] = [];
    for (const r of batch) {
      if (!r.ok) {
        failed++;
        ctx.logger.warn({ mailboxId: r.id, code: r.error.code }, 'mailbox not measured');
        continue;
      }
      const id = Number(r.id);
      // The disk as the last scan left it: nothing to write but the time (see recordVerified).
      if (!r.changed) unchanged.push(id);
      else results.push({ mailboxId: id, bytes: r.bytes, messages: r.messages, scannedAt: now, state: r.state, full: full.has(id) });
    }
    await recordVerified(
      ctx.db,
      unchanged,
      unchanged.filter((id) => full.has(id)),
      now,
    );
    const outcome = await writeUsage(ctx.db, results, { driftBytes: ctx.driftBytes });
    if (outcome.written.length || outcome.drifted.length) await ctx.onWritten(outcome);
    measured += results.length + unchanged.length;
    await job.updateProgress(measured);
  }
  timer();
  return { measured, failed };
}
