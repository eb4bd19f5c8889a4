// Deleting a mailbox keeps it restorable for its plan's retention: the row leaves `mailboxes` at
// once (no login, no mail), the node's worker moves its files out of the live tree, and a restore
// moves them back before the row returns. The same address created meanwhile starts empty.
import type { Db } from '../../../db/database.js';
import * as deleted from '../../../db/repositories/deleted-mailboxes.js';
import * as domains from '../../../db/repositories/domains.js';
import { mailboxExists } from '../../../db/repositories/mailboxes.js';
import { queueWithin } from '../../../jobs/queue/enqueue.js';
import type { Queues } from '../../../jobs/queue/queues.js';
import { type Principal, assertWritable } from '../auth/principal.js';
import { AppError, notFound } from '../../platform/errors.js';
import { recordChange } from '../audit/record.js';
import { getDomainOr404 } from '../domains/service.js';
import { getMailboxOr404 } from '../mailboxes/service.js';
import { msg } from '../../core/message.js';
import { emitDeletion } from '../webhooks/emit.js';
import { displayAddress } from '../../core/address.js';

export const DEFAULT_RETENTION_DAYS = 30;

/** Days a deleted mailbox of this customer stays restorable (its plan's; 30 without a plan). */
export async function retentionDaysOf(db: Db, customerId: number): Promise<number> {
  return (await deleted.retentionOfPlan(db, customerId)) ?? DEFAULT_RETENTION_DAYS;
}

/** Asks the node to move the files; when the queue is away, the housekeeping asks again later. */
async function moveFiles(queues: Queues, node: string, ids: number[]) {
  for (const id of ids) await queueWithin(queues.enqueue('mailbox-trash', { deletedId: id }, { node })).catch(() => undefined);
}

export async function deleteMailbox(db: Db, queues: Queues, p: Principal, address: string) {
  const [deleted] = await deleteMailboxes(db, queues, p, [address]);
  return deleted;
}

/**
 * Deletes mailboxes all together or none (each 404 or failure undoes the lot): each is kept,
 * restorable, for its plan's days; its files are moved once the deletion is committed.
 */
export async function deleteMailboxes(db: Db, queues: Queues, p: Principal, addresses: readonly string[]) {
  assertWritable(p);
  const boxes: { m: Awaited<ReturnType<typeof getMailboxOr404>>; days: number }[] = [];
  for (const address of addresses) {
    const m = await getMailboxOr404(db, p, address);
    boxes.push({ m, days: await retentionDaysOf(db, m.customer_id) });
  }
  const done = await db.transaction().execute(async (trx) => {
    const out: { id: number; days: number; node: string }[] = [];
    for (const { m, days } of boxes) {
      // Its facts as it was, in the deletion's transaction.
      await emitDeletion(trx, [m.id], { restorableDays: days });
      const id = await deleted.moveToDeleted(trx, m.id, days);
      await recordChange(trx, p, {
        action: 'mailbox.delete',
        objectType: 'mailbox',
        objectId: m.address,
        resellerId: m.reseller_id,
        customerId: m.customer_id,
        before: { quotaBytes: m.quota_bytes, usedBytes: m.used_bytes },
        after: { deletedId: id, restorableDays: days },
      });
      out.push({ id, days, node: m.node });
    }
    return out;
  });
  for (const d of done) await moveFiles(queues, d.node, [d.id]);
  return done.map(({ id, days }) => ({ id, days }));
}

/** A domain and all its mailboxes: each kept like a deleted mailbox, restorable once the domain is added again. */
export async function deleteDomainWithMailboxes(db: Db, queues: Queues, p: Principal, name: string) {
  assertWritable(p);
  const d = await getDomainOr404(db, p, name);
  const days = await retentionDaysOf(db, d.customer_id);
  const ids = await db.transaction().execute(async (trx) => {
    await domains.lockDomain(trx, d.id);
    const boxes = await domains.mailboxesOfDomain(trx, d.id);
    const ids: number[] = [];
    for (const b of boxes) ids.push(await deleted.moveToDeleted(trx, b.id, days));
    await domains.deleteDomain(trx, d.id);
    await recordChange(trx, p, {
      action: 'domain.delete',
      objectType: 'domain',
      objectId: d.name,
      resellerId: d.reseller_id,
      customerId: d.customer_id,
      before: { name: d.name, mailboxes: boxes.length },
      after: { restorableDays: days },
    });
    return ids;
  });
  await moveFiles(queues, d.node, ids);
  return { mailboxes: ids.length, days };
}

export async function listDeletedMailboxes(db: Db, p: Principal, domainName: string) {
  const d = await getDomainOr404(db, p, domainName);
  return { domain: d, items: await deleted.listDeleted(db, d.customer_id, d.name) };
}

export function deletedView(r: Awaited<ReturnType<typeof deleted.listDeleted>>[number]) {
  return {
    id: r.id,
    address: r.address,
    deletedAt: r.deleted_at.toISOString(),
    purgeAfter: r.purge_after.toISOString(),
    usedBytes: r.used_bytes,
    state: r.state,
  };
}

/** Queues the restore on the mailbox's node (202); 409 while the address is taken. */
export async function restoreDeletedMailbox(db: Db, queues: Queues, p: Principal, domainName: string, id: number) {
  assertWritable(p);
  const d = await getDomainOr404(db, p, domainName);
  const rec = await deleted.getDeleted(db, id);
  if (!rec || rec.customer_id !== d.customer_id || rec.domain_name !== d.name) throw notFound('Deleted mailbox');
  if (await mailboxExists(db, rec.address)) {
    throw new AppError(
      'conflict',
      msg('The address {address} is in use by another mailbox: delete or rename that one first.', { address: displayAddress(rec.address) }),
    );
  }
  if (rec.state === 'restoring') return rec;
  if (!(await deleted.setDeletedState(db, id, ['kept', 'moving'], 'restoring')))
    throw new AppError('conflict', 'This mailbox is being removed for good and can no longer be restored.');
  try {
    await queueWithin(queues.enqueue('mailbox-restore', { deletedId: id }, { node: rec.node }));
  } catch (err) {
    await deleted.setDeletedState(db, id, ['restoring'], 'kept');
    throw err;
  }
  await recordChange(db, p, {
    action: 'mailbox.restore',
    objectType: 'mailbox',
    objectId: rec.address,
    resellerId: d.reseller_id,
    customerId: d.customer_id,
    after: { deletedId: id },
  });
  return { ...rec, state: 'restoring' as const };
}
