// Freeing space, done by the mailbox's own Dovecot on its node: previews and listings (questions the
// web waits for) and confirmed cleanups (doveadm expunge of exactly the previewed messages). Dovecot's
// quota plugin and quota_clone see every expunge, so usage and warnings follow through the feed; a scan
// follows too, for the per-folder figures.
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import { cleanupToRun, updateCleanup } from '../../db/repositories/cleanups.js';
import { mailboxPlace } from '../../db/repositories/usage-feed.js';
import { type LargeMessage, MAX_CHOSEN, type PreviewAnswer, searchQuery, uidSet } from '../../server/core/cleanup.js';
import { doveadmJson, NoSuchFolder } from '../dovecot/doveadm.js';
import { expunge, matching, uidvalidityOf } from '../dovecot/messages.js';
import { addScans, type Queues } from '../queue/queues.js';
import type { JobData } from '../queue/registry.js';

export interface CleanupContext {
  db: Db;
  node: string;
  doveadm: string[];
  queues: Queues;
  logger: Logger;
}

/** A question older than this has no asker left (the web waits 15 s): not worth a doveadm run. */
const QUESTION_MAX_AGE_MS = 30_000;

async function placeOf(ctx: CleanupContext, mailboxId: number) {
  const box = await mailboxPlace(ctx.db, mailboxId);
  if (!box) throw new UnrecoverableError(`mailbox ${mailboxId} no longer exists`);
  if (box.node !== ctx.node) throw new UnrecoverableError(`mailbox ${mailboxId} lives on node ${box.node}, not ${ctx.node}`);
  return box;
}

export function cleanupHandlers(ctx: CleanupContext) {
  return {
    'cleanup-preview': async (job: Job<JobData['cleanup-preview']>): Promise<PreviewAnswer> => {
      const none = { messages: 0, bytes: 0, uidSet: '', uidvalidity: null };
      if (Date.now() - job.timestamp > QUESTION_MAX_AGE_MS) return { ...none, stale: true };
      const box = await placeOf(ctx, job.data.mailboxId);
      try {
        const uidvalidity = await uidvalidityOf(ctx.doveadm, box.address, job.data.folder);
        const found = await matching(ctx.doveadm, box.address, searchQuery(job.data));
        return { messages: found.uids.length, bytes: found.bytes, uidSet: uidSet(found.uids), uidvalidity };
      } catch (err) {
        if (err instanceof NoSuchFolder) return { ...none, noFolder: true };
        throw err;
      }
    },

    'large-messages': async (job: Job<JobData['large-messages']>): Promise<LargeMessage[]> => {
      if (Date.now() - job.timestamp > QUESTION_MAX_AGE_MS) return [];
      const box = await placeOf(ctx, job.data.mailboxId);
      // LARGER compares the size a client sees (CRLF), never below the size on disk: a superset, cut below.
      const rows = await doveadmJson(ctx.doveadm, [
        'fetch',
        '-u',
        box.address,
        'mailbox uid size.physical date.received hdr.from hdr.subject',
        'larger',
        String(job.data.minBytes - 1),
      ]);
      return rows
        .map((r) => ({
          folder: r.mailbox,
          uid: Number(r.uid),
          bytes: Number(r['size.physical']),
          from: r['hdr.from'] ?? '',
          subject: r['hdr.subject'] ?? '',
          date: r['date.received'] ?? '',
        }))
        .filter((m) => m.bytes >= job.data.minBytes)
        .sort((a, b) => b.bytes - a.bytes)
        .slice(0, MAX_CHOSEN);
    },

    'mailbox-cleanup': async (job: Job<JobData['mailbox-cleanup']>) => {
      const c = await cleanupToRun(ctx.db, job.data.cleanupId);
      if (!c) return { skipped: 'gone' };
      if (c.status === 'done' || c.status === 'failed') return { skipped: c.status };
      if (c.node !== ctx.node) throw new UnrecoverableError(`cleanup ${c.id} is for node ${c.node}, not ${ctx.node}`);
      const fail = async (error: string) => {
        await updateCleanup(ctx.db, c.id, { status: 'failed', error, finished_at: new Date() });
        return { failed: error };
      };
      await updateCleanup(ctx.db, c.id, { status: 'running' });
      try {
        // UIDs name messages only within one UIDVALIDITY: a folder deleted and made again since the
        // preview holds other messages under the same numbers.
        if (c.uidvalidity !== null && (await uidvalidityOf(ctx.doveadm, c.address, c.folder)) !== Number(c.uidvalidity))
          return fail('The folder changed since the preview. Preview the cleanup again.');
        const query = searchQuery({ folder: c.folder, olderThanDays: c.older_than_days ?? undefined, uidSet: c.uid_set ?? undefined });
        // The previewed messages still there (and still matching): exactly these are expunged.
        const found = c.uid_set === '' ? { uids: [], bytes: 0 } : await matching(ctx.doveadm, c.address, query);
        await expunge(ctx.doveadm, c.address, c.folder, found.uids);
        await updateCleanup(ctx.db, c.id, { status: 'done', messages: found.uids.length, bytes: found.bytes, finished_at: new Date() });
        ctx.logger.info({ cleanupId: c.id, mailboxId: c.mailbox_id, messages: found.uids.length, bytes: found.bytes }, 'cleanup done');
        // The per-folder figures come from the disk: measure it now rather than at the next round.
        await addScans(ctx.queues, ctx.node, [c.mailbox_id]).catch((err: Error) => ctx.logger.warn({ err }, 'scan after cleanup not queued'));
        return { messages: found.uids.length, bytes: found.bytes };
      } catch (err) {
        if (err instanceof NoSuchFolder) return fail('The folder no longer exists.');
        if (err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await fail((err as Error).message);
        throw err;
      }
    },
  };
}
