import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import { scanItemsOfChunk } from '../../db/repositories/usage-feed.js';
import { scanDuration } from '../../server/metrics.js';
import type { JobData } from '../registry.js';
import type { ScanPool } from '../scan/index.js';
import { writeUsage, type UsageResult, type WriteOutcome } from '../usage-store.js';

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
 * The periodic verification of one slice of a node's mailboxes (ids fromId..toId): one query for
 * their stored states, the threaded walker over them, one write per few hundred results. Safe to
 * retry after a crash: a result older than the stored figure is dropped (see writeUsage).
 */
export function scanChunkHandler(ctx: ChunkContext) {
  return async (job: Job<JobData['scan-chunk']>) => {
    const { node, fromId, toId } = job.data;
    if (node !== ctx.node) throw new UnrecoverableError(`chunk of node ${node} reached the worker of ${ctx.node}`);
    const now = ctx.now?.() ?? new Date();
    const staleBefore = now.getTime() - ctx.fullScanHours * 3600_000;
    const rows = await scanItemsOfChunk(ctx.db, node, fromId, toId);
    // A mailbox never measured fully, or not for FULL_SCAN_HOURS, is read whole (no previous state).
    const full = new Set(rows.filter((r) => !r.fullScannedAt || r.fullScannedAt.getTime() < staleBefore).map((r) => r.id));
    const items = rows.map((r) => ({ id: r.id, maildir: r.maildir, previous: full.has(r.id) ? undefined : (r.scanState ?? undefined) }));
    const timer = scanDuration.startTimer({ full: 'chunk' });
    let measured = 0;
    let failed = 0;
    for await (const batch of ctx.pool.scan(ctx.mailRoot, items, { batchSize: WRITE_BATCH })) {
      const results: UsageResult[] = [];
      for (const r of batch) {
        if (!r.ok) {
          failed++;
          ctx.logger.warn({ mailboxId: r.id, code: r.error.code }, 'mailbox not measured');
          continue;
        }
        results.push({ mailboxId: Number(r.id), bytes: r.bytes, messages: r.messages, scannedAt: now, state: r.state, full: full.has(Number(r.id)) });
      }
      const outcome = await writeUsage(ctx.db, results, { driftBytes: ctx.driftBytes });
      if (outcome.written.length || outcome.drifted.length) await ctx.onWritten(outcome);
      measured += results.length;
      await job.updateProgress(measured);
    }
    timer();
    return { measured, failed };
  };
}
