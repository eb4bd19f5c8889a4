// One mailbox on the calling thread, with async fs: for the `scan-mailbox` job ("Scan now", a new
// mailbox, a forced recount), where handing one mailbox to the thread pool would cost more than the
// scan. Deliveries and expunges reach the usage through Dovecot's feed, not through a scan.
import type { Dir } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DIR_SLICE, MISSING, checkMailRoot, ioError, isGone, nodeInfo } from './fs-answers.js';
import { PinnedDirs } from './pinned.js';
import { DEFAULT_SETTLE_MS, parseState } from '../../server/core/maildir/scan-state.js';
import { usageOf, type MailboxUsage } from '../../server/core/maildir/scan-result.js';
import { walkMaildir, type DirEntry, type NodeInfo, type Walk } from '../../server/core/maildir/walk.js';

export interface ScanMailboxOptions {
  /** Ignore `previous` and read every directory. */
  full?: boolean;
  settleMs?: number;
  /** See WalkOptions.bigDirBytes. */
  bigDirBytes?: number;
}

async function lstat(p: string): Promise<NodeInfo> {
  try {
    return nodeInfo(await fs.lstat(p));
  } catch (err) {
    if (isGone(err)) return MISSING;
    throw err;
  }
}

async function readdir(p: string): Promise<DirEntry[] | null> {
  try {
    return await fs.readdir(p, { withFileTypes: true });
  } catch (err) {
    if (isGone(err)) return null;
    throw err;
  }
}

async function opendir(p: string): Promise<Dir | null> {
  try {
    return await fs.opendir(p, { bufferSize: 256 });
  } catch (err) {
    if (isGone(err)) return null;
    throw err;
  }
}

async function readSlice(dir: Dir): Promise<DirEntry[] | null> {
  const slice: DirEntry[] = [];
  while (slice.length < DIR_SLICE) {
    const e = await dir.read();
    if (e === null) break;
    slice.push(e);
  }
  return slice.length > 0 ? slice : null;
}

export async function runAsync<T>(walk: Walk<T>, mailRoot: string): Promise<T> {
  const open = new Map<number, Dir>();
  // Every directory is read through what was opened (see pinned.ts): a swapped component is never followed.
  const pinned = new PinnedDirs(mailRoot);
  let handles = 0;
  let where = '';
  try {
    let step = walk.next();
    while (!step.done) {
      const req = step.value;
      let answer: unknown;
      if (req.op === 'read') {
        const dir = open.get(req.handle)!;
        where = dir.path;
        answer = await readSlice(dir);
        if (answer === null) {
          open.delete(req.handle);
          await dir.close();
        }
      } else if (req.op === 'opendir') {
        where = req.path;
        const through = pinned.pathOf(req.path);
        const dir = through === null ? null : await opendir(through);
        if (dir) open.set(++handles, dir);
        answer = dir && handles;
      } else if (req.op === 'readdir') {
        where = req.path;
        const through = pinned.pathOf(req.path);
        answer = through === null ? null : await readdir(through);
      } else {
        where = req.path;
        answer = await lstat(pinned.lstatPath(req.path));
      }
      step = walk.next(answer);
    }
    return step.value;
  } catch (err) {
    throw ioError(err, where);
  } finally {
    for (const dir of open.values()) await dir.close();
    pinned.close();
  }
}

/**
 * Measures `<mailRoot>/<maildir>/Maildir` (maildir as stored: `<domain>/<localpart>`). `previous` is the
 * state stored from the last scan, as an object or JSON text. Throws ScanError when the path is
 * refused or the file system fails.
 */
export async function scanMailbox(mailRoot: string, maildir: string, previous?: unknown, options: ScanMailboxOptions = {}): Promise<MailboxUsage> {
  const root = path.resolve(mailRoot);
  checkMailRoot(root);
  const walk = walkMaildir(root, maildir, parseState(previous), {
    full: options.full ?? false,
    startedAt: Date.now(),
    settleMs: options.settleMs ?? DEFAULT_SETTLE_MS,
    bigDirBytes: options.bigDirBytes,
  });
  return usageOf(await runAsync(walk, root), previous);
}
