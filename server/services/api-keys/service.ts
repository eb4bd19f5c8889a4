import type { Db } from '../../../db/database.js';
import * as repo from '../../../db/repositories/api-keys.js';
import { type Principal, assertRole, assertWritable } from '../auth/principal.js';
import { newApiKey } from '../../platform/tokens.js';
import { checkCidr } from '../../core/cidr.js';
import { MAX, checkName } from '../../core/text.js';
import { AppError, notFound } from '../../platform/errors.js';
import { recordChange } from '../audit/record.js';
import { getCustomerOr404 } from '../customers/service.js';
import { getDomainOr404 } from '../domains/service.js';

export interface KeyInput {
  name: string;
  readOnly: boolean;
  customerId?: number;
  domain?: string;
  expiresAt?: Date | null;
  allowedCidrs?: string[];
}

/**
 * Issues an API key, shown once. A key never reaches further than its creator: it is bound to the
 * creator's reseller and may only be narrowed (to a customer or one domain, or to reading).
 */
export async function createApiKey(db: Db, p: Principal, input: KeyInput) {
  assertRole(p, 'operator', 'reseller');
  assertWritable(p);
  const name = checkName(input.name, 'The key name', MAX.shortName);
  if (!name.ok) throw new AppError('validation', name.message, 'name');
  let customerId: number | null = null;
  let domainId: number | null = null;
  let resellerId = p.resellerId;
  if (input.domain) {
    const d = await getDomainOr404(db, p, input.domain);
    domainId = d.id;
    customerId = d.customer_id;
    resellerId = d.reseller_id;
  } else if (input.customerId !== undefined) {
    const c = await getCustomerOr404(db, p, input.customerId);
    customerId = c.id;
    resellerId = c.reseller_id;
  }
  if (input.expiresAt && input.expiresAt <= new Date()) throw new AppError('validation', 'The expiry must be in the future.', 'expiresAt');
  const cidrs: string[] = [];
  for (const raw of input.allowedCidrs ?? []) {
    const c = checkCidr(raw);
    if (!c.ok) throw new AppError('validation', c.message, 'allowedCidrs');
    cidrs.push(c.value);
  }
  const { key, prefix, secretHash } = newApiKey();
  const row = await db.transaction().execute(async (trx) => {
    const k = await repo.insertApiKey(trx, {
      prefix,
      secret_hash: secretHash,
      name: name.value,
      reseller_id: resellerId,
      customer_id: customerId,
      domain_id: domainId,
      read_only: input.readOnly,
      expires_at: input.expiresAt ?? null,
      allowed_cidrs: cidrs.length ? cidrs : null,
    });
    await recordChange(trx, p, {
      action: 'api_key.create',
      objectType: 'api_key',
      objectId: prefix,
      resellerId,
      customerId,
      after: { name: k.name, readOnly: input.readOnly, customerId, domainId, allowedCidrs: cidrs, expiresAt: input.expiresAt ?? null },
    });
    return k;
  });
  return { key, row };
}

export async function revokeApiKey(db: Db, p: Principal, id: number) {
  assertRole(p, 'operator', 'reseller');
  assertWritable(p);
  if (!(await repo.revokeKey(db, id, p.resellerId))) throw notFound('API key');
  await recordChange(db, p, { action: 'api_key.revoke', objectType: 'api_key', objectId: id, resellerId: p.resellerId, customerId: null });
}
