import type { Db } from '../../../db/database.js';
import { customerFootprint } from '../../../db/repositories/customers.js';
import { checkBatch } from '../../core/plan-limits.js';
import { AppError } from '../../platform/errors.js';
import { planLimitsFor } from '../mailboxes/service.js';

/**
 * Refuses a file whose mailboxes the customer's plan cannot take, before anything is stored or
 * hashed: at the upload, and again when its job starts (the plan may have changed meanwhile).
 */
export async function assertFits(db: Db, customerId: number, quotas: (number | null)[]) {
  const [limits, footprint] = await Promise.all([planLimitsFor(db, customerId), customerFootprint(db, customerId)]);
  const bad = checkBatch(
    limits,
    footprint,
    quotas.map((q) => q ?? limits.defaultQuotaBytes),
  );
  if (bad) throw new AppError('limit_exceeded', bad.message, 'file', bad.limit);
}
