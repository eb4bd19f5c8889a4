import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { listDomains } from '../../../db/repositories/domains.js';
import { listMailboxes } from '../../../db/repositories/mailboxes.js';
import { PageQuery, errorResponses, paged } from '../../api/schemas.js';
import { Mailbox, MailboxCreate, MailboxListQuery } from '../mailboxes/schemas.js';
import { createMailbox, mailboxView } from '../mailboxes/service.js';
import { Domain, DomainParams } from './schemas.js';
import { deleteDomain, domainView, getDomainOr404 } from './service.js';

export const domainsApi: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['domains'];

  app.get('/domains', { schema: { tags, querystring: Type.Object(PageQuery), response: { 200: paged(Domain), ...errorResponses } } }, async (req) => {
    const { limit = 50, offset = 0 } = req.query;
    const page = await listDomains(app.db, req.principal!, { limit, offset });
    return { items: page.items.map(domainView), total: page.total, limit, offset };
  });

  app.get('/domains/:domain', { schema: { tags, params: DomainParams, response: { 200: Domain, ...errorResponses } } }, async (req) =>
    domainView(await getDomainOr404(app.db, req.principal!, req.params.domain)),
  );

  app.delete('/domains/:domain', { schema: { tags, params: DomainParams, response: { 204: Type.Null(), ...errorResponses } } }, async (req, reply) => {
    await deleteDomain(app.db, req.principal!, req.params.domain);
    return reply.code(204).send(null);
  });

  app.get(
    '/domains/:domain/mailboxes',
    { schema: { tags: ['mailboxes'], params: DomainParams, querystring: MailboxListQuery, response: { 200: paged(Mailbox), ...errorResponses } } },
    async (req) => {
      const { limit = 50, offset = 0, q, sort, order } = req.query;
      const domain = await getDomainOr404(app.db, req.principal!, req.params.domain);
      const page = await listMailboxes(app.db, req.principal!, { domainId: domain.id, limit, offset, search: q, sort, desc: order === 'desc' });
      return { items: page.items.map(mailboxView), total: page.total, limit, offset };
    },
  );

  app.post(
    '/domains/:domain/mailboxes',
    { schema: { tags: ['mailboxes'], params: DomainParams, body: MailboxCreate, response: { 201: Mailbox, ...errorResponses } } },
    async (req, reply) => {
      const m = await createMailbox(app.db, req.principal!, req.params.domain, req.body, app.config.minPasswordLength, app.queues);
      return reply.code(201).send(mailboxView(m));
    },
  );
};
