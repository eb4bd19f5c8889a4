import type { Db } from '../../../db/database.js';
import * as repo from '../../../db/repositories/plans.js';
import { type Principal, assertRole, assertWritable } from '../../auth/principal.js';
import { MAX_QUOTA_BYTES, MIN_QUOTA_BYTES } from '../../domain/quota.js';
import { checkName } from '../../domain/text.js';
import { AppError } from '../../errors.js';
import { recordChange } from '../audit/record.js';

export interface PlanInput {
  name: string;
  defaultQuotaBytes: number;
  maxQuotaBytes: number | null;
  maxMailboxes: number | null;
  maxStorageBytes: number | null;
}

function checkPlan(input: PlanInput) {
  const name = checkName(input.name, 'The plan name', 100);
  if (!name.ok) throw new AppError('validation', name.message, 'name');
  const sizes: [keyof PlanInput, number | null][] = [['defaultQuotaBytes', input.defaultQuotaBytes], ['maxQuotaBytes', input.maxQuotaBytes], ['maxStorageBytes', input.maxStorageBytes]];
  for (const [field, v] of sizes) {
    if (v !== null && (!Number.isSafeInteger(v) || v < MIN_QUOTA_BYTES || v > MAX_QUOTA_BYTES)) throw new AppError('validation', `Enter a size of at least ${MIN_QUOTA_BYTES} bytes.`, field);
  }
  if (input.maxMailboxes !== null && (!Number.isSafeInteger(input.maxMailboxes) || input.maxMailboxes < 0 || input.maxMailboxes > 1_000_000)) {
    throw new AppError('validation', 'Enter a whole number of mailboxes.', 'maxMailboxes');
  }
  if (input.maxQuotaBytes !== null && input.defaultQuotaBytes > input.maxQuotaBytes) {
    throw new AppError('validation', 'The default quota may not exceed the largest quota per mailbox.', 'defaultQuotaBytes');
  }
  return name.value;
}

export async function createPlan(db: Db, p: Principal, input: PlanInput) {
  assertRole(p, 'reseller');
  assertWritable(p);
  const name = checkPlan(input);
  try {
    return await db.transaction().execute(async (trx) => {
      const plan = await repo.insertPlan(trx, p.resellerId!, {
        name, default_quota_bytes: input.defaultQuotaBytes, max_quota_bytes: input.maxQuotaBytes, max_mailboxes: input.maxMailboxes, max_storage_bytes: input.maxStorageBytes,
      });
      await recordChange(trx, p, { action: 'plan.create', objectType: 'plan', objectId: plan.id, resellerId: p.resellerId, customerId: null, after: { ...input, name } });
      return plan;
    });
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new AppError('conflict', 'A plan with this name already exists.', 'name');
    throw err;
  }
}
