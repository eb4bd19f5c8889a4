import type { Job } from 'bullmq';

/**
 * Every job mailpanel runs, with the data it carries. Job data holds ids and flags only: never a
 * password, a hash or an address that a log of the queue could leak.
 */
export interface JobData {
  'scan-mailbox': { mailboxId: number; full?: boolean };
  'scan-fanout': { full?: boolean };
  /** The periodic verification of one node's mailboxes with ids fromId..toId. */
  'scan-chunk': { node: string; fromId: number; toId: number; full?: boolean };
  'housekeeping': Record<string, never>;
  'send-alert': { deliveryId: number };
  'alerts-sweep': Record<string, never>;
  'import-mailboxes': { importId: number };
  'quota-recalc': { mailboxId: number };
  'mailbox-trash': { deletedId: number };
  'mailbox-restore': { deletedId: number };
  'mailbox-purge': { deletedId: number };
}
export type JobName = keyof JobData;

export const JOB_NAMES = ['scan-mailbox', 'scan-chunk', 'scan-fanout', 'housekeeping', 'send-alert', 'alerts-sweep', 'import-mailboxes', 'quota-recalc', 'mailbox-trash', 'mailbox-restore', 'mailbox-purge'] as const satisfies readonly JobName[];

/** `token` is the worker's lock token, for handlers that move their own job (e.g. back to delayed). */
export type Handler<N extends JobName> = (job: Job<JobData[N], unknown, N>, token?: string) => Promise<unknown>;
export type Handlers = { [N in JobName]: Handler<N> };

/** Refuses to start a worker whose handler table misses a job, so no job can sit unprocessed. */
export function checkHandlers(handlers: Partial<Handlers>, names: readonly JobName[] = JOB_NAMES): asserts handlers is Handlers {
  const missing = names.filter((n) => typeof handlers[n] !== 'function');
  if (missing.length) throw new Error(`worker cannot start: no handler for job(s) ${missing.join(', ')}`);
}
