import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { reevaluateAfterQuotaChange } from '../../services/mailboxes/alerts.js';
import {
  type SpaceRequest as Row,
  approveSpaceRequest,
  declineSpaceRequest,
  getSpaceRequestOr404,
  listSpaceRequests,
  requestSpace,
  withdrawSpaceRequest,
} from '../../services/space-requests/service.js';
import { errorResponses } from '../api/schemas.js';
import { MailboxParams } from '../mailboxes/schemas.js';
import { SpaceRequest, SpaceRequestCreate, SpaceRequestDecline, SpaceRequestParams, SpaceRequestQuery } from './schemas.js';

export const spaceRequestView = (r: Row) => ({
  id: r.id,
  mailboxId: r.mailbox_id,
  address: r.address,
  domain: r.domain,
  customerId: r.customer_id,
  fromBytes: r.from_bytes,
  requestedBytes: r.requested_bytes,
  quotaBytes: r.quota_bytes,
  usedBytes: r.used_bytes,
  note: r.note,
  status: r.status,
  requestedBy: r.requested_by,
  decidedBy: r.decided_by,
  reason: r.reason,
  createdAt: r.created_at.toISOString(),
  decidedAt: r.decided_at ? new Date(r.decided_at).toISOString() : null,
});

/** Requests for more space: made for a mailbox, decided by its reseller (or the operator). */
export const spaceRequestsApi: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['space requests'];
  const one = { tags, params: SpaceRequestParams, response: { 200: SpaceRequest, ...errorResponses } };

  app.get(
    '/space-requests',
    { schema: { tags, querystring: SpaceRequestQuery, response: { 200: Type.Object({ items: Type.Array(SpaceRequest) }), ...errorResponses } } },
    async (req) => ({
      items: (await listSpaceRequests(app.db, req.principal!, req.query)).map(spaceRequestView),
    }),
  );

  app.get('/space-requests/:id', { schema: one }, async (req) => spaceRequestView(await getSpaceRequestOr404(app.db, req.principal!, req.params.id)));

  app.post(
    '/mailboxes/:address/space-requests',
    { schema: { tags, params: MailboxParams, body: SpaceRequestCreate, response: { 201: SpaceRequest, ...errorResponses } } },
    async (req, reply) => {
      const r = await requestSpace(app.db, req.principal!, req.params.address, req.body, app.queues);
      if (r.status === 'approved') await reevaluateAfterQuotaChange(app.db, app.queues, req.log, r.mailbox_id);
      return reply.code(201).send(spaceRequestView(r));
    },
  );

  app.post('/space-requests/:id/approve', { schema: one }, async (req) => {
    const r = await approveSpaceRequest(app.db, req.principal!, req.params.id, app.queues);
    await reevaluateAfterQuotaChange(app.db, app.queues, req.log, r.mailbox_id);
    return spaceRequestView(r);
  });

  app.post('/space-requests/:id/decline', { schema: { ...one, body: SpaceRequestDecline } }, async (req) =>
    spaceRequestView(await declineSpaceRequest(app.db, req.principal!, req.params.id, req.body.reason, app.queues)),
  );

  app.post('/space-requests/:id/withdraw', { schema: one }, async (req) => spaceRequestView(await withdrawSpaceRequest(app.db, req.principal!, req.params.id)));
};
