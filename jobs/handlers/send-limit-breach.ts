import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import { breachFacts, markBreachNotified } from '../../db/repositories/send-limits.js';
import type { Mailer } from '../../server/platform/mailer.js';
import { recordBreach } from '../../server/services/send-limits/breaches.js';
import { breachNotices } from '../../server/services/send-limits/notice.js';
import type { JobData } from '../queue/registry.js';

export interface BreachDeps {
  db: Db;
  mailer: Mailer;
  panelUrl: string;
  /** SEND_LIMIT_SUSPEND_AFTER: breaches within a day that suspend sending; 0 = never. */
  suspendAfter: number;
  logger: Logger;
}

/** A send-limit breach from the policy service: kept, counted (maybe suspending sending), and told. */
export function sendLimitBreachHandler(deps: BreachDeps) {
  return async (job: Job<JobData['send-limit-breach']>) => {
    const { mailboxId, kind, limit, at } = job.data;
    const outcome = await recordBreach(deps.db, { mailboxId, kind, limit, at: new Date(at) }, deps.suspendAfter);
    if (outcome.suspended) deps.logger.warn({ mailboxId, breaches: outcome.count }, 'outgoing mail suspended after repeated send-limit breaches');
    if (outcome.notified) return { ...outcome, told: false };
    const facts = await breachFacts(deps.db, mailboxId);
    if (!facts) return { ...outcome, skipped: 'gone' };
    for (const n of breachNotices(facts, { kind, limit }, outcome, deps.panelUrl))
      await deps.mailer.send({ to: n.to, subject: n.subject, text: n.text, messageId: `<send-breach-${outcome.breachId}-${n.recipient}@mailpanel.invalid>` });
    await markBreachNotified(deps.db, outcome.breachId);
    return { ...outcome, told: true };
  };
}
