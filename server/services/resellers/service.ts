import { inTransaction, type Db } from '../../../db/database.js';
import * as repo from '../../../db/repositories/resellers.js';
import { findUserByEmail, insertUser } from '../../../db/repositories/users.js';
import { hashPassword, passwordProblem } from '../../platform/passwords.js';
import { type Principal, assertRole, assertWritable } from '../auth/principal.js';
import { checkContactEmail, checkName } from '../../core/text.js';
import { AppError, notFound } from '../../platform/errors.js';
import { recordChange } from '../audit/record.js';
import { getCustomerOr404 } from '../customers/service.js';
import { isUniqueViolation } from '../../../db/errors.js';
import { endSessionsOfTenant } from '../../../db/repositories/sessions.js';

export async function createReseller(db: Db, p: Principal, input: { name: string; contactEmail?: string }) {
  assertRole(p, 'operator');
  assertWritable(p);
  const name = checkName(input.name);
  if (!name.ok) throw new AppError('validation', name.message, 'name');
  let contact: string | null = null;
  if (input.contactEmail) {
    const email = checkContactEmail(input.contactEmail);
    if (!email.ok) throw new AppError('validation', email.message, 'contactEmail');
    contact = email.value;
  }
  return inTransaction(db, async (trx) => {
    const r = await repo.insertReseller(trx, { name: name.value, contact_email: contact });
    await recordChange(trx, p, {
      action: 'reseller.create',
      objectType: 'reseller',
      objectId: r.id,
      resellerId: r.id,
      customerId: null,
      after: { name: r.name, contactEmail: r.contact_email },
    });
    return r;
  });
}

export async function setResellerActive(db: Db, p: Principal, id: number, active: boolean) {
  assertRole(p, 'operator');
  assertWritable(p);
  const before = await repo.getReseller(db, p, id);
  if (!before) throw notFound('Reseller');
  await inTransaction(db, async (trx) => {
    await repo.updateReseller(trx, id, { active });
    if (!active) await endSessionsOfTenant(trx, { resellerId: id });
    await recordChange(trx, p, {
      action: 'reseller.update',
      objectType: 'reseller',
      objectId: id,
      resellerId: id,
      customerId: null,
      before: { active: before.active },
      after: { active },
    });
  });
}

/** A panel login for a reseller or one of its customers; its scope is fixed by the caller's own. */
export async function createLogin(
  db: Db,
  p: Principal,
  input: { email: string; password: string; role: 'reseller' | 'customer'; resellerId: number; customerId: number | null },
  minPasswordLength: number,
) {
  assertWritable(p);
  // The new login's scope must lie inside the creator's own, and only staff hand out logins.
  assertRole(p, 'operator', 'reseller');
  if (input.role === 'reseller') assertRole(p, 'operator');
  else if ((await getCustomerOr404(db, p, input.customerId ?? 0)).reseller_id !== input.resellerId) throw notFound('Customer');
  const email = await checkLogin(db, input, minPasswordLength);
  const hash = await hashPassword(input.password);
  return inTransaction(db, async (trx) => {
    const u = await insertUser(trx, { email, password_hash: hash, role: input.role, reseller_id: input.resellerId, customer_id: input.customerId }).catch(
      (err) => {
        // Taken meanwhile by a concurrent request: the same answer as the check above.
        if (isUniqueViolation(err)) throw new AppError('conflict', 'A login with this email address already exists.', 'loginEmail');
        throw err;
      },
    );
    await recordChange(trx, p, {
      action: 'user.create',
      objectType: 'user',
      objectId: u.email,
      resellerId: input.resellerId,
      customerId: input.customerId,
      after: { email: u.email, role: u.role },
    });
    return u;
  });
}

/** Checks a new login's email and password; callers creating something else first check before it. */
export async function checkLogin(db: Db, input: { email: string; password: string }, minPasswordLength: number): Promise<string> {
  const email = checkContactEmail(input.email);
  if (!email.ok) throw new AppError('validation', email.message, 'loginEmail');
  const weak = passwordProblem(input.password, minPasswordLength, [input.email]);
  if (weak) throw new AppError('validation', weak, 'loginPassword');
  if (await findUserByEmail(db, email.value)) throw new AppError('conflict', 'A login with this email address already exists.', 'loginEmail');
  return email.value;
}
