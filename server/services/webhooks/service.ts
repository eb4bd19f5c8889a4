import { randomBytes } from 'node:crypto';
import type { Db } from '../../../db/database.js';
import * as repo from '../../../db/repositories/webhooks.js';
import type { Queues } from '../../../jobs/queue/queues.js';
import { WEBHOOK_EVENTS } from '../../core/webhooks/events.js';
import { type AllowList, urlProblem } from '../../core/webhooks/targets.js';
import { AppError, notFound } from '../../platform/errors.js';
import { TargetRefused, checkTarget } from '../../platform/webhook-http.js';
import { recordChange } from '../audit/record.js';
import { type Principal, assertRole, assertWritable } from '../auth/principal.js';

// A reseller's (or the operator's) webhooks: managed here, fed by emit.ts, sent by jobs/handlers/webhooks.ts.

export interface WebhookInput {
  url: string;
  events: string[];
}

/** Whose webhooks a principal manages: a reseller its own, the operator the operator's. Customers have none. */
function ownerOf(p: Principal): repo.WebhookOwner {
  assertRole(p, 'operator', 'reseller');
  if (p.customerId !== null || p.domainId !== null) throw new AppError('not_found', 'Not found.');
  return { resellerId: p.role === 'operator' ? null : p.resellerId };
}

async function checkInput(input: Partial<WebhookInput>, allow: AllowList) {
  if (input.url !== undefined) {
    const problem = urlProblem(input.url);
    if (problem) throw new AppError('validation', problem, 'url');
    try {
      await checkTarget(input.url, allow);
    } catch (err) {
      if (err instanceof TargetRefused)
        throw new AppError('validation', 'The URL must point to a public address; private, loopback and link-local addresses are refused.', 'url');
      throw err;
    }
  }
  if (input.events !== undefined) {
    const events = [...new Set(input.events)];
    if (events.length === 0) throw new AppError('validation', 'Choose at least one event.', 'events');
    if (events.some((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e))) throw new AppError('validation', 'Choose events from the list.', 'events');
    input.events = events;
  }
}

export async function createWebhook(db: Db, p: Principal, input: WebhookInput, allow: AllowList) {
  const owner = ownerOf(p);
  assertWritable(p);
  await checkInput(input, allow);
  // Standard Webhooks: "whsec_" and a base64 key of 24 random bytes.
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  return db.transaction().execute(async (trx) => {
    const row = await repo.insertWebhook(trx, owner, { url: input.url, events: input.events, secret });
    await recordChange(trx, p, {
      action: 'webhook.create',
      objectType: 'webhook',
      objectId: row.id,
      resellerId: owner.resellerId,
      customerId: null,
      after: { url: row.url, events: row.events },
    });
    return { ...row, secret };
  });
}

export const listWebhooks = (db: Db, p: Principal) => repo.listWebhooks(db, ownerOf(p));

export async function getWebhookOr404(db: Db, p: Principal, id: number) {
  const w = await repo.getWebhook(db, ownerOf(p), id);
  if (!w) throw notFound('Webhook');
  return w;
}

export async function updateWebhook(db: Db, p: Principal, id: number, input: Partial<WebhookInput> & { enabled?: boolean }, allow: AllowList) {
  const before = await getWebhookOr404(db, p, id);
  assertWritable(p);
  await checkInput(input, allow);
  return db.transaction().execute(async (trx) => {
    const after = await repo.updateWebhook(trx, id, { url: input.url, events: input.events, enabled: input.enabled });
    await recordChange(trx, p, {
      action: 'webhook.update',
      objectType: 'webhook',
      objectId: id,
      resellerId: before.reseller_id,
      customerId: null,
      before: { url: before.url, events: before.events, enabled: before.enabled },
      after: { url: after.url, events: after.events, enabled: after.enabled },
    });
    return after;
  });
}

export async function deleteWebhook(db: Db, p: Principal, id: number) {
  const before = await getWebhookOr404(db, p, id);
  assertWritable(p);
  await db.transaction().execute(async (trx) => {
    await repo.deleteWebhook(trx, id);
    await recordChange(trx, p, {
      action: 'webhook.delete',
      objectType: 'webhook',
      objectId: id,
      resellerId: before.reseller_id,
      customerId: null,
      before: { url: before.url, events: before.events },
    });
  });
}

export async function deliveriesOf(db: Db, p: Principal, id: number) {
  await getWebhookOr404(db, p, id);
  return repo.listDeliveries(db, id);
}

/** Sends a delivery again (same message id, so a receiver that has it can drop it). */
export async function redeliver(db: Db, queues: Queues, p: Principal, id: number, deliveryId: number) {
  await getWebhookOr404(db, p, id);
  assertWritable(p);
  if (!(await repo.reopenDelivery(db, id, deliveryId))) throw notFound('Delivery');
  await queues.enqueue('webhook-deliver', { deliveryId, round: Date.now() }, {});
}
