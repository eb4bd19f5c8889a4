import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import { mailboxPlace, recordDovecotCount } from '../../db/repositories/usage-feed.js';
import { quotaRecalcs } from '../../server/platform/metrics.js';
import type { JobData } from '../queue/registry.js';
import { readDovecotCount } from '../feed/maildirsize.js';
import { doveadm } from '../dovecot/doveadm.js';

export interface RecalcContext {
  db: Db;
  node: string;
  mailRoot: string;
  /** The doveadm command line, e.g. ['doveadm'] or ['doveadm', '-c', '/etc/dovecot/dovecot.conf']. */
  doveadm: string[];
  logger: Logger;
}

/**
 * Has Dovecot recount a drifted mailbox (mail restored or copied behind its back), so that its own
 * enforcement agrees with the disk, then records the new count as the feed would: quota_clone
 * reports saves and expunges, not recounts. Runs on the mailbox's node, beside Dovecot.
 */
export function quotaRecalcHandler(ctx: RecalcContext) {
  return async (job: Job<JobData['quota-recalc']>) => {
    const row = await mailboxPlace(ctx.db, job.data.mailboxId);
    if (!row) return { skipped: 'deleted' };
    if (row.node !== ctx.node) throw new UnrecoverableError(`mailbox ${job.data.mailboxId} lives on node ${row.node}, not ${ctx.node}`);
    try {
      await doveadm(ctx.doveadm, ['quota', 'recalc', '-u', row.address]);
    } catch (err) {
      quotaRecalcs.inc({ result: 'failed' });
      throw err;
    }
    const count = await readDovecotCount(ctx.mailRoot, row.maildir);
    if (count) await recordDovecotCount(ctx.db, row.address, count.bytes, count.messages);
    quotaRecalcs.inc({ result: 'ok' });
    ctx.logger.info({ mailboxId: job.data.mailboxId, dovecotBytes: count?.bytes }, 'Dovecot recounted a drifted mailbox');
    return count ?? { recounted: true };
  };
}
