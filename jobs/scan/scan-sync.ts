// The synchronous driver of the walk, used inside the worker threads: readdirSync/lstatSync avoid a
// promise and a thread-pool hop per call, which is most of the cost for small directories.
import fs from 'node:fs';
import path from 'node:path';
import { PinnedDirs } from './pinned.js';
import { DIR_SLICE, MISSING, ioError, isGone, nodeInfo } from './fs-answers.js';
import { parseState } from '../../server/core/maildir/scan-state.js';
import { usageOf, type MailboxUsage } from '../../server/core/maildir/scan-result.js';
import { walkMaildir, type DirEntry, type NodeInfo, type Walk, type WalkOptions } from '../../server/core/maildir/walk.js';

/** Answers of `shared` lstats (the domain directories), kept for one scan run. */
export type SharedCache = Map<string, NodeInfo>;

export function lstatSync(path: string): NodeInfo {
  try {
    return nodeInfo(fs.lstatSync(path, { throwIfNoEntry: false }));
  } catch (err) {
    if (isGone(err)) return MISSING;
    throw err;
  }
}

export function readdirSync(path: string): DirEntry[] | null {
  try {
    return fs.readdirSync(path, { withFileTypes: true });
  } catch (err) {
    if (isGone(err)) return null;
    throw err;
  }
}

function opendirSync(path: string): fs.Dir | null {
  try {
    return fs.opendirSync(path, { bufferSize: 256 });
  } catch (err) {
    if (isGone(err)) return null;
    throw err;
  }
}

function readSlice(dir: fs.Dir): DirEntry[] | null {
  const slice: DirEntry[] = [];
  while (slice.length < DIR_SLICE) {
    const e = dir.readSync();
    if (e === null) break;
    slice.push(e);
  }
  return slice.length > 0 ? slice : null;
}

export function runSync<T>(walk: Walk<T>, mailRoot: string, cache?: SharedCache): T {
  const open = new Map<number, fs.Dir>();
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
        answer = readSlice(dir);
        if (answer === null) {
          open.delete(req.handle);
          dir.closeSync();
        }
      } else if (req.op === 'opendir') {
        where = req.path;
        const through = pinned.pathOf(req.path);
        const dir = through === null ? null : opendirSync(through);
        if (dir) open.set(++handles, dir);
        answer = dir && handles;
      } else if (req.op === 'readdir') {
        where = req.path;
        const through = pinned.pathOf(req.path);
        answer = through === null ? null : readdirSync(through);
      } else {
        where = req.path;
        answer = req.shared && cache ? cache.get(req.path) : undefined;
        if (answer === undefined) {
          answer = lstatSync(pinned.lstatPath(req.path));
          if (req.shared) cache?.set(req.path, answer as NodeInfo);
        }
      }
      step = walk.next(answer);
    }
    return step.value;
  } catch (err) {
    throw ioError(err, where);
  } finally {
    for (const dir of open.values()) dir.closeSync();
    pinned.close();
  }
}

/**
 * Measures one mailbox synchronously; blocks the calling thread, so outside a worker prefer
 * scanMailbox(). `previous` is whatever was stored from the last scan (object or JSON text);
 * an invalid one just means a full scan. Throws ScanError.
 */
export function scanMaildirSync(mailRoot: string, maildir: string, previous: unknown, options: WalkOptions, cache?: SharedCache): MailboxUsage {
  return usageOf(runSync(walkMaildir(mailRoot, maildir, parseState(previous), options), path.resolve(mailRoot), cache), previous);
}
