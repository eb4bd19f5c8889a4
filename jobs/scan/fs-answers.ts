// Turns Node's fs results and errors into the answers the walk expects; shared by both drivers.
import fs, { type Stats } from 'node:fs';
import { ScanError } from '../../server/core/maildir/scan-error.js';
import type { NodeInfo } from '../../server/core/maildir/walk.js';

/** Entries per answer to a `read` of a big directory. */
export const DIR_SLICE = 1024;

export const MISSING: NodeInfo = { kind: 'missing', mtimeMs: 0, size: 0 };

export function nodeInfo(st: Stats | undefined): NodeInfo {
  if (!st) return MISSING;
  const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other';
  return { kind, mtimeMs: st.mtimeMs, size: st.size };
}

/** ENOENT, and ENOTDIR when a parent was replaced by a file meanwhile: both mean "not there". */
export function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function ioError(err: unknown, path: string): ScanError {
  if (err instanceof ScanError) return err;
  const e = err as NodeJS.ErrnoException;
  return new ScanError('io', `${e?.code ?? 'error'} on ${path}: ${e?.message ?? String(err)}`, path);
}

/**
 * MAIL_ROOT itself must exist (it may be a symlink: it is configuration, not user data). Without this,
 * a wrong setting or an unmounted volume would read as every mailbox being empty.
 */
export function checkMailRoot(mailRoot: string): void {
  let st: Stats;
  try {
    st = fs.statSync(mailRoot);
  } catch (err) {
    throw ioError(err, mailRoot);
  }
  if (!st.isDirectory()) throw new ScanError('not_directory', `MAIL_ROOT ${mailRoot} is not a directory`, mailRoot);
}
