// The scanner's native addon (native/maildir_fs.c), built by `npm ci` (binding.gyp at the project root).
import { createRequire } from 'node:module';
import os from 'node:os';
import { projectPath } from '../../server/platform/paths.js';

export interface MaildirFs {
  openRoot(path: string): number;
  openAt(dirFd: number, name: string): number;
  /** out: Float64Array(3) = [mtime s, mtime ns, size]; returns a KIND or -errno. */
  statAt(dirFd: number, name: string, out: Float64Array): number;
  lstat(path: string, out: Float64Array): number;
  readEntries(fd: number, max: number, kinds: Uint8Array): string[] | number;
  close(fd: number): number;
  /** Linux only. */
  watchInit?(): number;
  watchAdd?(fd: number, path: string): number;
  watchRead?(fd: number, out: Int32Array): number;
}

export const native = createRequire(import.meta.url)(projectPath('build', 'Release', 'maildir_fs.node')) as MaildirFs;

const ERRNO_CODES = new Map(Object.entries(os.constants.errno).map(([code, n]) => [n, code]));

/** A native call's -errno as the error Node's fs would have thrown. */
export function errnoError(rc: number, syscall: string, where: string): NodeJS.ErrnoException {
  const code = ERRNO_CODES.get(-rc) ?? `E${-rc}`;
  return Object.assign(new Error(`${code}: ${syscall} '${where}'`), { code, errno: rc, syscall, path: where });
}
