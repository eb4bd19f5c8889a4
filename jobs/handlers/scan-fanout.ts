import type { Job } from 'bullmq';
import type { Db } from '../../db/database.js';
import { chunkRanges } from '../../db/repositories/usage-feed.js';
import type { Queues } from '../queue/queues.js';
import type { JobData } from '../queue/registry.js';

/** Mailboxes per chunk job: enough to amortise a job and a query, small enough to retry cheaply. */
export const CHUNK_SIZE = 500;

/**
 * The periodic verification round: each node's mailboxes in chunk jobs on that node's queue, where
 * the worker beside the disks walks them with its thread pool. Dovecot's feed keeps usage current
 * between rounds; the round confirms it against the disk.
 */
export function scanFanoutHandler(db: Db, queues: Queues, chunkSize = CHUNK_SIZE) {
  return async (job: Job<JobData['scan-fanout']>) => {
    const ranges = await chunkRanges(db, chunkSize);
    const byNode = new Map<string, typeof ranges>();
    for (const r of ranges) byNode.set(r.node, [...(byNode.get(r.node) ?? []), r]);
    for (const [node, list] of byNode)
      await queues.enqueueMany(
        'scan-chunk',
        list.map((r) => ({ node, fromId: r.fromId, toId: r.toId, ...(job.data.full && { full: true }) })),
        { node },
      );
    const total = ranges.reduce((n, r) => n + r.count, 0);
    await job.updateProgress(total);
    return { chunks: ranges.length, mailboxes: total };
  };
}
