import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import type { BatchWriter } from '../../server/services/usage/batch-writer.js';
import { databaseNow } from '../../db/repositories/usage.js';
import { mailboxToScan } from '../../db/repositories/usage-feed.js';
import type { JobData } from '../queue/registry.js';
import { scanDuration } from '../../server/platform/metrics.js';
import { ScanError, scanMailbox } from '../scan/index.js';

export interface ScanContext {
  db: Db;
  node: string;
  mailRoot: string;
  fullScanHours: number;
  writer: BatchWriter;
  logger: Logger;
  now?: () => Date;
}

/** Measures one mailbox on this node's disk and records the result (idempotent: see writeUsage). */
export function scanMailboxHandler(ctx: ScanContext) {
  return async (job: Job<JobData['scan-mailbox']>) => {
    const { mailboxId } = job.data;
    const row = await mailboxToScan(ctx.db, mailboxId);
    if (!row) return { skipped: 'deleted' };
    if (row.node !== ctx.node) throw new UnrecoverableError(`mailbox ${mailboxId} lives on node ${row.node}, not ${ctx.node}`);
    // A measurement taken after this job was queued already answers it: a job retried after its
    // worker died just after writing (or a duplicate of a "scan now") writes nothing twice.
    if (row.scanned_at && row.scanned_at.getTime() >= job.timestamp && !job.data.full) return { skipped: 'already measured' };

    const now = ctx.now?.() ?? (await databaseNow(ctx.db));
    const stale = !row.full_scanned_at || now.getTime() - row.full_scanned_at.getTime() > ctx.fullScanHours * 3600_000;
    const full = !!job.data.full || stale;
    const timer = scanDuration.startTimer({ full: String(full) });
    try {
      const usage = await scanMailbox(ctx.mailRoot, row.maildir, full ? undefined : row.scan_state, { full });
      timer();
      await ctx.writer.write({ mailboxId, bytes: usage.bytes, messages: usage.messages, scannedAt: now, state: usage.state, full });
      return { bytes: usage.bytes, messages: usage.messages, full, dirsRead: usage.dirsRead };
    } catch (err) {
      if (err instanceof ScanError && err.refused) {
        // A stored path that leaves MAIL_ROOT or runs through a symlink is suspect: never retried.
        ctx.logger.warn({ mailboxId, code: err.code }, 'maildir path refused');
        throw new UnrecoverableError(`maildir refused: ${err.code}`);
      }
      throw err;
    }
  };
}
