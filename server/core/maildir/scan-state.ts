// The per-mailbox state the caller stores (as JSON) between scans, and the rules for trusting it.
// Pure: no I/O.
import { isFolderName } from './maildir-name.js';

export const STATE_VERSION = 1;

/** Directories modified this recently before a scan are read again by the next one (see mtimeToStore). */
export const DEFAULT_SETTLE_MS = 1000;

/** Stored instead of an mtime when the directory's counts must not be reused next time. */
export const UNTRUSTED = -1;

/**
 * One folder: '' is INBOX, else `.Sent` etc. Tuples rather than objects keep the JSON small:
 * about 65 bytes a folder, 350 for a typical mailbox of five.
 */
export type FolderState = [name: string, curMtime: number, curBytes: number, curMessages: number, newMtime: number, newBytes: number, newMessages: number];

export interface MaildirState {
  v: typeof STATE_VERSION;
  /** mtime of the Maildir root: it changes when folders are created, deleted or renamed. */
  root: number;
  /** Sorted by name; INBOX ('') first. */
  folders: FolderState[];
}

export interface DirCounts {
  mtime: number;
  bytes: number;
  messages: number;
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
const isMtime = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);

/**
 * Validates a state read back from the database. Anything unexpected (old version, hand-edited,
 * truncated JSON) gives null, which simply means a full scan of that mailbox; folder names are
 * checked because they are joined into paths.
 */
export function parseState(raw: unknown): MaildirState | null {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  if (typeof value !== 'object' || value === null) return null;
  const s = value as Partial<MaildirState>;
  if (s.v !== STATE_VERSION || !isMtime(s.root) || !Array.isArray(s.folders)) return null;
  const seen = new Set<string>();
  for (const f of s.folders as unknown[]) {
    if (!Array.isArray(f) || f.length !== 7) return null;
    const [name, cm, cb, cn, nm, nb, nn] = f as unknown[];
    if (typeof name !== 'string' || (name !== '' && !isFolderName(name)) || seen.has(name)) return null;
    if (!isMtime(cm) || !isCount(cb) || !isCount(cn) || !isMtime(nm) || !isCount(nb) || !isCount(nn)) return null;
    seen.add(name);
  }
  // The walk always records INBOX; without it the folder list cannot be trusted.
  if (!seen.has('')) return null;
  return s as MaildirState;
}

/**
 * The mtime to store for a directory read at `startedAt`. Directory mtimes tick coarsely (a kernel
 * tick, or a second on some file systems): a message delivered right after the read, within the same
 * tick, would leave the mtime unchanged and be missed for good. So a directory modified within
 * `settleMs` of the scan is stored as UNTRUSTED and read again next time.
 */
export function mtimeToStore(mtimeMs: number, startedAt: number, settleMs: number): number {
  return mtimeMs < startedAt - settleMs ? mtimeMs : UNTRUSTED;
}

/** Whether counts stored with `stored` may be reused for a directory whose mtime is now `current`. */
export function unchanged(stored: number | undefined, current: number): boolean {
  return stored !== undefined && stored !== UNTRUSTED && stored === current;
}

/** Whether two states describe the same tree: then nothing needs to be written back. */
export function sameState(a: MaildirState | null, b: MaildirState | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.root !== b.root || a.folders.length !== b.folders.length) return false;
  for (let i = 0; i < a.folders.length; i++) {
    const x = a.folders[i];
    const y = b.folders[i];
    for (let k = 0; k < 7; k++) if (x[k] !== y[k]) return false;
  }
  return true;
}

export function folderState(name: string, cur: DirCounts, nu: DirCounts): FolderState {
  return [name, cur.mtime, cur.bytes, cur.messages, nu.mtime, nu.bytes, nu.messages];
}

export function totals(state: MaildirState): { bytes: number; messages: number } {
  let bytes = 0;
  let messages = 0;
  for (const f of state.folders) {
    bytes += f[2] + f[5];
    messages += f[3] + f[6];
  }
  return { bytes, messages };
}
