import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { getKey, listKeys } from '../../../db/repositories/api-keys.js';
import { listCustomers } from '../../../db/repositories/customers.js';
import { assertRole } from '../../services/auth/principal.js';
import { AppError, notFound } from '../../platform/errors.js';
import { attempt, checkbox, field, formSchema, text } from '../panel/forms.js';
import { redirectAfterPost, render } from '../panel/render.js';
import { createApiKey, revokeApiKey } from '../../services/api-keys/service.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

function expiry(days: string | undefined): Date | null {
  if (!days?.trim()) return null;
  const n = Number(days);
  if (!Number.isInteger(n) || n < 1 || n > 3650)
    throw new AppError('validation', 'Enter the number of days the key stays valid (1-3650), or leave it empty.', 'expiresDays');
  return new Date(Date.now() + n * 86400_000);
}

export const apiKeysPanel: FastifyPluginAsyncTypebox = async (app) => {
  async function show(req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    const p = req.principal!;
    assertRole(p, 'operator', 'reseller');
    const [keys, customers] = await Promise.all([listKeys(app.db, p.resellerId), listCustomers(app.db, p, { limit: 500, offset: 0 })]);
    return render(req, reply, 'api-keys', { title: 'API keys', keys, customers: customers.items, newKey: null, ...extra }, status);
  }

  app.get('/api-keys', async (req, reply) => show(req, reply));

  app.post(
    '/api-keys',
    {
      schema: {
        body: formSchema({
          name: field(),
          customerId: text(20),
          domain: text(300),
          readOnly: checkbox,
          allowedCidrs: text(2000),
          expiresDays: text(5),
        }),
      },
    },
    async (req, reply) => {
      const b = req.body;
      const result = await attempt(async () =>
        createApiKey(app.db, req.principal!, {
          name: b.name ?? '',
          readOnly: b.readOnly === 'on',
          ...(b.customerId && { customerId: Number(b.customerId) }),
          ...(b.domain?.trim() && { domain: b.domain.trim() }),
          allowedCidrs: (b.allowedCidrs ?? '').split(/[\s,]+/).filter(Boolean),
          expiresAt: expiry(b.expiresDays),
        }),
      );
      if (!result.ok) return show(req, reply, { errors: result.errors, values: b }, result.status);
      // The key is shown exactly once, on this response; only its hash is stored.
      return show(req, reply, { newKey: result.value.key }, 201);
    },
  );

  // Revoking cannot be undone and stops every program using the key: asked first, with the key named.
  async function confirmRevoke(req: FastifyRequest, reply: FastifyReply) {
    const p = req.principal!;
    assertRole(p, 'operator', 'reseller');
    // Shared by the GET and the unconfirmed POST: both routes' params are IdParams.
    const key = await getKey(app.db, (req.params as { id: number }).id, p.resellerId);
    if (!key || key.revoked_at) throw notFound('API key');
    return render(req, reply, 'confirm-delete', {
      title: 'Revoke',
      what: `${key.name} (${key.prefix}…)`,
      action: `/api-keys/${key.id}/revoke`,
      back: '/api-keys',
      warning: 'Every program using this key is refused from the next request on. A revoked key cannot be used again: create a new one for them instead.',
      confirmField: 'confirm',
      button: 'Revoke',
    });
  }

  app.get('/api-keys/:id/revoke', { schema: { params: IdParams } }, confirmRevoke);

  app.post('/api-keys/:id/revoke', { schema: { params: IdParams, body: formSchema({ confirm: text(5) }) } }, async (req, reply) => {
    if (req.body.confirm !== 'true') return confirmRevoke(req, reply);
    await revokeApiKey(app.db, req.principal!, req.params.id);
    return redirectAfterPost(req, reply, '/api-keys');
  });
};
