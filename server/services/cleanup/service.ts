// Freeing space in a mailbox: always a preview first (what would go: messages and bytes), then the
// confirmed run, done by the mailbox's node (jobs/handlers/cleanup.ts). The web asks the node and
// waits for its answer; the run itself is a job whose result the cleanup's row keeps.
import type { Db } from '../../../db/database.js';
import { confirmPreview, getCleanup, insertCleanup, recentCleanups } from '../../../db/repositories/cleanups.js';
import type { CleanupsTable } from '../../../db/schema.js';
import type { Selectable } from 'kysely';
import { type CleanupCriteria, type LargeMessage, LARGE_MESSAGE_BYTES, type PreviewAnswer, checkCriteria, checkFolder } from '../../core/cleanup.js';
import { AppError, notFound } from '../../platform/errors.js';
import type { Queues } from '../../../jobs/queue/queues.js';
import { recordChange } from '../audit/record.js';
import { type Principal, assertWritable } from '../auth/principal.js';
import { getMailboxOr404 } from '../mailboxes/service.js';

/** How long a request waits for the node's answer before it says the mail server is not answering. */
export const ASK_TIMEOUT_MS = 15_000;

type Row = Selectable<CleanupsTable>;

export function cleanupView(c: Row) {
  return {
    id: c.id,
    folder: c.folder,
    olderThanDays: c.older_than_days,
    status: c.status,
    preview: { messages: c.preview_messages, bytes: Number(c.preview_bytes) },
    result: c.status === 'done' ? { messages: c.messages ?? 0, bytes: Number(c.bytes ?? 0) } : null,
    error: c.error,
    createdAt: c.created_at.toISOString(),
    finishedAt: c.finished_at ? c.finished_at.toISOString() : null,
  };
}

/** The node's answer; no answer in time (node down, Redis away) is a 503 that keeps its cause for the log. */
async function ask<T>(run: () => Promise<unknown>): Promise<T> {
  try {
    return (await run()) as T;
  } catch (err) {
    throw Object.assign(new AppError('unavailable', 'The mail server of this mailbox did not answer. Try again in a minute.'), { cause: err });
  }
}

function criteriaOr400(input: CleanupCriteria): CleanupCriteria {
  const checked = checkCriteria(input);
  if (!checked.ok) throw new AppError('validation', checked.message, checked.field);
  return checked.value;
}

/** Counts what a cleanup would delete, on the mailbox's node; nothing is deleted. Kept for confirmation. */
export async function previewCleanup(db: Db, queues: Queues, p: Principal, address: string, input: CleanupCriteria) {
  assertWritable(p);
  const m = await getMailboxOr404(db, p, address);
  const criteria = criteriaOr400(input);
  const answer = await ask<PreviewAnswer>(() => queues.request('cleanup-preview', { mailboxId: m.id, ...criteria }, { node: m.node }, ASK_TIMEOUT_MS));
  if (answer.noFolder) throw new AppError('validation', 'This mailbox has no folder of that name.', 'folder');
  if (answer.stale) throw new AppError('unavailable', 'The mail server of this mailbox did not answer. Try again in a minute.');
  const row = await insertCleanup(db, {
    mailbox_id: m.id,
    folder: criteria.folder,
    older_than_days: criteria.olderThanDays ?? null,
    uid_set: answer.uidSet,
    uidvalidity: answer.uidvalidity,
    status: 'preview',
    preview_messages: answer.messages,
    preview_bytes: answer.bytes,
  });
  return { mailbox: m, cleanup: row };
}

/** Confirms a preview of this mailbox, once and within the hour: queued on the mailbox's node; audited. */
export async function confirmCleanup(db: Db, queues: Queues, p: Principal, address: string, previewId: number, folder?: string) {
  assertWritable(p);
  const m = await getMailboxOr404(db, p, address);
  // An API client names the folder again: a preview of another folder is not what it means to delete.
  const named = folder === undefined ? null : checkFolder(folder);
  if (named?.ok) {
    const previewed = await getCleanup(db, m.id, previewId);
    if (previewed && previewed.folder !== named.value) throw new AppError('validation', 'This preview is of another folder.', 'folder');
  }
  const row = await confirmPreview(db, m.id, previewId, p.actor.label);
  if (!row)
    throw new AppError('conflict', 'This preview is no longer valid (older than an hour, or already confirmed). Preview the cleanup again.', 'previewId');
  await recordChange(db, p, {
    action: 'mailbox.cleanup',
    objectType: 'mailbox',
    objectId: m.address,
    resellerId: m.reseller_id,
    customerId: m.customer_id,
    after: { cleanupId: row.id, folder: row.folder, olderThanDays: row.older_than_days, messages: row.preview_messages, bytes: Number(row.preview_bytes) },
  });
  await queues.enqueue('mailbox-cleanup', { cleanupId: row.id }, { node: m.node });
  return { mailbox: m, cleanup: row };
}

/** For an API client that skips the preview: a fresh one, confirmed at once (exactly what it counted goes). */
export async function previewAndConfirm(db: Db, queues: Queues, p: Principal, address: string, input: CleanupCriteria) {
  const { cleanup } = await previewCleanup(db, queues, p, address, input);
  return confirmCleanup(db, queues, p, address, cleanup.id);
}

export async function cleanupOf(db: Db, p: Principal, address: string, id: number) {
  const m = await getMailboxOr404(db, p, address);
  const row = await getCleanup(db, m.id, id);
  if (!row || row.status === 'preview') throw notFound('Cleanup');
  return { mailbox: m, cleanup: row };
}

export async function cleanupsOf(db: Db, mailboxId: number) {
  return recentCleanups(db, mailboxId);
}

/** The mailbox's largest messages (at least 10 MB), largest first, as its node's Dovecot lists them. */
export async function largeMessages(db: Db, queues: Queues, p: Principal, address: string): Promise<LargeMessage[]> {
  const m = await getMailboxOr404(db, p, address);
  return ask<LargeMessage[]>(() => queues.request('large-messages', { mailboxId: m.id, minBytes: LARGE_MESSAGE_BYTES }, { node: m.node }, ASK_TIMEOUT_MS));
}
