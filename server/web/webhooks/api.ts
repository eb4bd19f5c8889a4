import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { listDeliveries, listWebhooks } from '../../../db/repositories/webhooks.js';
import {
  createWebhook,
  deleteWebhook,
  deliveriesOf,
  getWebhookOr404,
  listWebhooks as list,
  redeliver,
  updateWebhook,
} from '../../services/webhooks/service.js';
import { errorResponses } from '../api/schemas.js';
import { Delivery, DeliveryParams, Webhook, WebhookCreate, WebhookCreated, WebhookParams, WebhookPatch } from './schemas.js';

type Row = Awaited<ReturnType<typeof listWebhooks>>[number];
const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const webhookView = (w: Row) => ({
  id: w.id,
  url: w.url,
  events: w.events,
  enabled: w.enabled,
  disabledReason: w.disabled_reason,
  failingSince: iso(w.failing_since as Date | null),
  createdAt: w.created_at.toISOString(),
});

const deliveryView = (d: Awaited<ReturnType<typeof listDeliveries>>[number]) => ({
  id: d.id,
  msgId: d.msg_id,
  type: d.type,
  status: d.status,
  attempts: d.attempts,
  responseCode: d.response_code,
  durationMs: d.duration_ms,
  error: d.last_error,
  createdAt: d.created_at.toISOString(),
  lastAttemptAt: iso(d.last_attempt_at as Date | null),
  deliveredAt: iso(d.delivered_at as Date | null),
});

/** Signed webhooks of a reseller (or the operator); see README's "Webhooks" for payloads and verification. */
export const webhooksApi: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['webhooks'];
  const allow = app.config.webhookAllow;

  app.get('/webhooks', { schema: { tags, response: { 200: Type.Object({ items: Type.Array(Webhook) }), ...errorResponses } } }, async (req) => ({
    items: (await list(app.db, req.principal!)).map(webhookView),
  }));

  app.post('/webhooks', { schema: { tags, body: WebhookCreate, response: { 201: WebhookCreated, ...errorResponses } } }, async (req, reply) => {
    const w = await createWebhook(app.db, req.principal!, req.body, allow);
    return reply.code(201).send({ ...webhookView(w), secret: w.secret });
  });

  app.get('/webhooks/:id', { schema: { tags, params: WebhookParams, response: { 200: Webhook, ...errorResponses } } }, async (req) =>
    webhookView(await getWebhookOr404(app.db, req.principal!, req.params.id)),
  );

  app.patch('/webhooks/:id', { schema: { tags, params: WebhookParams, body: WebhookPatch, response: { 200: Webhook, ...errorResponses } } }, async (req) =>
    webhookView(await updateWebhook(app.db, req.principal!, req.params.id, req.body, allow)),
  );

  app.delete('/webhooks/:id', { schema: { tags, params: WebhookParams, response: { 204: Type.Null(), ...errorResponses } } }, async (req, reply) => {
    await deleteWebhook(app.db, req.principal!, req.params.id);
    return reply.code(204).send(null);
  });

  app.get(
    '/webhooks/:id/deliveries',
    { schema: { tags, params: WebhookParams, response: { 200: Type.Object({ items: Type.Array(Delivery) }), ...errorResponses } } },
    async (req) => ({ items: (await deliveriesOf(app.db, req.principal!, req.params.id)).map(deliveryView) }),
  );

  app.post(
    '/webhooks/:id/deliveries/:deliveryId/redeliver',
    { schema: { tags, params: DeliveryParams, response: { 202: Type.Object({ queued: Type.Boolean() }), ...errorResponses } } },
    async (req, reply) => {
      await redeliver(app.db, app.queues, req.principal!, req.params.id, req.params.deliveryId);
      return reply.code(202).send({ queued: true });
    },
  );
};
