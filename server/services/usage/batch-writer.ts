import type { Db } from '../../../db/database.js';
import { writeUsage, type UsageResult, type WriteOutcome } from './store.js';

/**
 * Gathers the results of concurrently running scan jobs and writes them in one statement per
 * batch. Each job waits for its own batch to be written, so a job completes only once its result
 * is durable: a crash before that leaves the job to be retried, never a lost write.
 */
export class BatchWriter {
  #pending: { result: UsageResult; resolve: () => void; reject: (e: unknown) => void }[] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    /** Called once a batch is stored: the written mailboxes, their level changes and drift. */
    private readonly onWritten: (outcome: WriteOutcome) => Promise<void> | void,
    private readonly maxBatch = 200,
    private readonly maxWaitMs = 10,
    private readonly driftBytes?: number,
  ) {}

  write(result: UsageResult): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ result, resolve, reject });
      if (this.#pending.length >= this.maxBatch) void this.flush();
      else this.#timer ??= setTimeout(() => void this.flush(), this.maxWaitMs);
    });
  }

  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const batch = this.#pending.splice(0);
    if (batch.length === 0) return;
    try {
      const outcome = await writeUsage(
        this.db,
        batch.map((b) => b.result),
        { driftBytes: this.driftBytes },
      );
      if (outcome.written.length || outcome.drifted.length) await this.onWritten(outcome);
      for (const b of batch) b.resolve();
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }
}
