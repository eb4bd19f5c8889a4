// A mailbox's messages as its Dovecot finds them: what a search query matches (UIDs and the sizes the
// quota counts), a folder's UIDVALIDITY, and the expunge of exactly the UIDs found.
import { uidSet } from '../../server/core/cleanup.js';
import { doveadm, doveadmJson } from './doveadm.js';

export interface Found {
  uids: number[];
  bytes: number;
}

/** The messages a query finds in one folder, with their physical sizes (what the quota counts). */
export async function matching(command: string[], address: string, query: string[]): Promise<Found> {
  const rows = await doveadmJson(command, ['fetch', '-u', address, 'uid size.physical', ...query]);
  return { uids: rows.map((r) => Number(r.uid)), bytes: rows.reduce((sum, r) => sum + Number(r['size.physical']), 0) };
}

export async function uidvalidityOf(command: string[], address: string, folder: string): Promise<number | null> {
  const [row] = await doveadmJson(command, ['mailbox', 'status', '-u', address, 'uidvalidity', folder]);
  return row ? Number(row.uidvalidity) : null;
}

/** Expunges exactly these messages of the folder (nothing when there are none). */
export async function expunge(command: string[], address: string, folder: string, uids: number[]): Promise<void> {
  if (uids.length) await doveadm(command, ['expunge', '-u', address, 'mailbox', folder, 'uid', uidSet(uids)]);
}
