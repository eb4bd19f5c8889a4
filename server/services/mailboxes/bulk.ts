import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../../db/database.js';
import type { Queues } from '../../../jobs/queue/queues.js';
import { msg } from '../../core/message.js';
import { AppError } from '../../platform/errors.js';
import { type Principal, assertWritable } from '../auth/principal.js';
import { deleteMailboxes } from '../deleted-mailboxes/service.js';
import { reevaluateAfterQuotaChange } from './alerts.js';
import { getMailboxOr404, updateMailbox } from './service.js';

// Several mailboxes of one domain at once, as one change: either every chosen mailbox changes or
// none does (a limit of the plan, a mailbox gone meanwhile), so a list never ends half done.

export const BULK_ACTIONS = ['suspend', 'resume', 'quota', 'delete'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];
/** The most mailboxes one request changes; a page of the list holds fewer. */
export const MAX_BULK = 200;

/** The chosen mailboxes of this domain, each in the principal's scope (404 for the first that is not). */
export async function chosenMailboxes(db: Db, p: Principal, domain: string, addresses: readonly string[]) {
  const unique = [...new Set(addresses)];
  if (unique.length === 0) throw new AppError('validation', 'Select at least one mailbox.', 'address');
  if (unique.length > MAX_BULK) throw new AppError('validation', msg('Select at most {max} mailboxes at once.', { max: MAX_BULK }), 'address');
  const boxes = [];
  for (const address of unique) {
    const m = await getMailboxOr404(db, p, address);
    if (m.domain !== domain) throw new AppError('not_found', 'Mailbox was not found.');
    boxes.push(m);
  }
  return boxes;
}

export interface BulkChange {
  action: BulkAction;
  addresses: readonly string[];
  /** For `quota`: the new quota of each. */
  quotaBytes?: number;
}

/** Applies one action to all chosen mailboxes in one transaction; returns how many changed. */
export async function applyBulk(
  ctx: { db: Db; queues: Queues; log: FastifyBaseLogger; minPasswordLength: number },
  p: Principal,
  domain: string,
  change: BulkChange,
): Promise<number> {
  assertWritable(p);
  const boxes = await chosenMailboxes(ctx.db, p, domain, change.addresses);
  const addresses = boxes.map((m) => m.address);
  if (change.action === 'delete') return (await deleteMailboxes(ctx.db, ctx.queues, p, addresses)).length;
  if (change.action === 'quota' && change.quotaBytes === undefined) throw new AppError('validation', 'Enter a quota.', 'quota');
  const patch = change.action === 'quota' ? { quotaBytes: change.quotaBytes } : { active: change.action === 'resume' };
  await ctx.db.transaction().execute(async (trx) => {
    for (const address of addresses) await updateMailbox(trx, p, address, patch, ctx.minPasswordLength);
  });
  // A new quota may cross a warning line either way: each mailbox is evaluated as after a single change.
  if (change.action === 'quota') for (const m of boxes) await reevaluateAfterQuotaChange(ctx.db, ctx.queues, ctx.log, m.id);
  return boxes.length;
}
