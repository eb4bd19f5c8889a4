// Directories below MAIL_ROOT are read through what was opened, never by path again: each one is
// opened one component at a time (openat-style, through /proc/self/fd/<parent>/<name>) with
// O_NOFOLLOW, and then read through its own descriptor. A component swapped for a symlink after it
// was checked is refused when it is opened, and a directory already opened stays the one that is
// read, whatever happens to its path meanwhile. (Node has no openat; /proc/self/fd/N names the
// open directory itself, so resolving below it cannot leave it.)
import fs from 'node:fs';
import path from 'node:path';
import { ScanError } from '../../server/core/maildir/scan-error.js';

const PROC = '/proc/self/fd';
const NO_FOLLOW_DIR = fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW;

export class PinnedDirs {
  #fds = new Map<string, number>();

  /** `root` is MAIL_ROOT, resolved: configuration, so it may itself be a symlink. */
  constructor(private readonly root: string) {}

  /** A path that reads the directory `dir` as opened along the pinned chain; null when it is not there. */
  pathOf(dir: string): string | null {
    const fd = this.#open(dir);
    return fd === null ? null : `${PROC}/${fd}`;
  }

  /**
   * Where to lstat `p`: through its parent's descriptor when the parent was opened (the last
   * component is then not followed, and no component above it can be swapped), else `p` itself.
   */
  lstatPath(p: string): string {
    const parent = this.#fds.get(path.dirname(p));
    return parent === undefined ? p : `${PROC}/${parent}/${path.basename(p)}`;
  }

  close(): void {
    for (const fd of this.#fds.values()) fs.closeSync(fd);
    this.#fds.clear();
  }

  #open(dir: string): number | null {
    const known = this.#fds.get(dir);
    if (known !== undefined) return known;
    let fd: number;
    if (dir === this.root) {
      fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    } else {
      if (!dir.startsWith(this.root === '/' ? '/' : `${this.root}/`)) throw new ScanError('bad_path', `${dir} is outside MAIL_ROOT`, dir);
      const parent = this.#open(path.dirname(dir));
      if (parent === null) return null;
      try {
        fd = fs.openSync(`${PROC}/${parent}/${path.basename(dir)}`, NO_FOLLOW_DIR);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ELOOP') throw new ScanError('symlink', `${dir} is a symlink; maildirs are not followed through symlinks`, dir);
        if (code === 'ENOENT' || code === 'ENOTDIR') return null;
        throw err;
      }
    }
    this.#fds.set(dir, fd);
    return fd;
  }
}
