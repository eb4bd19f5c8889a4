import type { Job } from 'bullmq';
import type { Db } from '../../db/database.js';
import { addScans, type Queues } from '../queues.js';
import type { JobData } from '../registry.js';

const PAGE = 1000;

/** Enqueues one scan per mailbox, each on its node's queue, in bulk; duplicates of queued scans are dropped. */
export function scanFanoutHandler(db: Db, queues: Queues) {
  return async (job: Job<JobData['scan-fanout']>) => {
    let after = 0;
    let total = 0;
    for (;;) {
      const rows = await db.selectFrom('mailboxes').select(['id', 'node']).where('id', '>', after).orderBy('id').limit(PAGE).execute();
      if (rows.length === 0) break;
      const byNode = new Map<string, typeof rows>();
      for (const r of rows) byNode.set(r.node, [...(byNode.get(r.node) ?? []), r]);
      for (const [node, list] of byNode) {
        await addScans(queues, node, list.map((r) => r.id), job.data.full);
      }
      total += rows.length;
      after = rows[rows.length - 1].id;
      await job.updateProgress(total);
    }
    return { enqueued: total };
  };
}
