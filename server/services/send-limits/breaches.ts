// A mailbox went over a send limit (the policy service reported it, once per kind and hour): the
// breach is kept, and at SEND_LIMIT_SUSPEND_AFTER breaches within a day the mailbox's outgoing mail is
// suspended (incoming keeps flowing), audited as the system's change and announced to webhooks.
import { type Db, inTransaction } from '../../../db/database.js';
import * as repo from '../../../db/repositories/send-limits.js';
import { DAY_MS, type SendLimitKind } from '../../core/send-limits.js';
import { OPERATOR_SYSTEM } from '../auth/principal.js';
import { recordChange } from '../audit/record.js';
import { emitMailboxEvent } from '../webhooks/emit.js';

export interface BreachOutcome {
  breachId: number;
  /** Breaches within the day before it, this one included. */
  count: number;
  /** Whether this breach suspended the mailbox's outgoing mail. */
  suspended: boolean;
  /** Whether those concerned were told already (a retried job skips them). */
  notified: boolean;
}

/** Keeps the breach (once: a retried job finds it kept) and suspends sending at the threshold. */
export async function recordBreach(
  db: Db,
  b: { mailboxId: number; kind: SendLimitKind; limit: number; at: Date },
  suspendAfter: number,
): Promise<BreachOutcome> {
  return inTransaction(db, async (trx) => {
    const kept = await repo.keepBreach(trx, b);
    const count = await repo.breachesSince(trx, b.mailboxId, new Date(b.at.getTime() - DAY_MS));
    const outcome = { breachId: kept.id, count, suspended: kept.suspended, notified: kept.notified };
    if (!kept.fresh || suspendAfter === 0 || count < suspendAfter) return outcome;
    const facts = await repo.breachFacts(trx, b.mailboxId);
    if (!facts || !(await repo.suspendOutgoing(trx, b.mailboxId, kept.id))) return outcome;
    await recordChange(trx, OPERATOR_SYSTEM, {
      action: 'mailbox.update',
      objectType: 'mailbox',
      objectId: facts.address,
      resellerId: facts.reseller_id,
      customerId: facts.customer_id,
      before: { suspendedOutgoing: false },
      after: { suspendedOutgoing: true, reason: `${count} send-limit breaches within a day` },
    });
    await emitMailboxEvent(trx, 'mailbox.updated', b.mailboxId, { changed: ['suspended.outgoing'], reason: 'send_limits' });
    return { ...outcome, suspended: true };
  });
}
