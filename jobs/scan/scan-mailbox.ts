// One mailbox on the calling thread, with async fs: for a job that measures a single mailbox
// (after a delivery or a purge), where starting worker threads would cost more than the scan.
import fs from 'node:fs/promises';
import path from 'node:path';
import { MISSING, ioError, isGone, nodeInfo } from './fs-answers.js';
import { DEFAULT_SETTLE_MS, parseState } from './scan-state.js';
import { usageOf, type MailboxUsage } from './scan-result.js';
import { walkMaildir, type DirEntry, type NodeInfo, type Walk } from './walk.js';

export interface ScanMailboxOptions {
  /** Ignore `previous` and read every directory. */
  full?: boolean;
  settleMs?: number;
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

export async function runAsync<T>(walk: Walk<T>): Promise<T> {
  let step = walk.next();
  while (!step.done) {
    const req = step.value;
    let answer: unknown;
    try {
      answer = req.op === 'readdir' ? await readdir(req.path) : await lstat(req.path);
    } catch (err) {
      walk.return(undefined as T);
      throw ioError(err, req.path);
    }
    step = walk.next(answer);
  }
  return step.value;
}

/**
 * Measures `<mailRoot>/<maildir>/Maildir` (maildir as stored: `<domain>/<localpart>`). `previous` is the
 * state stored from the last scan, as an object or JSON text. Throws ScanError when the path is
 * refused or the file system fails.
 */
export async function scanMailbox(mailRoot: string, maildir: string, previous?: unknown, options: ScanMailboxOptions = {}): Promise<MailboxUsage> {
  const walk = walkMaildir(path.resolve(mailRoot), maildir, parseState(previous), {
    full: options.full ?? false,
    startedAt: Date.now(),
    settleMs: options.settleMs ?? DEFAULT_SETTLE_MS,
  });
  return usageOf(await runAsync(walk), previous);
}
