import { inTransaction, type Db } from '../../../db/database.js';
import * as repo from '../../../db/repositories/customers.js';
import { getPlan } from '../../../db/repositories/plans.js';
import { getReseller } from '../../../db/repositories/resellers.js';
import type { Customer } from '../../../db/schema.js';
import { type Principal, assertRole, assertWritable } from '../auth/principal.js';
import { checkContactEmail, checkName, type Language } from '../../core/text.js';
import { AppError, notFound } from '../../platform/errors.js';
import { recordChange } from '../audit/record.js';
import { endSessionsOfTenant } from '../../../db/repositories/sessions.js';

export interface CustomerInput {
  name: string;
  contactEmail: string;
  planId?: number | null;
  language?: Language;
  resellerId?: number;
  active?: boolean;
}

export function customerView(c: Customer) {
  return {
    id: c.id,
    resellerId: c.reseller_id,
    planId: c.plan_id,
    name: c.name,
    contactEmail: c.contact_email,
    language: c.language,
    active: c.active,
    createdAt: c.created_at.toISOString(),
    updatedAt: c.updated_at.toISOString(),
  };
}

const snapshot = (c: Customer) => ({ name: c.name, contactEmail: c.contact_email, planId: c.plan_id, language: c.language, active: c.active });

export async function getCustomerOr404(db: Db, p: Principal, id: number) {
  const c = Number.isSafeInteger(id) ? await repo.getCustomer(db, p, id) : undefined;
  if (!c) throw notFound('Customer');
  return c;
}

async function checkPlan(db: Db, resellerId: number, planId: number | null | undefined) {
  if (planId === undefined || planId === null) return;
  const plan = await getPlan(db, { resellerId, customerId: null, domainId: null }, planId);
  if (!plan) throw new AppError('validation', 'That plan does not exist.', 'planId');
}

export async function createCustomer(db: Db, p: Principal, input: CustomerInput) {
  assertRole(p, 'operator', 'reseller');
  assertWritable(p);
  if (p.role !== 'operator' && input.resellerId !== undefined) throw new AppError('validation', 'resellerId may not be set.', 'resellerId');
  const resellerId = p.resellerId ?? input.resellerId;
  if (!resellerId) throw new AppError('validation', 'Choose the reseller the customer belongs to.', 'resellerId');
  if (!(await getReseller(db, p, resellerId))) throw new AppError('validation', 'That reseller does not exist.', 'resellerId');
  const name = checkName(input.name);
  if (!name.ok) throw new AppError('validation', name.message, 'name');
  const email = checkContactEmail(input.contactEmail);
  if (!email.ok) throw new AppError('validation', email.message, 'contactEmail');
  await checkPlan(db, resellerId, input.planId);
  return inTransaction(db, async (trx) => {
    const c = await repo.insertCustomer(trx, {
      reseller_id: resellerId,
      plan_id: input.planId ?? null,
      name: name.value,
      contact_email: email.value,
      language: input.language ?? 'en',
    });
    await recordChange(trx, p, { action: 'customer.create', objectType: 'customer', objectId: c.id, resellerId, customerId: c.id, after: snapshot(c) });
    return c;
  });
}

/** Why an edit from a stale page is refused (see MailboxPatch.ifUnchangedSince). */
export const STALE_CUSTOMER =
  'This customer was changed by someone else in the meantime. It is shown as it is now: make your change again if it still applies.';

/** `ifUnchangedSince`: the customer's updatedAt as the editing page showed it; a row changed since is not written (409). */
export async function updateCustomer(db: Db, p: Principal, id: number, input: Partial<CustomerInput> & { ifUnchangedSince?: string }) {
  assertRole(p, 'operator', 'reseller');
  assertWritable(p);
  const before = await getCustomerOr404(db, p, id);
  const values: Parameters<typeof repo.updateCustomer>[2] = {};
  if (input.name !== undefined) {
    const name = checkName(input.name);
    if (!name.ok) throw new AppError('validation', name.message, 'name');
    values.name = name.value;
  }
  if (input.contactEmail !== undefined) {
    const email = checkContactEmail(input.contactEmail);
    if (!email.ok) throw new AppError('validation', email.message, 'contactEmail');
    values.contact_email = email.value;
  }
  if (input.planId !== undefined) {
    await checkPlan(db, before.reseller_id, input.planId);
    values.plan_id = input.planId;
  }
  if (input.language !== undefined) values.language = input.language;
  if (input.active !== undefined) values.active = input.active;
  return inTransaction(db, async (trx) => {
    if (input.ifUnchangedSince !== undefined && (await repo.lockCustomerVersion(trx, id)).updated_at.toISOString() !== input.ifUnchangedSince)
      throw new AppError('conflict', STALE_CUSTOMER);
    const after = await repo.updateCustomer(trx, id, values);
    if (input.active === false) await endSessionsOfTenant(trx, { customerId: id });
    await recordChange(trx, p, {
      action: 'customer.update',
      objectType: 'customer',
      objectId: id,
      resellerId: after.reseller_id,
      customerId: id,
      before: snapshot(before),
      after: snapshot(after),
    });
    return after;
  });
}

export async function deleteCustomer(db: Db, p: Principal, id: number) {
  assertRole(p, 'operator', 'reseller');
  assertWritable(p);
  const before = await getCustomerOr404(db, p, id);
  if ((await repo.domainCount(db, id)) > 0) throw new AppError('conflict', 'The customer still has domains; delete them first.');
  await inTransaction(db, async (trx) => {
    await repo.lockCustomer(trx, id);
    if ((await repo.domainCount(trx, id)) > 0) throw new AppError('conflict', 'The customer still has domains; delete them first.');
    await repo.deleteCustomer(trx, id);
    await recordChange(trx, p, {
      action: 'customer.delete',
      objectType: 'customer',
      objectId: id,
      resellerId: before.reseller_id,
      customerId: id,
      before: snapshot(before),
    });
  });
}
