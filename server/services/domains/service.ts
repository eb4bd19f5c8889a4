import type { Db } from '../../../db/database.js';
import * as repo from '../../../db/repositories/domains.js';
import { type Principal, assertRole, assertWritable } from '../auth/principal.js';
import { checkDomain, displayDomain } from '../../core/address.js';
import { NODE_NAME } from '../../platform/config.js';
import { AppError, notFound } from '../../platform/errors.js';
import { recordChange } from '../audit/record.js';
import { getCustomerOr404 } from '../customers/service.js';
import { isUniqueViolation } from '../../../db/errors.js';
import { msg } from '../../core/message.js';

const inUse = (domain: string) => msg('The domain {domain} is already in use.', { domain: displayDomain(domain) });

export function domainView(d: repo.DomainRow) {
  return {
    name: d.name,
    displayName: displayDomain(d.name),
    customerId: d.customer_id,
    active: d.active,
    node: d.node,
    mailboxes: d.mailboxes,
    createdAt: d.created_at.toISOString(),
  };
}

/** Looks a domain up by the name a user typed (Unicode or ASCII); anything unusable is simply not found. */
export async function getDomainOr404(db: Db, p: Principal, name: string) {
  const checked = checkDomain(name);
  const d = checked.ok ? await repo.getDomainByName(db, p, checked.value) : undefined;
  if (!d) throw notFound('Domain');
  return d;
}

export async function createDomain(db: Db, p: Principal, customerId: number, name: string, node?: string) {
  assertRole(p, 'operator', 'reseller', 'customer');
  assertWritable(p);
  const customer = await getCustomerOr404(db, p, customerId);
  if (p.domainId !== null) throw new AppError('forbidden', 'This API key is limited to one domain.');
  const checked = checkDomain(name);
  if (!checked.ok) throw new AppError('validation', checked.message, 'name');
  // Where mail is stored is the operator's decision: it must match where the mail servers put it.
  if (node !== undefined && p.role !== 'operator') throw new AppError('validation', 'Only the operator chooses the storage node.', 'node');
  if (node !== undefined && !NODE_NAME.test(node)) throw new AppError('validation', 'A node name is 1-32 lowercase letters, digits or "-".', 'node');
  if (await repo.domainExists(db, checked.value)) throw new AppError('conflict', inUse(checked.value), 'name');
  // mail.<someone else's domain> would let one tenant receive mail under another's name.
  if ((await repo.relatedDomains(db, checked.value)).some((d) => d.customer_id !== customer.id)) {
    throw new AppError(
      'conflict',
      `${displayDomain(checked.value)} is part of a domain of another customer (or contains one): it can only be added to that customer.`,
      'name',
    );
  }
  try {
    return await db.transaction().execute(async (trx) => {
      const d = await repo.insertDomain(trx, { customer_id: customer.id, name: checked.value, ...(node && { node }) });
      await recordChange(trx, p, {
        action: 'domain.create',
        objectType: 'domain',
        objectId: d.name,
        resellerId: customer.reseller_id,
        customerId: customer.id,
        after: { name: d.name, node: d.node },
      });
      return d;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('conflict', inUse(checked.value), 'name');
    throw err;
  }
}

export async function deleteDomain(db: Db, p: Principal, name: string) {
  assertWritable(p);
  const d = await getDomainOr404(db, p, name);
  if (d.mailboxes > 0) throw new AppError('conflict', 'The domain still has mailboxes; delete them first.');
  await db.transaction().execute(async (trx) => {
    // Checked again under the domain's lock: a mailbox created meanwhile must not be cascaded away.
    await repo.lockDomain(trx, d.id);
    if ((await repo.mailboxesOfDomain(trx, d.id)).length > 0) throw new AppError('conflict', 'The domain still has mailboxes; delete them first.');
    await repo.deleteDomain(trx, d.id);
    await recordChange(trx, p, {
      action: 'domain.delete',
      objectType: 'domain',
      objectId: d.name,
      resellerId: d.reseller_id,
      customerId: d.customer_id,
      before: { name: d.name },
    });
  });
}
