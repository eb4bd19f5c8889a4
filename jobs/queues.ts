import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobData, JobName } from './registry.js';

// Scans of one storage node go to that node's own queue, consumed only by the worker beside its disks.
export const scanQueueName = (node: string) => `scan-${node}`;
export const MAINTENANCE_QUEUE = 'maintenance';

/** Finished jobs are dropped (bounded), so Redis memory stays flat however many scans run. */
export const FINISHED: Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> = {
  removeOnComplete: { count: 1000, age: 3600 },
  removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
};

export const RETRIES: Pick<JobsOptions, 'attempts' | 'backoff'> = { attempts: 3, backoff: { type: 'exponential', delay: 5000 } };

/** Producers (web, CLI, fan-out) share one connection; each queue is created once per name. */
export class Queues {
  #queues = new Map<string, Queue>();
  constructor(
    readonly connection: Redis,
    readonly prefix: string,
  ) {}

  get(name: string): Queue {
    let q = this.#queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix, defaultJobOptions: { ...FINISHED, ...RETRIES } });
      q.on('error', () => {}); // surfaced to callers through the failed command
      this.#queues.set(name, q);
    }
    return q;
  }

  add<N extends JobName>(queue: string, name: N, data: JobData[N], opts: JobsOptions = {}) {
    return this.get(queue).add(name, data, opts);
  }

  async close() {
    await Promise.all([...this.#queues.values()].map((q) => q.close()));
  }
}

/** One scan per mailbox at a time: a second request while one waits or runs is dropped. */
export const scanJob = (mailboxId: number, full = false) => ({
  name: 'scan-mailbox' as const,
  data: { mailboxId, ...(full && { full: true }) },
  opts: { deduplication: { id: `mailbox-${mailboxId}` } } satisfies JobsOptions,
});

/**
 * Queues scans of these mailboxes on one node's queue. A full recount asked for while a normal scan
 * of the mailbox still waits is not dropped as a duplicate: the waiting job is made a full one.
 */
export async function addScans(queues: Queues, node: string, mailboxIds: number[], full = false) {
  const jobs = await queues.get(scanQueueName(node)).addBulk(mailboxIds.map((id) => scanJob(id, full)));
  // A deduplicated add returns the waiting job's id with our data; writing it upgrades that job.
  if (full) await Promise.all(jobs.map((j) => j.updateData({ mailboxId: j.data.mailboxId, full: true }).catch(() => {})));
}

/** Dovecot recounts a drifted mailbox, on its node; one waiting recount per mailbox is enough. */
export async function addRecalcs(queues: Queues, node: string, mailboxIds: number[]) {
  await queues.get(scanQueueName(node)).addBulk(
    mailboxIds.map((mailboxId) => ({ name: 'quota-recalc' as const, data: { mailboxId }, opts: { deduplication: { id: `recalc-${mailboxId}` } } })),
  );
}

/** Chunks of a verification round; a chunk still waiting from the last round is not queued twice. */
export async function addChunks(queues: Queues, node: string, ranges: { fromId: number; toId: number }[], full = false) {
  await queues.get(scanQueueName(node)).addBulk(
    ranges.map((r) => ({ name: 'scan-chunk' as const, data: { node, fromId: r.fromId, toId: r.toId, ...(full && { full: true }) }, opts: { deduplication: { id: `chunk-${r.fromId}` } } })),
  );
}

export type FilesJob = 'mailbox-trash' | 'mailbox-restore' | 'mailbox-purge';

/** A step on a deleted mailbox's files, on its node; one per record and step at a time. */
export async function addFilesJob(queues: Queues, node: string, name: FilesJob, deletedId: number) {
  await queues.add(scanQueueName(node), name, { deletedId }, { deduplication: { id: `${name}-${deletedId}` } });
}
