import type { Logger } from 'pino';

/**
 * Stops the process gracefully on SIGTERM or SIGINT: `stop()` (workers finish their active jobs,
 * servers their requests, connections close), then exit 0. A stop that outlasts `deadlineMs` (a job
 * stuck on a hung relay or disk) is cut short with exit 1: its jobs then stall and are retried by
 * another worker, which handlers are written for (idempotent), rather than the process never ending
 * and being killed without a word.
 */
export function stopOnSignals(logger: Logger, deadlineMs: number, stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, deadlineMs }, 'shutting down');
      const deadline = setTimeout(() => {
        logger.error({ deadlineMs }, 'shutdown deadline passed: exiting with work still active (its jobs are retried)');
        process.exit(1);
      }, deadlineMs);
      deadline.unref();
      stop().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}
