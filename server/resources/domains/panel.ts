import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { listCustomers } from '../../../db/repositories/customers.js';
import { listDomains } from '../../../db/repositories/domains.js';
import { listMailboxes } from '../../../db/repositories/mailboxes.js';
import { oneOf } from '../../api/schemas.js';
import { attempt, formSchema, text } from '../../panel/forms.js';
import { redirectAfterPost, render } from '../../panel/render.js';
import { planLimitsFor } from '../mailboxes/service.js';
import { createDomain, deleteDomain, getDomainOr404 } from './service.js';

const PAGE_SIZE = 50;
const DomainParams = Type.Object({ domain: Type.String({ minLength: 1, maxLength: 300 }) });
export const MailboxPageQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 64 })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000, default: 1 })),
  sort: Type.Optional(oneOf(['address', 'fullness', 'quota', 'created'])),
  order: Type.Optional(oneOf(['asc', 'desc'])),
  notice: Type.Optional(Type.String({ maxLength: 40 })),
});

const NOTICES: Record<string, string> = { created: 'The mailbox was created.', deleted: 'The mailbox was deleted.', domain: 'The domain was added.' };

export async function domainsPanel(app: FastifyInstance) {
  app.get('/domains', async (req, reply) => {
    const p = req.principal!;
    const [domains, customers] = await Promise.all([
      listDomains(app.db, p, { limit: 500, offset: 0 }),
      p.role === 'customer' ? null : listCustomers(app.db, p, { limit: 500, offset: 0 }),
    ]);
    return render(req, reply, 'domains', { title: 'Domains', domains: domains.items, total: domains.total, customers: customers?.items ?? null });
  });

  app.post(
    '/domains',
    { schema: { body: formSchema({ name: Type.String({ maxLength: 300 }), customerId: text(20) }) } },
    async (req, reply) => {
      const p = req.principal!;
      const body = req.body as { name: string; customerId?: string };
      const customerId = p.role === 'customer' ? p.customerId! : Number(body.customerId);
      const result = await attempt(() => createDomain(app.db, p, customerId, body.name));
      if (!result.ok) {
        const domains = await listDomains(app.db, p, { limit: 500, offset: 0 });
        const customers = p.role === 'customer' ? null : await listCustomers(app.db, p, { limit: 500, offset: 0 });
        return render(req, reply, 'domains', { title: 'Domains', domains: domains.items, total: domains.total, customers: customers?.items ?? null, errors: result.errors, values: body }, result.status);
      }
      return redirectAfterPost(req, reply, `/domains/${result.value.name}?notice=domain`);
    },
  );

  app.get('/domains/:domain', { schema: { params: DomainParams, querystring: MailboxPageQuery } }, async (req, reply) => {
    const { domain: name } = req.params as { domain: string };
    const query = req.query as { q?: string; page?: number; sort?: 'address' | 'fullness' | 'quota' | 'created'; order?: 'asc' | 'desc'; notice?: string };
    const domain = await getDomainOr404(app.db, req.principal!, name);
    const page = query.page ?? 1;
    const [mailboxes, limits] = await Promise.all([
      listMailboxes(app.db, req.principal!, { domainId: domain.id, search: query.q?.trim().toLowerCase(), limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE, sort: query.sort, desc: query.order === 'desc' }),
      planLimitsFor(app.db, domain.customer_id),
    ]);
    const data = { title: domain.name, domain, mailboxes: mailboxes.items, total: mailboxes.total, page, pages: Math.max(1, Math.ceil(mailboxes.total / PAGE_SIZE)), query, limits, notice: NOTICES[query.notice ?? ''] ?? null };
    // htmx search-as-you-type swaps only the table.
    if (req.headers['hx-request'] && req.headers['hx-target'] === 'mailbox-table') return render(req, reply, 'partials/mailbox-table', data);
    return render(req, reply, 'domain', data);
  });

  app.get('/domains/:domain/delete', { schema: { params: DomainParams } }, async (req, reply) => {
    const domain = await getDomainOr404(app.db, req.principal!, (req.params as { domain: string }).domain);
    return render(req, reply, 'confirm-delete', { title: domain.name, what: domain.name, action: `/domains/${domain.name}/delete`, back: `/domains/${domain.name}` });
  });

  app.post('/domains/:domain/delete', { schema: { params: DomainParams, body: formSchema({}) } }, async (req, reply) => {
    await deleteDomain(app.db, req.principal!, (req.params as { domain: string }).domain);
    return redirectAfterPost(req, reply, '/domains');
  });
}
