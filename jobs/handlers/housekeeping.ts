import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { deleteExpiredSessions } from '../../db/repositories/sessions.js';
import { pruneSamples } from '../../server/services/usage/store.js';
import { expiredDeleted, setDeletedState, unmovedDeleted } from '../../db/repositories/deleted-mailboxes.js';
import type { Queues } from '../queue/queues.js';

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
  const tokens = await db.deleteFrom('setup_tokens').where(sql<boolean>`expires_at < now() OR used_at IS NOT NULL`).executeTakeFirst();
  const stuck = await db
    .updateTable('mailbox_imports')
    .set({ status: 'failed', rows: sql`NULL`, error: 'The import did not finish within a day and was stopped.', finished_at: new Date() })
    .where('status', 'in', ['queued', 'running'])
    .where(sql<boolean>`created_at < now() - interval '1 day'`)
    .executeTakeFirst();
  const passwords = await db
    .updateTable('mailbox_imports')
    .set({ generated_passwords: sql`NULL` })
    .where('generated_passwords', 'is not', null)
    .where(sql<boolean>`coalesce(finished_at, created_at) < now() - interval '7 days'`)
    .executeTakeFirst();
  return {
    ...deleted,
    samples,
    sessions,
    setupTokens: Number(tokens.numDeletedRows),
    stuckImports: Number(stuck.numUpdatedRows),
    expiredPasswords: Number(passwords.numUpdatedRows),
  };
}
