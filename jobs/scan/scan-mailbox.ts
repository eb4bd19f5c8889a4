// One mailbox on the calling thread, letting the event loop in between native calls: for the `scan-mailbox` job ("Scan now", a new
// mailbox, a forced recount), where handing one mailbox to the thread pool would cost more than the
// scan. Deliveries and expunges reach the usage through Dovecot's feed, not through a scan.
import path from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { checkMailRoot, ioError } from './fs-answers.js';
import { MaildirFsAnswers } from './native-fs.js';
import { DEFAULT_SETTLE_MS, parseState } from '../../server/core/maildir/scan-state.js';
import { usageOf, type MailboxUsage } from '../../server/core/maildir/scan-result.js';
import { walkMaildir, type Walk } from '../../server/core/maildir/walk.js';

export interface ScanMailboxOptions {
  /** Ignore `previous` and read every directory. */
  full?: boolean;
  settleMs?: number;
  /** See WalkOptions.bigDirBytes. */
  bigDirBytes?: number;
}

/** The event loop gets a turn at least this often (ms): each native call is short, a big mailbox is not. */
const TURN_EVERY_MS = 2;

/** As runSync (scan-sync.ts), on the main thread: the same native answers, with the event loop let in. */
export async function runAsync<T>(walk: Walk<T>, mailRoot: string): Promise<T> {
  const fs = new MaildirFsAnswers(mailRoot);
  let where = '';
  let since = performance.now();
  try {
    let step = walk.next();
    while (!step.done) {
      where = 'path' in step.value ? step.value.path : where;
      const answer = fs.answer(step.value);
      if (performance.now() - since > TURN_EVERY_MS) {
        await turn();
        since = performance.now();
      }
      step = walk.next(answer);
    }
    return step.value;
  } catch (err) {
    throw ioError(err, where);
  } finally {
    fs.close();
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
