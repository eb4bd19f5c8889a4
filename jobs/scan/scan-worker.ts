// Entry of a scan thread (see scan-pool.ts): measures the mailboxes of each task synchronously and
// posts the results back. Blocking is the point here; the main thread's event loop stays free.
import { parentPort } from 'node:worker_threads';
import { ScanError } from '../../server/core/maildir/scan-error.js';
import type { ScanTask, WireResult, WorkerMessage } from '../../server/core/maildir/scan-result.js';
import { scanMaildirSync, type SharedCache } from './scan-sync.js';
import { ioError } from './fs-answers.js';

const port = parentPort;
if (!port) throw new Error('scan-worker.ts must run in a worker thread');

let run = -1;
const cache: SharedCache = new Map();

port.on('message', (task: ScanTask) => {
  if (task.run !== run) {
    cache.clear();
    run = task.run;
  }
  const results: WireResult[] = task.items.map((item) => {
    try {
      const usage = scanMaildirSync(task.mailRoot, item.maildir, item.previous, task.options, cache);
      // Unchanged: the pool still has the text, so it need not be copied back across threads.
      if (usage.state !== null && usage.state === item.previous) return { id: item.id, ok: true, ...usage, state: undefined };
      return { id: item.id, ok: true, ...usage };
    } catch (err) {
      const e = err instanceof ScanError ? err : ioError(err, item.maildir);
      return { id: item.id, ok: false, error: e.toJSON() };
    }
  });
  port.postMessage({ type: 'done', task: task.task, results } satisfies WorkerMessage);
});
port.postMessage({ type: 'ready' } satisfies WorkerMessage);
