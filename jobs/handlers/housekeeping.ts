import type { Db } from '../../db/database.js';
import { deleteExpiredSessions, deleteSpentSetupTokens } from '../../db/repositories/sessions.js';
import { failStuckImports, forgetGeneratedPasswords } from '../../db/repositories/imports.js';
import { pruneSamples } from '../../db/repositories/usage.js';
import { pruneOldPreviews } from '../../db/repositories/cleanups.js';
import { deleteExpiredMailboxSessions } from '../../db/repositories/mailbox-sessions.js';
import { expiredDeleted, setDeletedState, unmovedDeleted } from '../../db/repositories/deleted-mailboxes.js';
import { pruneWebhookHistory } from '../../db/repositories/webhooks.js';
import type { Queues } from '../queue/queues.js';

/** How long webhook delivery logs stay readable (README, "Webhooks"). */
export const WEBHOOK_HISTORY_DAYS = 30;

/**
 * Deleted mailboxes past their retention are purged on their nodes; a step whose job was lost (Redis
 * restarted without its data, the queue away at deletion) is queued again.
 */
async function queueDeletedMailboxFiles(db: Db, queues: Queues) {
  let purges = 0;
  for (const rec of await expiredDeleted(db)) {
    if (await setDeletedState(db, rec.id, ['kept'], 'purging')) {
      await queues.enqueue('mailbox-purge', { deletedId: rec.id }, { node: rec.node });
      purges++;
    }
  }
  const stuck = await unmovedDeleted(db, 10);
  const step = { moving: 'mailbox-trash', restoring: 'mailbox-restore', purging: 'mailbox-purge' } as const;
  for (const rec of stuck) await queues.enqueue(step[rec.state as keyof typeof step], { deletedId: rec.id }, { node: rec.node });
  return { purges, requeued: stuck.length };
}

/**
 * Daily: old usage samples, ended sessions and setup links, and secrets an import left behind (a
 * job lost with Redis, or generated passwords nobody downloaded) are removed.
 */
export async function housekeeping(db: Db, opts: { sampleRetentionDays: number; sessionAbsoluteSeconds: number }, queues: Queues) {
  const deleted = await queueDeletedMailboxFiles(db, queues);
  const samples = await pruneSamples(db, opts.sampleRetentionDays);
  const sessions = await deleteExpiredSessions(db, opts.sessionAbsoluteSeconds);
  return {
    ...deleted,
    samples,
    sessions,
    setupTokens: await deleteSpentSetupTokens(db),
    stuckImports: await failStuckImports(db),
    expiredPasswords: await forgetGeneratedPasswords(db),
    cleanupPreviews: await pruneOldPreviews(db),
    mailboxSessions: await deleteExpiredMailboxSessions(db, opts.sessionAbsoluteSeconds),
    webhookHistory: await pruneWebhookHistory(db, WEBHOOK_HISTORY_DAYS),
  };
}
