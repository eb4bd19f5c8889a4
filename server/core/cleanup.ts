// Rules for freeing space: what a cleanup may ask for, and the doveadm search query that finds its
// messages. Pure: no I/O; the node's worker runs the query (jobs/handlers/cleanup.ts).
import type { Checked } from './address.js';
import { msg, type Text } from './message.js';

/** Messages at least this large are listed as "largest" (cPanel's Email Disk Usage uses the same cut). */
export const LARGE_MESSAGE_BYTES = 10 * 1024 * 1024;
/** At most this many messages are chosen by hand in one cleanup, and listed as largest. */
export const MAX_CHOSEN = 500;
export const MAX_DAYS = 36_500;

export interface CleanupCriteria {
  /** As a client shows it: `Junk`, `Trash`, `Archive/2024`. */
  folder: string;
  /** Only messages received more than this many days ago. */
  olderThanDays?: number;
  /** Only these messages (IMAP UIDs in the folder): chosen from the largest. */
  uids?: number[];
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/** A folder name as a user types or picks it; wildcards are refused, they would widen a deletion. */
export function checkFolder(input: string): Checked<string> {
  const value = input.trim().replace(/^inbox$/i, 'INBOX');
  if (!value) return { ok: false, message: 'Choose a folder.' };
  if (value.length > 255 || CONTROL.test(value) || /[*%]/.test(value) || value.startsWith('/') || value.endsWith('/') || value.includes('//'))
    return { ok: false, message: 'This is not a folder of this mailbox.' };
  return { ok: true, value };
}

/** The checked criteria, or the field and message of the first problem. */
export function checkCriteria(input: CleanupCriteria): { ok: true; value: CleanupCriteria } | { ok: false; field: string; message: Text } {
  const folder = checkFolder(input.folder);
  if (!folder.ok) return { ok: false, field: 'folder', message: folder.message };
  const days = input.olderThanDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > MAX_DAYS))
    return { ok: false, field: 'olderThanDays', message: msg('Enter a number of days from 1 to {max}.', { max: MAX_DAYS }) };
  const uids = input.uids;
  if (uids !== undefined) {
    if (uids.length === 0 || uids.length > MAX_CHOSEN)
      return { ok: false, field: 'uids', message: msg('Choose from 1 to {max} messages.', { max: MAX_CHOSEN }) };
    if (uids.some((u) => !Number.isInteger(u) || u < 1 || u > 4_294_967_295))
      return { ok: false, field: 'uids', message: 'These are not messages of this folder.' };
  }
  return {
    ok: true,
    value: { folder: folder.value, ...(days !== undefined && { olderThanDays: days }), ...(uids !== undefined && { uids: [...new Set(uids)] }) },
  };
}

/** UIDs as an IMAP sequence set, runs collapsed: [1,2,3,5,9,10] → "1:3,5,9:10". */
export function uidSet(uids: number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * The doveadm search query of a cleanup (doveadm-search-query(7)): the folder, then only the given
 * UIDs, then only mail received (INTERNALDATE) before N days ago. Each part is its own argument, so
 * nothing a user typed is parsed by a shell or as a query keyword.
 */
export function searchQuery(c: CleanupCriteria & { uidSet?: string; savedBefore?: Date }): string[] {
  const q = ['mailbox', c.folder];
  const uids = c.uidSet ?? (c.uids ? uidSet(c.uids) : undefined);
  if (uids) q.push('uid', uids);
  if (c.olderThanDays !== undefined) q.push('before', `${c.olderThanDays}d`);
  // The automatic purge goes by when mail was moved there (its save date), as Dovecot's own expire does.
  if (c.savedBefore) q.push('savedbefore', String(Math.floor(c.savedBefore.getTime() / 1000)));
  return q;
}

/** The folders a plan purges automatically, with the day each one's cut-off falls on as of `now`. */
export function purgeCutoffs(plan: { trashPurgeDays: number | null; junkPurgeDays: number | null }, now: Date) {
  const out: { folder: string; days: number; savedBefore: Date }[] = [];
  for (const [folder, days] of [
    ['Trash', plan.trashPurgeDays],
    ['Junk', plan.junkPurgeDays],
  ] as const)
    if (days) out.push({ folder, days, savedBefore: new Date(now.getTime() - days * 86_400_000) });
  return out;
}

/** What the node answers to a preview: the messages found, and the folder's UIDVALIDITY they hold in. */
export interface PreviewAnswer {
  noFolder?: true;
  stale?: true;
  messages: number;
  bytes: number;
  uidSet: string;
  uidvalidity: number | null;
}

export interface LargeMessage {
  folder: string;
  uid: number;
  bytes: number;
  from: string;
  subject: string;
  /** When the message arrived (IMAP INTERNALDATE), as doveadm prints it. */
  date: string;
}

/** Trash and Junk hold mail the owner already gave up: their cleanup is "empty", the rest "delete". */
export const isDisposable = (folder: string) => folder === 'Trash' || folder === 'Junk';

/** The cleanup a warning suggests to the mailbox owner: Junk or Trash, whichever frees more (if any). */
export function suggestCleanup(folders: { name: string; bytes: number }[]): { folder: 'Junk' | 'Trash'; bytes: number } | null {
  let best: { folder: 'Junk' | 'Trash'; bytes: number } | null = null;
  for (const f of folders)
    if ((f.name === 'Junk' || f.name === 'Trash') && f.bytes > 0 && (!best || f.bytes > best.bytes)) best = { folder: f.name, bytes: f.bytes };
  return best;
}
