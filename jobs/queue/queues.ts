// The producer side of every queue: one connection, one Queue object per name, and the one typed way to
// add a job (enqueue / enqueueMany), which takes the queue and the options from the registry.
import { Queue, QueueEvents, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { logConnection } from '../../server/platform/logging.js';
import { JOBS, type JobData, type JobName, type NodeJob, queueOf } from './registry.js';

export { ALERTS_QUEUE, IMPORTS_QUEUE, MAINTENANCE_QUEUE, WEBHOOKS_QUEUE, scanQueueName } from './registry.js';

/** Finished jobs are dropped (bounded), so Redis memory stays flat however many scans run. */
export const FINISHED: Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> = {
  removeOnComplete: { count: 1000, age: 3600 },
  removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
};

export const RETRIES: Pick<JobsOptions, 'attempts' | 'backoff'> = { attempts: 3, backoff: { type: 'exponential', delay: 5000 } };

/** No worker consumes the queue a question was asked on. */
export class NoWorker extends Error {
  constructor(readonly queue: string) {
    super(`no worker consumes ${queue}`);
  }
}

/** A job on a storage node's queue names its node; a central one does not. */
export type Where<N extends JobName> = N extends NodeJob ? { node: string } : { node?: undefined };

/** Producers (web, CLI, fan-out) share one connection; each queue is created once per name. */
export class Queues {
  #queues = new Map<string, Queue>();
  #events = new Map<string, { events: QueueEvents; connection: Redis; ready: Promise<QueueEvents> }>();
  constructor(
    readonly connection: Redis,
    readonly prefix: string,
    /** Where a queue's connection errors go (once per outage); callers also see their failed commands. */
    private readonly logger?: Pick<Logger, 'warn' | 'info'>,
  ) {}

  get(name: string): Queue {
    let q = this.#queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix, defaultJobOptions: { ...FINISHED, ...RETRIES } });
      logConnection(q, this.logger, `queue ${name}`);
      this.#queues.set(name, q);
    }
    return q;
  }

  /** Adds one job to the queue the registry names, with the registry's options (plus `extra`). */
  enqueue<N extends JobName>(name: N, data: JobData[N], where: Where<N>, extra: JobsOptions = {}) {
    return this.get(queueOf(name, where.node)).add(name, data, { ...optionsOf(name, data), ...extra });
  }

  /**
   * Adds a job and waits for its result: a question to a mailbox's node (a cleanup preview, its largest
   * messages). Rejects after `timeoutMs` when no worker answered; the handler drops a question that
   * waited longer than its asker would (jobs/handlers/cleanup.ts).
   */
  async request<N extends JobName>(name: N, data: JobData[N], where: Where<N>, timeoutMs: number): Promise<unknown> {
    const queue = queueOf(name, where.node);
    // Nobody consumes the queue (the node's worker is down): say so now rather than after the timeout.
    // CLIENT LIST may be refused by a managed Redis; then the timeout decides.
    const workers = await this.get(queue)
      .getWorkersCount()
      .catch(() => 1);
    if (workers === 0) throw new NoWorker(queue);
    const events = await this.#eventsOf(queue);
    const job = await this.enqueue(name, data, where);
    return job.waitUntilFinished(events, timeoutMs);
  }

  /** One QueueEvents per queue asked, on its own connection (it blocks reading the event stream). */
  #eventsOf(name: string): Promise<QueueEvents> {
    let entry = this.#events.get(name);
    if (!entry) {
      const connection = this.connection.duplicate({ maxRetriesPerRequest: null });
      const events = new QueueEvents(name, { connection, prefix: this.prefix });
      logConnection(events, this.logger, `queue events ${name}`);
      entry = { events, connection, ready: events.waitUntilReady().then(() => events) };
      this.#events.set(name, entry);
    }
    return entry.ready;
  }

  /** Adds many jobs of one kind in one round trip. */
  enqueueMany<N extends JobName>(name: N, data: JobData[N][], where: Where<N>) {
    if (data.length === 0) return Promise.resolve([]);
    return this.get(queueOf(name, where.node)).addBulk(data.map((d) => jobOf(name, d)));
  }

  async close() {
    await Promise.all(
      [...this.#events.values()].map(async (e) => {
        await e.events.close().catch(() => {});
        e.connection.disconnect();
      }),
    );
    await Promise.all([...this.#queues.values()].map((q) => q.close()));
  }
}

function optionsOf<N extends JobName>(name: N, data: JobData[N]): JobsOptions {
  const spec = JOBS[name] as { options?: (d: JobData[N]) => JobsOptions };
  return spec.options?.(data) ?? {};
}

/** A job as BullMQ's add/addBulk take it, with the registry's options: for code that holds a Queue itself. */
export const jobOf = <N extends JobName>(name: N, data: JobData[N]) => ({ name, data, opts: optionsOf(name, data) });

/**
 * Queues scans of these mailboxes on one node's queue. A full recount asked for while a normal scan
 * of the mailbox still waits is not dropped as a duplicate: the waiting job is made a full one.
 */
export async function addScans(queues: Queues, node: string, mailboxIds: number[], full = false) {
  const asked = Date.now();
  const jobs = await queues.enqueueMany(
    'scan-mailbox',
    mailboxIds.map((mailboxId) => ({ mailboxId, ...(full && { full: true }) })),
    { node },
  );
  // A deduplicated add returns the job already there, with our data. Still waiting, it answers this
  // request too (writing the data upgrades it to full). Already running (or just done), it may have read
  // the disk before what this request is about: one more scan follows it (once, however often asked).
  // The job as stored (a deduplicated add hands back our own data and time): queued before this request
  // and no longer waiting means it may have read the disk too early. Our own new job may run already.
  const queue = queues.get(queueOf('scan-mailbox', node));
  const stored = await Promise.all(jobs.map((j) => queue.getJob(j.id!)));
  const states = await Promise.all(stored.map((j) => j?.getState().catch(() => 'unknown') ?? 'gone'));
  const later = jobs.filter((_, i) => {
    const existing = !stored[i] || stored[i].timestamp < asked;
    return existing && !['waiting', 'delayed', 'prioritized', 'waiting-children'].includes(states[i]);
  });
  if (full)
    await Promise.all(jobs.filter((_, i) => !later.includes(jobs[i])).map((j) => j.updateData({ mailboxId: j.data.mailboxId, full: true }).catch(() => {})));
  if (later.length)
    await queues.enqueueMany(
      'scan-mailbox',
      later.map((j) => ({ mailboxId: j.data.mailboxId, followUp: true, ...(full && { full: true }) })),
      { node },
    );
}
