import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { inTransaction } from '../../../db/database.js';
import { customerFootprint, listCustomers } from '../../../db/repositories/customers.js';
import { listDomains } from '../../../db/repositories/domains.js';
import { listPlans } from '../../../db/repositories/plans.js';
import { listResellers } from '../../../db/repositories/resellers.js';
import { listUsersOf } from '../../../db/repositories/users.js';
import { assertRole } from '../../services/auth/principal.js';
import { attempt, field, formSchema, text } from '../panel/forms.js';
import { noticeFor, redirectAfterPost, render } from '../panel/render.js';
import { planLimitsFor } from '../../services/mailboxes/service.js';
import { checkLogin, createLogin } from '../../services/resellers/service.js';
import { createCustomer, getCustomerOr404, STALE_CUSTOMER, updateCustomer } from '../../services/customers/service.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
const PAGE_SIZE = 50;
const CustomerListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 64 })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
  notice: Type.Optional(Type.String({ maxLength: 40 })),
});
const NOTICES: Record<string, string> = { created: 'The customer was created.', updated: 'The customer was updated.', login: 'The login was created.' };

export const customersPanel: FastifyPluginAsyncTypebox = async (app) => {
  const min = app.config.minPasswordLength;

  async function showList(req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    const p = req.principal!;
    assertRole(p, 'operator', 'reseller');
    // Shared by GET /customers and the POSTs that show the list again: all declare CustomerListQuery.
    const query = req.query as Static<typeof CustomerListQuery>;
    const page = query.page ?? 1;
    const search = query.q?.trim() || undefined;
    const [customers, plans, resellers] = await Promise.all([
      listCustomers(app.db, p, { limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE, search }),
      p.resellerId ? listPlans(app.db, p.resellerId) : [],
      p.role === 'operator' ? listResellers(app.db, { limit: 500, offset: 0 }).then((r) => r.items) : null,
    ]);
    return render(
      req,
      reply,
      'customers',
      {
        title: 'Customers',
        customers: customers.items,
        total: customers.total,
        page,
        pages: Math.max(1, Math.ceil(customers.total / PAGE_SIZE)),
        query: { q: search },
        plans,
        resellers,
        values: { language: 'en' },
        ...extra,
      },
      status,
    );
  }

  async function showCustomer(req: FastifyRequest, reply: FastifyReply, id: number, extra: Record<string, unknown> = {}, status = 200) {
    const p = req.principal!;
    assertRole(p, 'operator', 'reseller');
    const c = await getCustomerOr404(app.db, p, id);
    const [domains, plans, logins, footprint, limits] = await Promise.all([
      listDomains(app.db, p, { limit: 500, offset: 0, customerId: c.id }),
      listPlans(app.db, c.reseller_id),
      listUsersOf(app.db, { customerId: c.id }),
      customerFootprint(app.db, c.id),
      planLimitsFor(app.db, c.id),
    ]);
    return render(
      req,
      reply,
      'customer',
      { title: c.name, c, domains: domains.items, plans, logins, footprint, limits, values: {}, minPasswordLength: min, ...extra },
      status,
    );
  }

  app.get('/customers', { schema: { querystring: CustomerListQuery } }, async (req, reply) =>
    showList(req, reply, { notice: noticeFor(NOTICES, req.query.notice) }),
  );

  app.post(
    '/customers',
    {
      schema: {
        body: formSchema({
          name: field(),
          contactEmail: field(),
          planId: text(20),
          resellerId: text(20),
          language: Type.Optional(Type.Union([Type.Literal('en'), Type.Literal('de')])),
          loginEmail: text(254),
          loginPassword: text(1024),
        }),
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      const b = req.body;
      // The customer and its login are created together or not at all.
      const result = await attempt(() =>
        inTransaction(app.db, async (trx) => {
          if (b.loginEmail) await checkLogin(trx, { email: b.loginEmail, password: b.loginPassword ?? '' }, min);
          const c = await createCustomer(trx, p, {
            name: b.name ?? '',
            contactEmail: b.contactEmail ?? '',
            planId: b.planId ? Number(b.planId) : null,
            language: (b.language as 'en' | 'de') ?? 'en',
            ...(p.role === 'operator' && { resellerId: Number(b.resellerId) }),
          });
          if (b.loginEmail)
            await createLogin(
              trx,
              p,
              { email: b.loginEmail, password: b.loginPassword ?? '', role: 'customer', resellerId: c.reseller_id, customerId: c.id },
              min,
            );
          return c;
        }),
      );
      if (!result.ok) return showList(req, reply, { errors: result.errors, values: b }, result.status);
      return redirectAfterPost(req, reply, `/customers/${result.value.id}?notice=created`);
    },
  );

  app.get(
    '/customers/:id',
    { schema: { params: IdParams, querystring: Type.Object({ notice: Type.Optional(Type.String({ maxLength: 40 })) }) } },
    async (req, reply) => showCustomer(req, reply, req.params.id, { notice: noticeFor(NOTICES, req.query.notice) }),
  );

  app.post(
    '/customers/:id/update',
    {
      schema: {
        params: IdParams,
        body: formSchema({
          name: Type.Optional(field()),
          contactEmail: Type.Optional(field()),
          planId: text(20),
          version: text(40),
          language: Type.Optional(Type.Union([Type.Literal('en'), Type.Literal('de')])),
          active: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
        }),
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const b = req.body;
      const result = await attempt(() =>
        updateCustomer(app.db, req.principal!, id, {
          ...(b.name !== undefined && { name: b.name }),
          ...(b.contactEmail !== undefined && { contactEmail: b.contactEmail }),
          ...(b.planId !== undefined && { planId: b.planId ? Number(b.planId) : null }),
          ...(b.language !== undefined && { language: b.language as 'en' | 'de' }),
          ...(b.active !== undefined && { active: b.active === 'true' }),
          ...(b.version && { ifUnchangedSince: b.version }),
        }),
      );
      // A stale page is shown again as the customer is now, not with what it sent.
      if (!result.ok) return showCustomer(req, reply, id, { errors: result.errors, values: result.errors._form === STALE_CUSTOMER ? {} : b }, result.status);
      return redirectAfterPost(req, reply, `/customers/${id}?notice=updated`);
    },
  );

  app.post(
    '/customers/:id/logins',
    { schema: { params: IdParams, body: formSchema({ loginEmail: Type.String({ maxLength: 254 }), loginPassword: Type.String({ maxLength: 1024 }) }) } },
    async (req, reply) => {
      const { id } = req.params;
      const b = req.body;
      const c = await getCustomerOr404(app.db, req.principal!, id);
      const result = await attempt(() =>
        createLogin(
          app.db,
          req.principal!,
          { email: b.loginEmail, password: b.loginPassword, role: 'customer', resellerId: c.reseller_id, customerId: c.id },
          min,
        ),
      );
      if (!result.ok) return showCustomer(req, reply, id, { errors: result.errors, values: b }, result.status);
      return redirectAfterPost(req, reply, `/customers/${id}?notice=login`);
    },
  );
};
