// A small pool of worker threads that measure mailboxes with synchronous fs calls, so a scan of
// thousands of mailboxes neither blocks the event loop nor pays a promise per directory.
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { checkMailRoot } from './fs-answers.js';
import { DEFAULT_SETTLE_MS } from '../../server/core/maildir/scan-state.js';
import { fromWire, type ScanItem, type ScanResult, type ScanTask, type WireResult, type WorkerMessage } from '../../server/core/maildir/scan-result.js';

export interface ScanPoolOptions {
  /** Threads to scan with; default: the available cores, at most 4 (beyond that the disk is the limit). */
  threads?: number;
}

export interface ScanOptions {
  /** Ignore every previous state and read every directory. */
  full?: boolean;
  /** Results per yielded batch (one database write each). */
  batchSize?: number;
  /** Mailboxes per message to a thread: large enough to amortise the message, small enough to balance. */
  chunkSize?: number;
  settleMs?: number;
  /** See WalkOptions.bigDirBytes. */
  bigDirBytes?: number;
}

const WORKER_URL = new URL(`./scan-worker${path.extname(new URL(import.meta.url).pathname)}`, import.meta.url);

/**
 * The thread's bootstrap. Node 20 refuses a .ts worker entry even under tsx, whose hooks threads do
 * not inherit (ERR_UNKNOWN_FILE_EXTENSION); so when running from source the thread registers tsx
 * itself. Its CommonJS hook: the ESM one starts a hooks thread of its own per thread, slower to
 * start and 10 MB more. Evaluated code rather than a file, to keep a single entry point.
 */
function bootstrap(): string {
  const entry = JSON.stringify(WORKER_URL.href);
  if (!WORKER_URL.pathname.endsWith('.ts')) return `import(${entry});`;
  const req = createRequire(import.meta.url);
  const tsx = JSON.stringify(req.resolve('tsx/cjs/api'));
  return `require(${tsx}).register(); require(${JSON.stringify(fileURLToPath(WORKER_URL))});`;
}

interface Job {
  task: ScanTask;
  resolve: (results: WireResult[]) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, Job>;
  ready: Promise<void>;
}

// Two tasks per thread: one running, one waiting, so a thread never idles while the main thread
// gets around to sending the next.
const TASKS_PER_THREAD = 2;

export class ScanPool {
  readonly threads: number;
  #slots: Slot[] = [];
  #queue: Job[] = [];
  #nextTask = 0;
  #nextRun = 0;
  #closed = false;

  constructor(options: ScanPoolOptions = {}) {
    this.threads = Math.max(1, Math.floor(options.threads ?? Math.min(4, os.availableParallelism())));
  }

  /** Starts the threads (otherwise done by the first scan) and waits until they can take work. */
  async start(): Promise<void> {
    this.#fill();
    await Promise.all(this.#slots.map((s) => s.ready));
  }

  /**
   * Measures `items` and yields the results in batches of `batchSize`, in completion order (match them
   * by id). Items may be an async iterable (a database cursor): they are read only as threads free up,
   * and reading pauses while the consumer has not taken the batches already done. A mailbox that
   * cannot be measured gives `ok: false` with its ScanError; the scan goes on. Throws a ScanError
   * when MAIL_ROOT itself is missing.
   */
  async *scan(mailRoot: string, items: Iterable<ScanItem> | AsyncIterable<ScanItem>, options: ScanOptions = {}): AsyncGenerator<ScanResult[], void, undefined> {
    if (this.#closed) throw new Error('ScanPool is closed');
    const batchSize = Math.max(1, options.batchSize ?? 500);
    const chunkSize = Math.max(1, options.chunkSize ?? 64);
    const run = this.#nextRun++;
    const wire = { full: options.full ?? false, startedAt: Date.now(), settleMs: options.settleMs ?? DEFAULT_SETTLE_MS, bigDirBytes: options.bigDirBytes };
    const root = path.resolve(mailRoot);
    checkMailRoot(root);
    const source = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
    const done: ScanResult[] = [];
    const inFlight = new Set<Promise<void>>();
    let exhausted = false;
    let failure: Error | undefined;

    try {
      for (;;) {
        while (!exhausted && !failure && inFlight.size < this.threads * TASKS_PER_THREAD && done.length < batchSize * 2) {
          const chunk: ScanItem[] = [];
          while (chunk.length < chunkSize) {
            const next = await source.next();
            if (next.done) {
              exhausted = true;
              break;
            }
            chunk.push(next.value);
          }
          if (chunk.length === 0) break;
          const task: ScanTask = { run, task: this.#nextTask++, mailRoot: root, options: wire, items: chunk };
          const p: Promise<void> = this.#submit(task)
            .then(
              (results) => {
                // A thread answers in item order.
                for (let i = 0; i < results.length; i++) done.push(fromWire(results[i], chunk[i]));
              },
              (err: Error) => {
                failure ??= err;
              },
            )
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        if (failure) throw failure;
        if (done.length >= batchSize || (done.length > 0 && exhausted && inFlight.size === 0)) {
          yield done.splice(0, batchSize);
          continue;
        }
        if (inFlight.size === 0) return;
        await Promise.race(inFlight);
      }
    } finally {
      await source.return?.();
    }
  }

  /** Terminates the threads; tasks still queued fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots;
    this.#slots = [];
    for (const job of this.#queue.splice(0)) job.reject(new Error('ScanPool closed'));
    for (const slot of slots) for (const job of slot.jobs.values()) job.reject(new Error('ScanPool closed'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #submit(task: ScanTask): Promise<WireResult[]> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new Error('ScanPool closed'));
      this.#queue.push({ task, resolve, reject });
      this.#pump();
    });
  }

  #fill(): void {
    while (!this.#closed && this.#slots.length < this.threads) this.#slots.push(this.#spawn());
  }

  #pump(): void {
    this.#fill();
    for (const slot of this.#slots) {
      while (this.#queue.length > 0 && slot.jobs.size < TASKS_PER_THREAD) {
        const job = this.#queue.shift()!;
        slot.jobs.set(job.task.task, job);
        slot.worker.ref();
        slot.worker.postMessage(job.task);
      }
    }
  }

  #spawn(): Slot {
    // execArgv: [] so that tsx's process-level flags are not re-run in the thread; bootstrap() loads it.
    // The walk's garbage is short-lived (one directory listing at a time), so a small young generation
    // holds it; V8's default lets each thread grow tens of MB of RSS for nothing.
    const worker = new Worker(bootstrap(), { eval: true, execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    let markReady!: () => void;
    let failStart!: (err: Error) => void;
    const slot: Slot = {
      worker,
      jobs: new Map(),
      ready: new Promise((res, rej) => {
        markReady = res;
        failStart = rej;
      }),
    };
    // Never rejected unobserved: start() may not be awaited.
    slot.ready.catch(() => {});
    // Referenced while starting or busy, so that awaiting start() or a scan keeps the process up;
    // idle threads must not keep it from exiting.
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'ready') {
        if (slot.jobs.size === 0) worker.unref();
        return markReady();
      }
      const job = slot.jobs.get(msg.task);
      if (!job) return;
      slot.jobs.delete(msg.task);
      if (slot.jobs.size === 0) worker.unref();
      job.resolve(msg.results);
      this.#pump();
    });
    const fail = (err: Error) => {
      failStart(err);
      if (!this.#slots.includes(slot)) return;
      this.#slots = this.#slots.filter((s) => s !== slot);
      for (const job of slot.jobs.values()) job.reject(err);
      slot.jobs.clear();
      // Remaining queued tasks go to a fresh thread.
      if (this.#queue.length > 0) this.#pump();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`scan thread exited with code ${code}`)));
    return slot;
  }
}

/**
 * Measures many mailboxes with a pool of its own, closed when the iteration ends. A long-running job
 * process should rather keep one ScanPool: starting the threads under tsx takes 0.1-0.4 s, and the
 * first scan in fresh threads runs slower (warm-up).
 */
export async function* scanMailboxes(
  mailRoot: string,
  items: Iterable<ScanItem> | AsyncIterable<ScanItem>,
  options: ScanOptions & ScanPoolOptions = {},
): AsyncGenerator<ScanResult[], void, undefined> {
  const pool = new ScanPool(options);
  try {
    yield* pool.scan(mailRoot, items, options);
  } finally {
    await pool.close();
  }
}
