import { Type } from 'typebox';
import { WEBHOOK_EVENTS } from '../../core/webhooks/events.js';
import { oneOf } from '../api/schemas.js';

export const WebhookParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
export const DeliveryParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  deliveryId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
});

const Url = Type.String({ minLength: 1, maxLength: 2000, description: 'Where deliveries are POSTed: a public http(s) address.' });
const Events = Type.Array(oneOf(WEBHOOK_EVENTS), { minItems: 1, maxItems: WEBHOOK_EVENTS.length, uniqueItems: true });

export const WebhookCreate = Type.Object({ url: Url, events: Events }, { additionalProperties: false });
export const WebhookPatch = Type.Object(
  { url: Type.Optional(Url), events: Type.Optional(Events), enabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);

const webhookFields = {
  id: Type.Integer(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  failingSince: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
};
export const Webhook = Type.Object(webhookFields);
export const WebhookCreated = Type.Object({
  ...webhookFields,
  secret: Type.String({ description: 'The signing secret ("whsec_…"), shown only in this answer: keep it to verify the webhook-signature header.' }),
});

export const Delivery = Type.Object({
  id: Type.Integer(),
  msgId: Type.String({ description: 'The webhook-id header: the same on every attempt.' }),
  type: Type.String(),
  status: oneOf(['pending', 'retrying', 'delivered', 'failed'] as const),
  attempts: Type.Integer(),
  responseCode: Type.Union([Type.Integer(), Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  lastAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  deliveredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
