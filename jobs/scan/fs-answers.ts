// What both drivers of the walk share around the native calls: errors as ScanErrors, and the check
// that MAIL_ROOT is there at all.
import fs, { type Stats } from 'node:fs';
import { ScanError } from '../../server/core/maildir/scan-error.js';

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
