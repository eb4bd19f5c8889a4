import { AppError } from '../../server/platform/errors.js';
import { addScans, type Queues } from './queues.js';

const QUEUE_DEADLINE_MS = 1000;

/**
 * Runs a queue operation for a web or CLI request: done within a second, or "unavailable" (503)
 * when Redis is away, never a hanging request.
 */
export async function queueWithin<T>(operation: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError('unavailable', 'The job queue is unavailable; try again shortly.')), QUEUE_DEADLINE_MS);
  });
  try {
    return await Promise.race([operation, deadline]);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('unavailable', 'The job queue is unavailable; try again shortly.');
  } finally {
    clearTimeout(timer);
  }
}

/** Queues a scan for the web and CLI. */
export async function enqueueScan(queues: Queues, mailbox: { id: number; node: string }, full = false): Promise<void> {
  await queueWithin(addScans(queues, mailbox.node, [mailbox.id], full));
}
