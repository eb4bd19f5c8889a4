// Every job mailpanel runs, in one place: its data, the queue it goes to and its options. Producers
// (web, CLI, handlers that fan out) add jobs with Queues.enqueue, workers bind handlers with Handlers:
// both are checked against this table, so a job cannot be added with the wrong data or to the wrong queue.
import type { Job, JobsOptions } from 'bullmq';
import type { SendLimitKind } from '../../server/core/send-limits.js';

/**
 * The data each job carries. Ids and flags only: never a password, a hash or an address that a log
 * of the queue could leak.
 */
export interface JobData {
  /** followUp: asked for while a scan of the mailbox was already running (see addScans). */
  'scan-mailbox': { mailboxId: number; full?: boolean; followUp?: boolean };
  'scan-fanout': { full?: boolean };
  /** The periodic verification of one node's mailboxes with ids fromId..toId. */
  'scan-chunk': { node: string; fromId: number; toId: number; full?: boolean };
  housekeeping: Record<string, never>;
  'send-alert': { deliveryId: number };
  /** The emails of a request for more space at this status (jobs/handlers/space-request-notice.ts). */
  'space-request-notice': { requestId: number; status: 'open' | 'approved' | 'declined' | 'withdrawn' };
  'alerts-sweep': Record<string, never>;
  /** A mailbox went over a send limit (reported by the policy service once per kind and hour; `at` in ms). */
  'send-limit-breach': { mailboxId: number; kind: SendLimitKind; limit: number; at: number };
  'import-mailboxes': { importId: number };
  'quota-recalc': { mailboxId: number };
  'mailbox-trash': { deletedId: number };
  'mailbox-restore': { deletedId: number };
  'mailbox-purge': { deletedId: number };
  /** Questions to a mailbox's node, answered while the asker waits (Queues.request). */
  'cleanup-preview': { mailboxId: number; folder: string; olderThanDays?: number; uids?: number[] };
  'large-messages': { mailboxId: number; minBytes: number };
  'mailbox-cleanup': { cleanupId: number };
  /** The plan's automatic purge of Trash and Junk: fanned out to a round per node with mailboxes to purge. */
  'purge-fanout': Record<string, never>;
  'purge-round': { node: string };
  /** New webhook events to one delivery per subscribed webhook (jobs/handlers/webhooks.ts). */
  'webhook-fanout': Record<string, never>;
  /** `round`: a redelivery asked for by hand, a job of its own. */
  'webhook-deliver': { deliveryId: number; round?: number };
  /** Queues deliveries whose job was lost, and fans out events a trigger missed. */
  'webhooks-sweep': Record<string, never>;
}
export type JobName = keyof JobData;

/** The central queues, each consumed by the central worker. */
export const MAINTENANCE_QUEUE = 'maintenance';
export const ALERTS_QUEUE = 'alerts';
/** Imports get their own queue: an hour-long import must not hold up scans or alerts. */
export const IMPORTS_QUEUE = 'imports';
/** Webhooks get their own: a receiver that hangs holds up nothing else. */
export const WEBHOOKS_QUEUE = 'webhooks';
/** Jobs on a mailbox's files go to its storage node's own queue, consumed only by the worker beside its disks. */
export const scanQueueName = (node: string) => `scan-${node}`;

/** A delivery is tried this often (with the alert queue's backoff, see the worker) before it is given up. */
export const SEND_ATTEMPTS = 10;

type QueueKind = typeof MAINTENANCE_QUEUE | typeof ALERTS_QUEUE | typeof IMPORTS_QUEUE | typeof WEBHOOKS_QUEUE | 'node';

/** A webhook delivery is retried (see the worker's backoff) until it is a day old, then given up. */
export const WEBHOOK_ATTEMPTS = 1000;

interface JobSpec<N extends JobName> {
  queue: QueueKind;
  /** Options beyond the queues' defaults (see queues.ts): mostly the id that makes a job unique. */
  options?: (data: JobData[N]) => JobsOptions;
}

/** The job of a webhook delivery (a redelivery by hand is a new round of it). */
export const deliveryJobId = (deliveryId: number, round?: number) => `webhook-delivery-${deliveryId}${round ? `-${round}` : ''}`;

/** A second add while a job with the same id waits (or runs) is dropped. */
const once = (id: string): JobsOptions => ({ deduplication: { id } });
const ASKED: JobsOptions = { attempts: 1, removeOnComplete: { age: 60 }, removeOnFail: { age: 3600 } };

export const JOBS = {
  // One scan of a mailbox at a time.
  'scan-mailbox': { queue: 'node', options: (d: JobData['scan-mailbox']) => once(`mailbox-${d.mailboxId}${d.followUp ? '-next' : ''}`) },
  // A chunk still waiting (or running) from the last round is not queued twice.
  'scan-chunk': { queue: 'node', options: (d: JobData['scan-chunk']) => once(`chunk-${d.fromId}`) },
  // Dovecot recounts a drifted mailbox on its node; one waiting recount per mailbox is enough.
  'quota-recalc': { queue: 'node', options: (d: JobData['quota-recalc']) => once(`recalc-${d.mailboxId}`) },
  'mailbox-trash': { queue: 'node', options: (d: JobData['mailbox-trash']) => once(`mailbox-trash-${d.deletedId}`) },
  'mailbox-restore': { queue: 'node', options: (d: JobData['mailbox-restore']) => once(`mailbox-restore-${d.deletedId}`) },
  'mailbox-purge': { queue: 'node', options: (d: JobData['mailbox-purge']) => once(`mailbox-purge-${d.deletedId}`) },
  // Asked while someone waits: one try, and forgotten soon (the answer went to the asker).
  'cleanup-preview': { queue: 'node', options: () => ASKED },
  'large-messages': { queue: 'node', options: () => ASKED },
  // A confirmed cleanup runs once however often it is queued; a retry finds what is left of its messages.
  'mailbox-cleanup': { queue: 'node', options: (d: JobData['mailbox-cleanup']) => once(`cleanup-${d.cleanupId}`) },
  // Queued by purge-fanout (run by a job scheduler, jobs/schedules.ts) on each node; one round at a time.
  'purge-round': { queue: 'node', options: (d: JobData['purge-round']) => once(`purge-${d.node}`) },
  // Run by job schedulers (jobs/schedules.ts), or added by hand.
  'scan-fanout': { queue: MAINTENANCE_QUEUE },
  housekeeping: { queue: MAINTENANCE_QUEUE },
  'alerts-sweep': { queue: MAINTENANCE_QUEUE },
  'purge-fanout': { queue: MAINTENANCE_QUEUE },
  // One job per delivery however often it is queued; temporary failures retry with the worker's
  // exponential backoff with jitter, then give up.
  'send-alert': {
    queue: ALERTS_QUEUE,
    options: (d: JobData['send-alert']) => ({ jobId: `delivery-${d.deliveryId}`, attempts: SEND_ATTEMPTS, backoff: { type: 'custom' } }),
  },
  // Once per request and status, retried with the queues' default backoff.
  'space-request-notice': {
    queue: ALERTS_QUEUE,
    options: (d: JobData['space-request-notice']) => ({ jobId: `space-request-${d.requestId}-${d.status}` }),
  },
  // Once per mailbox, kind and hour (the breach row is unique on the same); retried with the default backoff.
  'send-limit-breach': {
    queue: ALERTS_QUEUE,
    options: (d: JobData['send-limit-breach']) => ({ jobId: `send-breach-${d.mailboxId}-${d.kind}-${Math.floor(d.at / 3600_000)}` }),
  },
  // Added for each announcement of new events (the listener coalesces them); fan-outs take turns (see fanOut).
  'webhook-fanout': { queue: WEBHOOKS_QUEUE },
  'webhook-deliver': {
    queue: WEBHOOKS_QUEUE,
    options: (d: JobData['webhook-deliver']) => ({
      jobId: deliveryJobId(d.deliveryId, d.round),
      attempts: WEBHOOK_ATTEMPTS,
      backoff: { type: 'custom' },
    }),
  },
  'webhooks-sweep': { queue: MAINTENANCE_QUEUE },
  // One job per import; retries (the queues' default) resume where it stopped.
  'import-mailboxes': { queue: IMPORTS_QUEUE, options: (d: JobData['import-mailboxes']) => ({ jobId: `import-${d.importId}` }) },
} as const satisfies { [N in JobName]: JobSpec<N> };

export const JOB_NAMES = Object.keys(JOBS) as JobName[];

/** Jobs that run on a storage node's queue: adding one names the node. */
export type NodeJob = { [N in JobName]: (typeof JOBS)[N]['queue'] extends 'node' ? N : never }[JobName];

/** The queue a job goes to (`node` for the jobs on a storage node's queue). */
export function queueOf(name: JobName, node?: string): string {
  const queue = JOBS[name].queue;
  if (queue !== 'node') return queue;
  if (!node) throw new Error(`job ${name} runs on a storage node's queue: name the node`);
  return scanQueueName(node);
}

/** `token` is the worker's lock token, for handlers that move their own job (e.g. back to delayed). */
export type Handler<N extends JobName> = (job: Job<JobData[N], unknown, N>, token?: string) => Promise<unknown>;
export type Handlers = { [N in JobName]: Handler<N> };

/** Refuses to start a worker whose handler table misses a job, so no job can sit unprocessed. */
export function checkHandlers(handlers: Partial<Handlers>, names: readonly JobName[] = JOB_NAMES): asserts handlers is Handlers {
  const missing = names.filter((n) => typeof handlers[n] !== 'function');
  if (missing.length) throw new Error(`worker cannot start: no handler for job(s) ${missing.join(', ')}`);
}
