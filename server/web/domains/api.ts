import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { listDomains } from '../../../db/repositories/domains.js';
import { listMailboxes } from '../../../db/repositories/mailboxes.js';
import { PageQuery, Strict, errorResponses, paged } from '../api/schemas.js';
import { Mailbox, MailboxCreate, MailboxListQuery } from '../mailboxes/schemas.js';
import { createMailbox, mailboxView } from '../../services/mailboxes/service.js';
import { DeletedMailbox, Domain, DomainParams } from './schemas.js';
import { deleteDomainWithMailboxes, deletedView, listDeletedMailboxes, restoreDeletedMailbox } from '../../services/deleted-mailboxes/service.js';
import { deleteDomain, domainView, getDomainOr404 } from '../../services/domains/service.js';

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

  app.delete(
    '/domains/:domain',
    {
      schema: {
        tags,
        description:
          "Deletes the domain. One with mailboxes is refused (409) unless `withMailboxes=true`: then its mailboxes are deleted too, each restorable for its plan's retention once the domain is added again.",
        params: DomainParams,
        querystring: Type.Object({ withMailboxes: Type.Optional(Type.Boolean()) }, Strict),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (req, reply) => {
      if (req.query.withMailboxes) await deleteDomainWithMailboxes(app.db, app.queues, req.principal!, req.params.domain);
      else await deleteDomain(app.db, req.principal!, req.params.domain);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/domains/:domain/deleted-mailboxes',
    {
      schema: {
        tags: ['mailboxes'],
        description: 'Deleted mailboxes of the domain, restorable until purgeAfter.',
        params: DomainParams,
        response: { 200: Type.Object({ items: Type.Array(DeletedMailbox) }), ...errorResponses },
      },
    },
    async (req) => ({ items: (await listDeletedMailboxes(app.db, req.principal!, req.params.domain)).items.map(deletedView) }),
  );

  app.post(
    '/domains/:domain/deleted-mailboxes/:id/restore',
    {
      schema: {
        tags: ['mailboxes'],
        description:
          'Restores a deleted mailbox with its mail, on its node (202; the mailbox exists again once `state` has left `restoring`). 409 while the address is taken.',
        params: Type.Object({ domain: DomainParams.properties.domain, id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }),
        response: { 202: DeletedMailbox, ...errorResponses },
      },
    },
    async (req, reply) => {
      const rec = await restoreDeletedMailbox(app.db, app.queues, req.principal!, req.params.domain, req.params.id);
      return reply.code(202).send(deletedView(rec));
    },
  );

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
