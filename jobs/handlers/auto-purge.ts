// The plans' automatic purge: a job scheduler (jobs/schedules.ts) runs purge-fanout, which queues a round
// on each node that has mailboxes to purge. There the node's Dovecot expunges what was moved to Trash
// (Junk) more than the plan's days ago, page by page of mailboxes. Each purge that removed something is
// kept as a cleanup, so the mailbox's history shows it.
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import { insertCleanup, purgeNodes, purgeTargets } from '../../db/repositories/cleanups.js';
import { purgeCutoffs, searchQuery } from '../../server/core/cleanup.js';
import { NoSuchFolder } from '../dovecot/doveadm.js';
import { expunge, matching } from '../dovecot/messages.js';
import { addScans, type Queues } from '../queue/queues.js';
import type { JobData } from '../queue/registry.js';

export interface PurgeContext {
  db: Db;
  node: string;
  doveadm: string[];
  queues: Queues;
  logger: Logger;
  now: () => Date;
}

/** Who the history names for a purge nobody asked for. */
export const AUTO_PURGE = 'auto-purge';
const PAGE = 200;

/** One round per node with mailboxes to purge, each on that node's queue (beside its Dovecot). */
export function purgeFanoutHandler(db: Db, queues: Queues) {
  return async () => {
    const nodes = await purgeNodes(db);
    for (const node of nodes) await queues.enqueue('purge-round', { node }, { node });
    return { nodes };
  };
}

export function autoPurgeHandler(ctx: PurgeContext) {
  return async (_job: Job<JobData['purge-round']>) => {
    const now = ctx.now();
    let after = 0;
    let mailboxes = 0;
    let messages = 0;
    let failed = 0;
    for (;;) {
      const page = await purgeTargets(ctx.db, ctx.node, after, PAGE);
      if (page.length === 0) break;
      after = page[page.length - 1].id;
      const purged: number[] = [];
      for (const m of page) {
        for (const cut of purgeCutoffs({ trashPurgeDays: m.trash_purge_days, junkPurgeDays: m.junk_purge_days }, now)) {
          try {
            const found = await matching(ctx.doveadm, m.address, searchQuery({ folder: cut.folder, savedBefore: cut.savedBefore }));
            if (found.uids.length === 0) continue;
            await expunge(ctx.doveadm, m.address, cut.folder, found.uids);
            await insertCleanup(ctx.db, {
              mailbox_id: m.id,
              folder: cut.folder,
              older_than_days: cut.days,
              status: 'done',
              preview_messages: found.uids.length,
              preview_bytes: found.bytes,
              messages: found.uids.length,
              bytes: found.bytes,
              requested_by: AUTO_PURGE,
              finished_at: new Date(),
            });
            messages += found.uids.length;
            purged.push(m.id);
          } catch (err) {
            // No such folder: nothing to purge. Anything else: this mailbox waits for the next round.
            if (err instanceof NoSuchFolder) continue;
            failed++;
            ctx.logger.warn({ err, mailboxId: m.id, folder: cut.folder }, 'automatic purge failed for a mailbox');
          }
        }
      }
      mailboxes += page.length;
      if (purged.length) await addScans(ctx.queues, ctx.node, [...new Set(purged)]).catch(() => undefined);
    }
    if (messages || failed) ctx.logger.info({ node: ctx.node, mailboxes, messages, failed }, 'automatic purge done');
    return { mailboxes, messages, failed };
  };
}
