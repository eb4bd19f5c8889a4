import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { WEBHOOK_EVENTS } from '../../core/webhooks/events.js';
import { createWebhook, deleteWebhook, deliveriesOf, getWebhookOr404, listWebhooks, redeliver, updateWebhook } from '../../services/webhooks/service.js';
import { attempt, formSchema, text } from '../panel/forms.js';
import { noticeFor, redirectAfterPost, render } from '../panel/render.js';
import { DeliveryParams, WebhookParams } from './schemas.js';

const NOTICES: Record<string, string> = {
  enabled: 'The webhook is on again.',
  disabled: 'The webhook is off: no deliveries until it is switched on.',
  redeliver: 'The delivery is being sent again.',
};

const EventsField = Type.Optional(
  Type.Union([Type.String({ maxLength: 40 }), Type.Array(Type.String({ maxLength: 40 }), { maxItems: WEBHOOK_EVENTS.length })]),
);

/** Webhooks in the panel: the same as /api/v1/webhooks, for resellers and the operator. */
export const webhooksPanel: FastifyPluginAsyncTypebox = async (app) => {
  const allow = app.config.webhookAllow;

  async function showList(req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    const hooks = await listWebhooks(app.db, req.principal!);
    return render(req, reply, 'webhooks', { title: 'Webhooks', hooks, events: WEBHOOK_EVENTS, created: null, values: { events: [] }, ...extra }, status);
  }

  app.get('/webhooks', async (req, reply) => showList(req, reply));

  app.post('/webhooks', { schema: { body: formSchema({ url: Type.String({ maxLength: 2000 }), events: EventsField }) } }, async (req, reply) => {
    const events = ([] as string[]).concat(req.body.events ?? []);
    const result = await attempt(() => createWebhook(app.db, req.principal!, { url: req.body.url.trim(), events }, allow));
    if (!result.ok) return showList(req, reply, { errors: result.errors, values: { url: req.body.url, events } }, result.status);
    // The secret is shown exactly once, on this response.
    return showList(req, reply, { created: result.value }, 201);
  });

  app.get(
    '/webhooks/:id',
    { schema: { params: WebhookParams, querystring: Type.Object({ notice: Type.Optional(Type.String({ maxLength: 20 })) }) } },
    async (req, reply) => {
      const hook = await getWebhookOr404(app.db, req.principal!, req.params.id);
      const deliveries = await deliveriesOf(app.db, req.principal!, hook.id);
      return render(req, reply, 'webhook', { title: 'Webhook', hook, deliveries, notice: noticeFor(NOTICES, req.query.notice) });
    },
  );

  app.post(
    '/webhooks/:id/switch',
    { schema: { params: WebhookParams, body: formSchema({ enabled: Type.Union([Type.Literal('true'), Type.Literal('false')]) }) } },
    async (req, reply) => {
      const on = req.body.enabled === 'true';
      await updateWebhook(app.db, req.principal!, req.params.id, { enabled: on }, allow);
      return redirectAfterPost(req, reply, `/webhooks/${req.params.id}?notice=${on ? 'enabled' : 'disabled'}`);
    },
  );

  app.post('/webhooks/:id/delete', { schema: { params: WebhookParams, body: formSchema({ confirm: text(5) }) } }, async (req, reply) => {
    const hook = await getWebhookOr404(app.db, req.principal!, req.params.id);
    if (req.body.confirm !== 'true')
      return render(req, reply, 'confirm-delete', {
        title: 'Delete',
        what: hook.url,
        action: `/webhooks/${hook.id}/delete`,
        back: `/webhooks/${hook.id}`,
        warning: 'No more events are sent to this address, and its delivery log is deleted with it.',
        confirmField: 'confirm',
      });
    await deleteWebhook(app.db, req.principal!, hook.id);
    return redirectAfterPost(req, reply, '/webhooks');
  });

  app.post('/webhooks/:id/deliveries/:deliveryId/redeliver', { schema: { params: DeliveryParams, body: formSchema({}) } }, async (req, reply) => {
    await redeliver(app.db, app.queues, req.principal!, req.params.id, req.params.deliveryId);
    return redirectAfterPost(req, reply, `/webhooks/${req.params.id}?notice=redeliver`);
  });
};
