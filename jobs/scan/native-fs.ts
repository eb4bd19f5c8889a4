// Answers the walk's file system requests (server/core/maildir/walk.ts) with the calls of
// native/maildir_fs.c, for one mailbox at a time. Directories below MAIL_ROOT are opened one
// component at a time with O_NOFOLLOW and read through their own descriptors: a component swapped
// for a symlink after it was checked is refused when it is opened, and a directory already opened
// stays the one that is read, whatever happens to its path meanwhile. Probes (whose answers are
// never counted) go by path: they only decide whether stored counts still hold.
import os from 'node:os';
import path from 'node:path';
import { errnoError, native } from './native.js';
import { ScanError } from '../../server/core/maildir/scan-error.js';
import { KIND, type FsRequest, type Listing, type NodeInfo, type NodeKind } from '../../server/core/maildir/walk.js';

/** Kind names indexed by their KIND numbers (walk.ts), as the addon answers. */
const KIND_NAMES = Object.keys(KIND).sort((a, b) => KIND[a as NodeKind] - KIND[b as NodeKind]) as NodeKind[];
const ELOOP = os.constants.errno.ELOOP;
const ENOENT = os.constants.errno.ENOENT;
const ENOTDIR = os.constants.errno.ENOTDIR;

/** Entries per answer to a `read` of a big directory, and per native call when listing a small one. */
export const DIR_SLICE = 1024;
const LIST_SLICE = 16384;

// Filled by each native call and read at once, before any other call: one pair per thread, not per mailbox.
const STAT = new Float64Array(3);
const KINDS = new Uint8Array(LIST_SLICE);

/** Answers of `shared` probes (the domain directories), kept for one scan run. */
export type SharedCache = Map<string, NodeInfo>;

export class MaildirFsAnswers {
  /** Directory path → descriptor, opened along the chain from MAIL_ROOT. */
  #fds = new Map<string, number>();

  /** `root` is MAIL_ROOT, resolved: configuration, so it may itself be a symlink. */
  constructor(
    private readonly root: string,
    private readonly cache?: SharedCache,
  ) {}

  answer(req: FsRequest): unknown {
    switch (req.op) {
      case 'probe': {
        const cached = req.shared ? this.cache?.get(req.path) : undefined;
        if (cached) return cached;
        const info = this.#info(native.lstat(req.path, STAT), 'lstat', req.path);
        if (req.shared) this.cache?.set(req.path, info);
        return info;
      }
      case 'lstat': {
        // Counted, so only ever through the opened parent: the walk lists a directory before it stats its files.
        const parent = this.#fds.get(path.dirname(req.path));
        if (parent === undefined) throw new ScanError('io', `${req.path}: its directory was not opened`, req.path);
        return this.#info(native.statAt(parent, path.basename(req.path), STAT), 'fstatat', req.path);
      }
      case 'readdir': {
        const fd = this.#open(req.path);
        if (fd === null) return null;
        const listing = this.#read(fd, LIST_SLICE, req.path);
        // Small directories are one call; a bigger one (the walk reads the biggest in slices) takes more.
        for (let last = listing; last.names.length === LIST_SLICE; ) {
          last = this.#read(fd, LIST_SLICE, req.path);
          listing.names = listing.names.concat(last.names);
          listing.kinds = Uint8Array.from([...listing.kinds, ...last.kinds]);
        }
        return listing;
      }
      case 'opendir':
        // The descriptor is the handle: the directory stays open (and pinned) until the mailbox is done.
        return this.#open(req.path);
      case 'read': {
        const slice = this.#read(req.handle, DIR_SLICE, `fd ${req.handle}`);
        return slice.names.length > 0 ? slice : null;
      }
    }
  }

  /** Closes every descriptor this mailbox opened. */
  close(): void {
    for (const fd of this.#fds.values()) native.close(fd);
    this.#fds.clear();
  }

  #info(rc: number, syscall: string, where: string): NodeInfo {
    if (rc < 0) throw errnoError(rc, syscall, where);
    const s = STAT;
    // As Node's fs computes mtimeMs, so states stored by either driver compare equal.
    return { kind: KIND_NAMES[rc], mtimeMs: s[0] * 1e3 + s[1] / 1e6, size: s[2] };
  }

  #read(fd: number, max: number, where: string): Listing & { kinds: Uint8Array } {
    const names = native.readEntries(fd, max, KINDS);
    if (typeof names === 'number') throw errnoError(names, 'getdents64', where);
    return { names, kinds: KINDS.slice(0, names.length) };
  }

  /** The descriptor of directory `dir`, opened component by component; null when it is not there. */
  #open(dir: string): number | null {
    const known = this.#fds.get(dir);
    if (known !== undefined) return known;
    let fd: number;
    if (dir === this.root) {
      fd = native.openRoot(dir);
      if (fd < 0) throw errnoError(fd, 'open', dir);
    } else {
      if (!dir.startsWith(this.root === '/' ? '/' : `${this.root}/`)) throw new ScanError('bad_path', `${dir} is outside MAIL_ROOT`, dir);
      const parent = this.#open(path.dirname(dir));
      if (parent === null) return null;
      fd = native.openAt(parent, path.basename(dir));
      if (fd === -ELOOP) throw new ScanError('symlink', `${dir} is a symlink; maildirs are not followed through symlinks`, dir);
      if (fd === -ENOENT || fd === -ENOTDIR) return null;
      if (fd < 0) throw errnoError(fd, 'openat', dir);
    }
    this.#fds.set(dir, fd);
    return fd;
  }
}
