import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { inTransaction } from '../../../db/database.js';
import { listCustomers } from '../../../db/repositories/customers.js';
import { getReseller, listResellers } from '../../../db/repositories/resellers.js';
import { listUsersOf } from '../../../db/repositories/users.js';
import { assertRole } from '../../services/auth/principal.js';
import { notFound } from '../../platform/errors.js';
import { attempt, field, formSchema, text } from '../panel/forms.js';
import { redirectAfterPost, render } from '../panel/render.js';
import { checkLogin, createLogin, createReseller, setResellerActive } from '../../services/resellers/service.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

export const resellersPanel: FastifyPluginAsyncTypebox = async (app) => {
  const min = app.config.minPasswordLength;

  async function showList(req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    assertRole(req.principal!, 'operator');
    const resellers = await listResellers(app.db, { limit: 500, offset: 0 });
    return render(req, reply, 'resellers', { title: 'Resellers', resellers: resellers.items, ...extra }, status);
  }

  app.get('/resellers', async (req, reply) => showList(req, reply));

  app.post(
    '/resellers',
    { schema: { body: formSchema({ name: field(), contactEmail: Type.Optional(field()), loginEmail: text(254), loginPassword: text(1024) }) } },
    async (req, reply) => {
      const p = req.principal!;
      assertRole(p, 'operator');
      const b = req.body;
      // The reseller and its login are created together or not at all.
      const result = await attempt(() =>
        inTransaction(app.db, async (trx) => {
          if (b.loginEmail) await checkLogin(trx, { email: b.loginEmail, password: b.loginPassword ?? '' }, min);
          const r = await createReseller(trx, p, { name: b.name ?? '', contactEmail: b.contactEmail || undefined });
          if (b.loginEmail)
            await createLogin(trx, p, { email: b.loginEmail, password: b.loginPassword ?? '', role: 'reseller', resellerId: r.id, customerId: null }, min);
          return r;
        }),
      );
      if (!result.ok) return showList(req, reply, { errors: result.errors, values: b }, result.status);
      return redirectAfterPost(req, reply, `/resellers/${result.value.id}`);
    },
  );

  async function showReseller(req: FastifyRequest, reply: FastifyReply, id: number, extra: Record<string, unknown> = {}, status = 200) {
    const p = req.principal!;
    assertRole(p, 'operator');
    const r = await getReseller(app.db, p, id);
    if (!r) throw notFound('Reseller');
    const [customers, logins] = await Promise.all([
      listCustomers(app.db, p, { limit: 500, offset: 0, resellerId: r.id }),
      listUsersOf(app.db, { resellerId: r.id }),
    ]);
    return render(req, reply, 'reseller', { title: r.name, r, customers: customers.items, logins, ...extra }, status);
  }

  app.get('/resellers/:id', { schema: { params: IdParams } }, async (req, reply) => showReseller(req, reply, req.params.id));

  // The operator adds a login to a reseller (one whose first login left, or a second person).
  app.post(
    '/resellers/:id/logins',
    { schema: { params: IdParams, body: formSchema({ loginEmail: Type.String({ maxLength: 254 }), loginPassword: Type.String({ maxLength: 1024 }) }) } },
    async (req, reply) => {
      const { id } = req.params;
      const r = await getReseller(app.db, req.principal!, id);
      if (!r) throw notFound('Reseller');
      const b = req.body;
      const result = await attempt(() =>
        createLogin(app.db, req.principal!, { email: b.loginEmail, password: b.loginPassword, role: 'reseller', resellerId: r.id, customerId: null }, min),
      );
      if (!result.ok) return showReseller(req, reply, id, { errors: result.errors, values: { loginEmail: b.loginEmail } }, result.status);
      return redirectAfterPost(req, reply, `/resellers/${id}`);
    },
  );

  app.post(
    '/resellers/:id/status',
    { schema: { params: IdParams, body: formSchema({ active: Type.Union([Type.Literal('true'), Type.Literal('false')]) }) } },
    async (req, reply) => {
      const { id } = req.params;
      await setResellerActive(app.db, req.principal!, id, req.body.active === 'true');
      return redirectAfterPost(req, reply, `/resellers/${id}`);
    },
  );
};
