// The synchronous driver of the walk, used inside the worker threads: each request is one native
// call (native-fs.ts), with no promise and no thread-pool hop, which is most of the cost of small
// directories.
import path from 'node:path';
import { MaildirFsAnswers, type SharedCache } from './native-fs.js';
import { ioError } from './fs-answers.js';
import { parseState } from '../../server/core/maildir/scan-state.js';
import { usageOf, type MailboxUsage } from '../../server/core/maildir/scan-result.js';
import { walkMaildir, type Walk, type WalkOptions } from '../../server/core/maildir/walk.js';

export type { SharedCache };

export function runSync<T>(walk: Walk<T>, mailRoot: string, cache?: SharedCache): T {
  const fs = new MaildirFsAnswers(mailRoot, cache);
  let where = '';
  try {
    let step = walk.next();
    while (!step.done) {
      where = 'path' in step.value ? step.value.path : where;
      step = walk.next(fs.answer(step.value));
    }
    return step.value;
  } catch (err) {
    throw ioError(err, where);
  } finally {
    fs.close();
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
