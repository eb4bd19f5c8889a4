// Webhook events out to receivers: fan-out (an event to a delivery per subscribed webhook), one job per
// delivery (signed per Standard Webhooks, at least once, ordered per mailbox, retried for a day), and a
// webhook that failed for a day disabled with a mail to its owner.
import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import type { Db } from '../../db/database.js';
import * as repo from '../../db/repositories/webhooks.js';
import { contactOfReseller } from '../../db/repositories/resellers.js';
import { webhookBody } from '../../server/core/webhooks/events.js';
import type { AllowList } from '../../server/core/webhooks/targets.js';
import type { Mailer } from '../../server/platform/mailer.js';
import { postWebhook } from '../../server/platform/webhook-http.js';
import type { Queues } from '../queue/queues.js';
import { type JobData, WEBHOOKS_QUEUE, deliveryJobId } from '../queue/registry.js';

/** Deliveries are given up, and a webhook failing throughout is disabled, after this long. */
export const GIVE_UP_MS = 24 * 3600_000;
/**
 * Deliveries yield to a verification round on the same node (they would take its CPU and database time
 * from it): the fan-out waits until the round is done, at most this long after it was asked for.
 */
export const MAX_YIELD_MS = 60_000;
const YIELD_STEP_MS = 500;
/**
 * An earlier delivery about the same mailbox is still open: this one waits until that one is done, which
 * promotes it (promoteNext); it looks again after this long in case the promotion came too early.
 */
const ORDER_WAIT_MS = 1000;

export interface WebhookDeps {
  /** Whether this process's node is verifying mailboxes now: a fan-out then waits (see MAX_YIELD_MS). */
  scanning?: () => Promise<boolean>;
  db: Db;
  queues: Queues;
  mailer: Mailer;
  allow: AllowList;
  timeoutMs: number;
  logger: Logger;
  now?: () => Date;
}

/** New events to deliveries, batch by batch, each delivery queued as its own job. */
export async function fanOutAll(db: Db, queues: Queues): Promise<number> {
  let total = 0;
  for (;;) {
    const { events, deliveries } = await repo.fanOut(db);
    if (events === 0) return total;
    total += deliveries.length;
    await queues.enqueueMany(
      'webhook-deliver',
      deliveries.map((deliveryId) => ({ deliveryId })),
      {},
    );
  }
}

export function webhookHandlers(deps: WebhookDeps) {
  const now = deps.now ?? (() => new Date());
  return {
    'webhook-fanout': async (job: Job<JobData['webhook-fanout']>, token?: string) => {
      if (deps.scanning && Date.now() - job.timestamp < MAX_YIELD_MS && (await deps.scanning())) {
        await job.moveToDelayed(Date.now() + YIELD_STEP_MS, token);
        throw new DelayedError();
      }
      return fanOutAll(deps.db, deps.queues);
    },
    'webhooks-sweep': async () => {
      const fanned = await fanOutAll(deps.db, deps.queues);
      // A delivery committed but never queued (a crash in between) is queued again after a minute.
      const lost = await repo.staleDeliveries(deps.db, new Date(now().getTime() - 60_000));
      await deps.queues.enqueueMany(
        'webhook-deliver',
        lost.map((d) => ({ deliveryId: d.id })),
        {},
      );
      return { fanned, requeued: lost.length };
    },
    'webhook-deliver': async (job: Job<JobData['webhook-deliver']>, token?: string) => {
      const d = await repo.deliveryToSend(deps.db, job.data.deliveryId);
      if (!d || d.status === 'delivered' || d.status === 'failed') return 'done';
      if (!d.enabled) {
        await repo.recordAttempt(deps.db, d.id, { status: 'failed', responseCode: null, durationMs: null, error: 'the webhook is disabled' });
        await promoteNext(deps, d);
        return 'disabled';
      }
      // In order per mailbox: a later event waits for the earlier one (without using up an attempt).
      if ((await repo.openNeighbour(deps.db, d, 'earlier')) !== undefined) {
        await job.moveToDelayed(Date.now() + ORDER_WAIT_MS, token);
        throw new DelayedError();
      }
      const body = webhookBody(d.type, d.occurred_at, d.data as Record<string, unknown>);
      const sentAt = now();
      const signature = new Webhook(d.secret).sign(d.msg_id, sentAt, body);
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'mailpanel-webhooks',
        'webhook-id': d.msg_id,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': signature,
      };
      let outcome: { ok: boolean; code: number | null; ms: number | null; error: string | null };
      try {
        const r = await postWebhook(d.url, headers, body, { timeoutMs: deps.timeoutMs, allow: deps.allow });
        const ok = r.status >= 200 && r.status < 300;
        // A redirect is not followed (it could lead anywhere, a private address included).
        outcome = { ok, code: r.status, ms: r.durationMs, error: ok ? null : r.status >= 300 && r.status < 400 ? 'redirect not followed' : `HTTP ${r.status}` };
      } catch (err) {
        outcome = { ok: false, code: null, ms: null, error: (err as Error).message.slice(0, 500) };
      }
      if (outcome.ok) {
        await repo.recordAttempt(deps.db, d.id, { status: 'delivered', responseCode: outcome.code, durationMs: outcome.ms, error: null });
        // Only a webhook that was failing is written: 100,000 successes must not update its row 100,000 times.
        if (d.failing_since) await repo.markFailing(deps.db, d.webhook_id, false);
        await promoteNext(deps, d);
        return 'delivered';
      }
      const expired = now().getTime() - d.created_at.getTime() >= GIVE_UP_MS;
      await repo.recordAttempt(deps.db, d.id, {
        status: expired ? 'failed' : 'retrying',
        responseCode: outcome.code,
        durationMs: outcome.ms,
        error: outcome.error,
      });
      if (!d.failing_since) await repo.markFailing(deps.db, d.webhook_id, true);
      const since = d.failing_since ?? now();
      if (now().getTime() - since.getTime() >= GIVE_UP_MS) await disable(deps, d.webhook_id, d.reseller_id, d.url);
      if (expired) {
        await promoteNext(deps, d);
        return 'given up';
      }
      throw new Error(`webhook delivery failed: ${outcome.error}`);
    },
  };
}

/** The next delivery about the same mailbox waits for this one (see ORDER_WAIT_MS): its turn is now. */
async function promoteNext(deps: WebhookDeps, d: { id: number; webhook_id: number; mailbox_id: number | null }) {
  const next = await repo.openNeighbour(deps.db, d, 'next');
  if (next === undefined) return;
  const job = await deps.queues.get(WEBHOOKS_QUEUE).getJob(deliveryJobId(next));
  // Not delayed (yet): it is running or waiting and will find this one done, or look again soon.
  if (job && (await job.isDelayed())) await job.promote().catch(() => {});
}

/** Disables a webhook that failed for a day and tells its owner (once). */
async function disable(deps: WebhookDeps, webhookId: number, resellerId: number | null, url: string) {
  if (!(await repo.disableFailing(deps.db, webhookId, 'every delivery failed for a day'))) return;
  deps.logger.warn({ webhookId }, 'webhook disabled after a day of failed deliveries');
  const to = resellerId === null ? null : await contactOfReseller(deps.db, resellerId);
  if (!to) return;
  await deps.mailer
    .send({
      to,
      subject: 'A webhook was disabled',
      text: `Every delivery to your webhook ${url} failed for a day, so it was disabled. Check the receiver, then enable the webhook again in the panel (Webhooks) or with PATCH /api/v1/webhooks/${webhookId} {"enabled": true}. Deliveries that failed can be sent again from its delivery log.`,
      messageId: `<webhook-disabled-${webhookId}-${Date.now()}@mailpanel.invalid>`,
    })
    .catch((err: Error) => deps.logger.warn({ err, webhookId }, 'could not tell the owner of a disabled webhook'));
}
