import { AppError } from '../server/errors.js';
import { addScans, type Queues } from './queues.js';

const QUEUE_DEADLINE_MS = 1000;

/** Queues a scan for the web and CLI; answers "unavailable" within a second when Redis is away. */
export async function enqueueScan(queues: Queues, mailbox: { id: number; node: string }, full = false): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError('unavailable', 'The job queue is unavailable; try again shortly.')), QUEUE_DEADLINE_MS);
  });
  try {
    await Promise.race([addScans(queues, mailbox.node, [mailbox.id], full), deadline]);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('unavailable', 'The job queue is unavailable; try again shortly.');
  } finally {
    clearTimeout(timer);
  }
}
