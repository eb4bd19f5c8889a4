// The synchronous driver of the walk, used inside the worker threads: readdirSync/lstatSync avoid a
// promise and a thread-pool hop per call, which is most of the cost for small directories.
import fs from 'node:fs';
import { MISSING, ioError, isGone, nodeInfo } from './fs-answers.js';
import { parseState } from './scan-state.js';
import { usageOf, type MailboxUsage } from './scan-result.js';
import { walkMaildir, type DirEntry, type NodeInfo, type Walk, type WalkOptions } from './walk.js';

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

export function runSync<T>(walk: Walk<T>, cache?: SharedCache): T {
  let step = walk.next();
  while (!step.done) {
    const req = step.value;
    let answer: unknown;
    try {
      if (req.op === 'readdir') {
        answer = readdirSync(req.path);
      } else if (req.shared && cache) {
        answer = cache.get(req.path);
        if (answer === undefined) {
          answer = lstatSync(req.path);
          cache.set(req.path, answer as NodeInfo);
        }
      } else {
        answer = lstatSync(req.path);
      }
    } catch (err) {
      walk.return(undefined as T);
      throw ioError(err, req.path);
    }
    step = walk.next(answer);
  }
  return step.value;
}

/**
 * Measures one mailbox synchronously; blocks the calling thread, so outside a worker prefer
 * scanMailbox(). `previous` is whatever was stored from the last scan (object or JSON text);
 * an invalid one just means a full scan. Throws ScanError.
 */
export function scanMaildirSync(mailRoot: string, maildir: string, previous: unknown, options: WalkOptions, cache?: SharedCache): MailboxUsage {
  return usageOf(runSync(walkMaildir(mailRoot, maildir, parseState(previous), options), cache), previous);
}
