import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { listCustomers } from '../../../db/repositories/customers.js';
import { listDomains } from '../../../db/repositories/domains.js';
import { listMailboxes } from '../../../db/repositories/mailboxes.js';
import { asciiSearch, displayDomain } from '../../core/address.js';
import { AppError } from '../../platform/errors.js';
import { oneOf } from '../api/schemas.js';
import { attempt, formSchema, text } from '../panel/forms.js';
import { noticeFor, redirectAfterPost, render, renderPageOrFragment } from '../panel/render.js';
import { planLimitsFor } from '../../services/mailboxes/service.js';
import { getCustomerOr404 } from '../../services/customers/service.js';
import { createDomain, deleteDomain, getDomainOr404 } from '../../services/domains/service.js';
import { listDeleted } from '../../../db/repositories/deleted-mailboxes.js';
import { deleteDomainWithMailboxes, restoreDeletedMailbox, retentionDaysOf } from '../../services/deleted-mailboxes/service.js';

const PAGE_SIZE = 50;
const DomainParams = Type.Object({ domain: Type.String({ minLength: 1, maxLength: 300 }) });
export const MailboxPageQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 64 })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000, default: 1 })),
  sort: Type.Optional(oneOf(['address', 'fullness', 'quota', 'created'])),
  order: Type.Optional(oneOf(['asc', 'desc'])),
  notice: Type.Optional(Type.String({ maxLength: 40 })),
});

const NOTICES: Record<string, string> = {
  created: 'The mailbox was created.',
  deleted: 'The mailbox was deleted. It can be restored below until the date shown.',
  domain: 'The domain was added.',
  restoring: 'The mailbox is being restored with its mail; it is back in a moment.',
  'bulk-none': 'Select the mailboxes first: tick the box before each address.',
  'bulk-suspend': 'The selected mailboxes were suspended.',
  'bulk-resume': 'The selected mailboxes were resumed.',
  'bulk-quota': 'The quota of the selected mailboxes was changed.',
  'bulk-delete': 'The selected mailboxes were deleted. Each can be restored below until the date shown.',
};

const DomainListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 64 })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
  customer: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
});
/** Up to this many customers are offered in a list when staff add a domain; beyond it they start from the customer. */
const CUSTOMER_CHOICES = 200;

export const domainsPanel: FastifyPluginAsyncTypebox = async (app) => {
  async function showDomains(
    req: FastifyRequest,
    reply: FastifyReply,
    query: Static<typeof DomainListQuery>,
    extra: Record<string, unknown> = {},
    status = 200,
  ) {
    const p = req.principal!;
    const page = query.page ?? 1;
    const search = query.q?.trim().toLowerCase() || undefined;
    const staff = p.role !== 'customer';
    const forCustomer = staff && query.customer !== undefined ? await getCustomerOr404(app.db, p, query.customer) : null;
    const [domains, customers] = await Promise.all([
      listDomains(app.db, p, {
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
        customerId: forCustomer?.id,
        search,
        searchAscii: search && asciiSearch(search),
      }),
      staff && !forCustomer ? listCustomers(app.db, p, { limit: CUSTOMER_CHOICES, offset: 0 }) : null,
    ]);
    return render(
      req,
      reply,
      'domains',
      {
        title: 'Domains',
        domains: domains.items,
        total: domains.total,
        page,
        pages: Math.max(1, Math.ceil(domains.total / PAGE_SIZE)),
        query: { q: search, customer: forCustomer?.id },
        forCustomer,
        customers: customers && customers.total <= CUSTOMER_CHOICES ? customers.items : null,
        ...extra,
      },
      status,
    );
  }

  app.get('/domains', { schema: { querystring: DomainListQuery } }, async (req, reply) => showDomains(req, reply, req.query));

  app.post('/domains', { schema: { body: formSchema({ name: Type.String({ maxLength: 300 }), customerId: text(20) }) } }, async (req, reply) => {
    const p = req.principal!;
    const body = req.body;
    const customerId = p.role === 'customer' ? p.customerId! : Number(body.customerId);
    const result = await attempt(() => createDomain(app.db, p, customerId, body.name));
    if (!result.ok) {
      // Shown again for the customer it was meant for (that customer's form), unless that customer is not in reach.
      const customer = p.role !== 'customer' && result.status !== 404 && Number.isSafeInteger(customerId) && customerId > 0 ? customerId : undefined;
      return showDomains(req, reply, { customer }, { errors: result.errors, values: body }, result.status);
    }
    return redirectAfterPost(req, reply, `/domains/${result.value.name}?notice=domain`);
  });

  app.get('/domains/:domain', { schema: { params: DomainParams, querystring: MailboxPageQuery } }, async (req, reply) => {
    const { domain: name } = req.params;
    const query = req.query;
    const domain = await getDomainOr404(app.db, req.principal!, name);
    const page = query.page ?? 1;
    const [mailboxes, limits, deleted] = await Promise.all([
      listMailboxes(app.db, req.principal!, {
        domainId: domain.id,
        search: query.q?.trim().toLowerCase(),
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
        sort: query.sort,
        desc: (query.order ?? (query.sort === 'fullness' ? 'desc' : 'asc')) === 'desc',
      }),
      planLimitsFor(app.db, domain.customer_id),
      listDeleted(app.db, domain.customer_id, domain.name),
    ]);
    const data = {
      title: domain.name,
      domain,
      deleted,
      mailboxes: mailboxes.items,
      total: mailboxes.total,
      page,
      pages: Math.max(1, Math.ceil(mailboxes.total / PAGE_SIZE)),
      query,
      limits,
      notice: noticeFor(NOTICES, query.notice),
    };
    // htmx search-as-you-type swaps only the table.
    return renderPageOrFragment(req, reply, 'domain', { 'mailbox-table': 'partials/mailbox-table' }, data);
  });

  // Said up front: a domain with mailboxes is deleted with them (restorable), or not at all.
  app.get('/domains/:domain/delete', { schema: { params: DomainParams } }, async (req, reply) => {
    const domain = await getDomainOr404(app.db, req.principal!, req.params.domain);
    const days = await retentionDaysOf(app.db, domain.customer_id);
    const withBoxes = domain.mailboxes > 0;
    const customerBlocked = withBoxes && req.principal!.role === 'customer';
    return render(req, reply, 'confirm-delete', {
      title: domain.name,
      what: displayDomain(domain.name),
      action: `/domains/${domain.name}/delete`,
      back: `/domains/${domain.name}`,
      warning: withBoxes
        ? 'This domain has {n} mailboxes. Deleting it deletes them too: they stop receiving mail and signing in at once. Their mail is kept for {days} days; add the domain again within that time to restore them.'
        : 'The domain will no longer receive mail.',
      warningArgs: { n: domain.mailboxes, days },
      ...(withBoxes && { confirmField: 'withMailboxes', button: 'Delete the domain and its mailboxes' }),
      ...(customerBlocked && { blocked: 'Delete its mailboxes first, or ask your provider.' }),
    });
  });

  app.post('/domains/:domain/delete', { schema: { params: DomainParams, body: formSchema({ withMailboxes: text(5) }) } }, async (req, reply) => {
    const name = req.params.domain;
    if (req.body.withMailboxes === 'true') {
      if (req.principal!.role === 'customer') throw new AppError('forbidden', 'Delete its mailboxes first, or ask your provider.');
      await deleteDomainWithMailboxes(app.db, app.queues, req.principal!, name);
    } else await deleteDomain(app.db, req.principal!, name);
    return redirectAfterPost(req, reply, '/domains');
  });

  app.post(
    '/domains/:domain/deleted-mailboxes/:id/restore',
    {
      schema: {
        params: Type.Object({ domain: DomainParams.properties.domain, id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }),
        body: formSchema({}),
      },
    },
    async (req, reply) => {
      const { domain, id } = req.params;
      await restoreDeletedMailbox(app.db, app.queues, req.principal!, domain, id);
      return redirectAfterPost(req, reply, `/domains/${domain}?notice=restoring`);
    },
  );
};
