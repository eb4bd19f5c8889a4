import type { Db } from '../../../db/database.js';
import { storedScan } from '../../../db/repositories/usage.js';
import { type FolderUsage, foldersOf } from '../../core/maildir/folders.js';
import type { Principal } from '../auth/principal.js';
import { getMailboxOr404 } from '../mailboxes/service.js';

export interface MailboxFolders {
  /** INBOX first, then by name. */
  folders: FolderUsage[];
  /** When the disk was read; null before the first scan (then `folders` is empty). */
  scannedAt: Date | null;
}

/** A mailbox's folders with bytes and messages, as its last scan found them on the disk. */
export async function foldersOfMailbox(db: Db, mailboxId: number): Promise<MailboxFolders> {
  const stored = await storedScan(db, mailboxId);
  return { folders: foldersOf(stored?.scan_state), scannedAt: stored?.disk_at ?? null };
}

/** The same, for a mailbox the principal may see (404 otherwise). */
export async function mailboxFolders(db: Db, p: Principal, address: string): Promise<MailboxFolders> {
  return foldersOfMailbox(db, (await getMailboxOr404(db, p, address)).id);
}
