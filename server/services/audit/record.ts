import type { Db } from '../../../db/database.js';
import { insertAudit } from '../../../db/repositories/audit.js';
import type { Principal } from '../auth/principal.js';

export interface Change {
  action: string;
  objectType: string;
  objectId: string | number;
  resellerId: number | null;
  customerId: number | null;
  /** Snapshots built by the caller from public fields only: never a password or hash. */
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

export function recordChange(db: Db, p: Principal, change: Change) {
  return insertAudit(db, {
    actor: p.actor.label,
    actor_user_id: p.actor.userId,
    actor_key_id: p.actor.keyId,
    ip: p.actor.ip,
    reseller_id: change.resellerId,
    customer_id: change.customerId,
    action: change.action,
    object_type: change.objectType,
    object_id: String(change.objectId),
    before: change.before ?? null,
    after: change.after ?? null,
  });
}
