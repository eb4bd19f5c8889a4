// Requests for more space: asked for by a customer or a mailbox owner (one of the sizes the plan
// offers, with a note), decided by the reseller (or by the plan up to a size), the quota changed
// through the mailbox service so limits, audit, usage level and webhooks follow as for any change.
import type { Db } from '../../../db/database.js';
import { isUniqueViolation } from '../../../db/errors.js';
import * as repo from '../../../db/repositories/space-requests.js';
import type { SpaceRequestStatus } from '../../../db/tables/space-requests.js';
import { queueWithin } from '../../../jobs/queue/enqueue.js';
import type { Queues } from '../../../jobs/queue/queues.js';
import { REQUESTS_PER_DAY, autoApproves, checkNote, upgradeOptions } from '../../core/space-requests.js';
import { AppError, notFound } from '../../platform/errors.js';
import { recordChange } from '../audit/record.js';
import { type Principal, assertRole, assertWritable } from '../auth/principal.js';
import { getMailboxOr404, planLimitsFor, updateMailbox } from '../mailboxes/service.js';
import { emitMailboxEvent } from '../webhooks/emit.js';

export type SpaceRequest = repo.SpaceRequestRow;

const DAY_MS = 86_400_000;
export const ALREADY_OPEN = 'This mailbox already has an open request. Wait for the answer, or withdraw it first.';

/** Who decides when the plan approves by itself: the reseller's scope, named in the audit log. */
const autoApprover = (resellerId: number): Principal => ({
  role: 'reseller',
  resellerId,
  customerId: null,
  domainId: null,
  readOnly: false,
  actor: { label: 'auto-approve', userId: null, keyId: null, ip: null },
});

/** The sizes this mailbox may ask for now, and its open request if it has one. */
export async function spaceOffer(db: Db, p: Principal, mailbox: { id: number; customer_id: number; quota_bytes: number }) {
  const [rules, recent] = await Promise.all([planLimitsFor(db, mailbox.customer_id), repo.listSpaceRequests(db, p, { mailboxId: mailbox.id, limit: 5 })]);
  return { options: upgradeOptions(rules, mailbox.quota_bytes), open: recent.find((r) => r.status === 'open') ?? null, recent };
}

/** Tells those concerned (jobs/handlers/space-request-notice.ts); the request itself is already committed. */
async function notify(queues: Queues | undefined, r: { id: number; status: SpaceRequestStatus }) {
  if (!queues) return;
  await queueWithin(queues.enqueue('space-request-notice', { requestId: r.id, status: r.status }, {})).catch(() => {
    // Redis away: the request stands, and the queue in the panel shows it; the sweep tells later.
  });
}

export async function requestSpace(db: Db, p: Principal, address: string, input: { bytes: number; note?: string }, queues?: Queues) {
  assertWritable(p);
  const m = await getMailboxOr404(db, p, address);
  const rules = await planLimitsFor(db, m.customer_id);
  const options = upgradeOptions(rules, m.quota_bytes);
  if (options.length === 0) throw new AppError('validation', 'The plan of this mailbox offers no larger size. Ask your provider.', 'bytes');
  if (!options.includes(input.bytes)) throw new AppError('validation', 'Choose one of the sizes offered.', 'bytes');
  const note = checkNote(input.note ?? '', 'note');
  if (!note.ok) throw new AppError('validation', note.message, 'note');
  if ((await repo.requestsSince(db, m.id, new Date(Date.now() - DAY_MS))) >= REQUESTS_PER_DAY)
    throw new AppError('limit_exceeded', 'This mailbox has asked three times today. Try again tomorrow.', 'bytes', 'requests_per_day');
  let id: number;
  try {
    id = await db.transaction().execute(async (trx) => {
      const { id } = await repo.insertSpaceRequest(trx, {
        mailbox_id: m.id,
        customer_id: m.customer_id,
        reseller_id: m.reseller_id,
        from_bytes: m.quota_bytes,
        requested_bytes: input.bytes,
        note: note.value,
        requested_by: p.actor.label,
      });
      await recordChange(trx, p, {
        action: 'space_request.create',
        objectType: 'mailbox',
        objectId: m.address,
        resellerId: m.reseller_id,
        customerId: m.customer_id,
        after: { requestId: id, quotaBytes: m.quota_bytes, requestedBytes: input.bytes, note: note.value },
      });
      await emitMailboxEvent(trx, 'space_request.created', m.id, {
        request: { id, fromBytes: m.quota_bytes, requestedBytes: input.bytes, note: note.value, autoApprove: autoApproves(rules, input.bytes) },
      });
      return id;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('conflict', ALREADY_OPEN);
    throw err;
  }
  if (autoApproves(rules, input.bytes)) {
    try {
      return await approveSpaceRequest(db, autoApprover(m.reseller_id), id, queues);
    } catch (err) {
      // A limit the plan sets elsewhere (total storage) stops the automatic approval: the reseller decides.
      if (!(err instanceof AppError) || err.code !== 'limit_exceeded') throw err;
    }
  }
  await notify(queues, { id, status: 'open' });
  return (await repo.getSpaceRequest(db, p, id))!;
}

export async function getSpaceRequestOr404(db: Db, p: Principal, id: number) {
  const r = await repo.getSpaceRequest(db, p, id);
  if (!r) throw notFound('Request');
  return r;
}

/** Closes an open request in one transaction with `change`; a decided one answers 409. */
async function close(
  db: Db,
  p: Principal,
  id: number,
  status: 'approved' | 'declined' | 'withdrawn',
  reason: string | null,
  change?: (trx: Db, r: SpaceRequest) => Promise<void>,
) {
  const r = await getSpaceRequestOr404(db, p, id);
  await db.transaction().execute(async (trx) => {
    if (!(await repo.lockOpenRequest(trx, id))) throw new AppError('conflict', 'This request was already answered.');
    await change?.(trx, r);
    await repo.closeSpaceRequest(trx, id, { status, decided_by: p.actor.label, reason });
    await recordChange(trx, p, {
      action: `space_request.${status === 'approved' ? 'approve' : status === 'declined' ? 'decline' : 'withdraw'}`,
      objectType: 'mailbox',
      objectId: r.address,
      resellerId: r.reseller_id,
      customerId: r.customer_id,
      after: { requestId: id, requestedBytes: r.requested_bytes, ...(reason && { reason }) },
    });
  });
  return (await repo.getSpaceRequest(db, p, id))!;
}

/** The quota becomes the size asked for (never smaller than it is now), within the plan's limits. */
export async function approveSpaceRequest(db: Db, p: Principal, id: number, queues?: Queues) {
  assertRole(p, 'reseller', 'operator');
  assertWritable(p);
  const done = await close(db, p, id, 'approved', null, async (trx, r) => {
    if (r.quota_bytes < r.requested_bytes) await updateMailbox(trx, p, r.address, { quotaBytes: r.requested_bytes }, 0);
  });
  await notify(queues, done);
  return done;
}

export async function declineSpaceRequest(db: Db, p: Principal, id: number, reasonInput: string, queues?: Queues) {
  assertRole(p, 'reseller', 'operator');
  assertWritable(p);
  const reason = checkNote(reasonInput, 'reason');
  if (!reason.ok) throw new AppError('validation', reason.message, 'reason');
  const done = await close(db, p, id, 'declined', reason.value);
  await notify(queues, done);
  return done;
}

/** The one who asked (or anyone who may see the mailbox) takes an open request back; `address`: it must be that mailbox's. */
export async function withdrawSpaceRequest(db: Db, p: Principal, id: number, address?: string) {
  assertWritable(p);
  if (address !== undefined) {
    const [m, r] = await Promise.all([getMailboxOr404(db, p, address), getSpaceRequestOr404(db, p, id)]);
    if (r.mailbox_id !== m.id) throw notFound('Request');
  }
  return close(db, p, id, 'withdrawn', null);
}

export function listSpaceRequests(db: Db, p: Principal, filter: { status?: SpaceRequestStatus; limit?: number } = {}) {
  return repo.listSpaceRequests(db, p, { status: filter.status, limit: Math.min(filter.limit ?? 100, 500) });
}

export const countOpenSpaceRequests = (db: Db, p: Principal) => repo.countOpenRequests(db, p);
