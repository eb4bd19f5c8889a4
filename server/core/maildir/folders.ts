// A mailbox's folders as its owner sees them, from the state the scanner stores. Pure: no I/O.
import iconv from 'iconv-lite';
import { type MaildirState, parseState } from './scan-state.js';

export interface FolderUsage {
  /** As an IMAP client shows it: `INBOX`, `Trash`, `Archive/2024`, `Entwürfe`. */
  name: string;
  bytes: number;
  messages: number;
}

/** The hierarchy separator our Dovecot namespace uses (deploy/dovecot/conf.d/90-mailpanel.conf). */
export const SEPARATOR = '/';

/**
 * The name a client sees for a Maildir++ directory: '' is INBOX, `.Archive.2024` is `Archive/2024`.
 * Dovecot stores each level in modified UTF-7 (RFC 3501 5.1.3: `Entw&APw-rfe` is `Entwürfe`).
 */
export function folderName(dir: string): string {
  if (dir === '') return 'INBOX';
  return dir
    .slice(1)
    .split('.')
    .map((level) => (level.includes('&') ? iconv.decode(Buffer.from(level, 'latin1'), 'utf7-imap') : level))
    .join(SEPARATOR);
}

/** The directory Dovecot uses for a folder name as a client sees it: the inverse of folderName. */
export function folderDir(name: string): string {
  if (name.toUpperCase() === 'INBOX') return '';
  return `.${name
    .split(SEPARATOR)
    .map((level) => iconv.encode(level, 'utf7-imap').toString('latin1'))
    .join('.')}`;
}

/** INBOX first, then by name as a person reads it. */
export function byFolderName(a: FolderUsage, b: FolderUsage): number {
  const inbox = Number(b.name === 'INBOX') - Number(a.name === 'INBOX');
  return inbox || a.name.localeCompare(b.name, 'en') || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** Bytes and messages per folder (cur/ and new/ together) of a stored scan state; [] when there is none. */
export function foldersOf(stored: MaildirState | string | null | undefined): FolderUsage[] {
  const state = typeof stored === 'object' && stored !== null ? stored : parseState(stored ?? null);
  if (!state) return [];
  return state.folders
    .map(([dir, , curBytes, curMessages, , newBytes, newMessages]) => ({
      name: folderName(dir),
      bytes: curBytes + newBytes,
      messages: curMessages + newMessages,
    }))
    .sort(byFolderName);
}
