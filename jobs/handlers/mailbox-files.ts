// The files of deleted mailboxes, on their node: moved out of the live tree when a mailbox is
// deleted, moved back when it is restored, removed when its retention ends. The web never touches
// mail; these run on the worker beside the disks. Each step is idempotent: a retried job finds the
// files where the previous attempt left them.
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import { getDeleted, removeDeleted, setDeletedState } from '../../db/repositories/deleted-mailboxes.js';
import { restoreMailboxRow } from '../../db/repositories/mailboxes.js';
import { emitMailboxEvent } from '../../server/services/webhooks/emit.js';
import type { JobData } from '../queue/registry.js';
import { maildirComponents } from '../../server/core/maildir/maildir-path.js';

export interface FilesContext {
  db: Db;
  node: string;
  mailRoot: string;
  logger: Logger;
}

/** Where a deleted mailbox's files wait: a dot directory, which no domain name can be. */
export const TRASH_DIR = '.deleted';

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

function pathsOf(ctx: FilesContext, rec: { id: number; maildir: string; node: string }) {
  if (rec.node !== ctx.node) throw new UnrecoverableError(`deleted mailbox ${rec.id} lives on node ${rec.node}, not ${ctx.node}`);
  const parts = maildirComponents(ctx.mailRoot, rec.maildir);
  // The mailbox's home (<domain>/<local>), the Maildir's parent: what Dovecot creates and fills.
  return { live: path.dirname(parts[parts.length - 1]), trash: path.join(path.resolve(ctx.mailRoot), TRASH_DIR, String(rec.id)) };
}

async function move(from: string, to: string) {
  if (!(await exists(from))) return false;
  await mkdir(path.dirname(to), { recursive: true, mode: 0o700 });
  await rename(from, to);
  return true;
}

export function mailboxFilesHandlers(ctx: FilesContext) {
  return {
    /** After a deletion: the Maildir leaves the live tree (a mailbox that never got mail has none). */
    'mailbox-trash': async (job: Job<JobData['mailbox-trash']>) => {
      const rec = await getDeleted(ctx.db, job.data.deletedId);
      if (rec?.state !== 'moving') return { skipped: rec ? rec.state : 'gone' };
      const { live, trash } = pathsOf(ctx, rec);
      const moved = (await exists(trash)) || (await move(live, trash));
      await setDeletedState(ctx.db, rec.id, ['moving'], 'kept');
      return { moved };
    },

    /** A restore: the files go back first, then the mailbox row, so no delivery can find an empty Maildir. */
    'mailbox-restore': async (job: Job<JobData['mailbox-restore']>) => {
      const rec = await getDeleted(ctx.db, job.data.deletedId);
      if (rec?.state !== 'restoring') return { skipped: rec ? rec.state : 'gone' };
      const { live, trash } = pathsOf(ctx, rec);
      if (await exists(trash)) {
        if (await exists(live)) throw new UnrecoverableError(`cannot restore mailbox ${rec.id}: ${live} exists`);
        await move(trash, live);
      }
      const restored = await restoreMailboxRow(ctx.db, rec);
      if (!restored.ok) {
        // Taken meanwhile: the files go back where they waited, the record stays restorable.
        await move(live, trash);
        await setDeletedState(ctx.db, rec.id, ['restoring'], 'kept');
        ctx.logger.warn({ deletedId: rec.id, why: restored.why }, 'mailbox not restored');
        return { restored: false, why: restored.why };
      }
      await emitMailboxEvent(ctx.db, 'mailbox.restored', restored.mailboxId);
      return { restored: true, mailboxId: restored.mailboxId };
    },

    /** The retention has ended: the files are removed for good, then the record. */
    'mailbox-purge': async (job: Job<JobData['mailbox-purge']>) => {
      const rec = await getDeleted(ctx.db, job.data.deletedId);
      if (rec?.state !== 'purging') return { skipped: rec ? rec.state : 'gone' };
      const { trash } = pathsOf(ctx, rec);
      await rm(trash, { recursive: true, force: true });
      await removeDeleted(ctx.db, rec.id);
      return { purged: true };
    },
  };
}
