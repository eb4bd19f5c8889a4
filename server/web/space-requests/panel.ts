// Requests for more space in the panel: the mailbox page offers the plan's sizes (staff under
// /mailboxes/<address>, the owner under /my), and resellers and the operator answer the queue at
// /space-requests, as /api/v1/space-requests does.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { reevaluateAfterQuotaChange } from '../../services/mailboxes/alerts.js';
import { assertRole } from '../../services/auth/principal.js';
import {
  approveSpaceRequest,
  declineSpaceRequest,
  getSpaceRequestOr404,
  listSpaceRequests,
  requestSpace,
  withdrawSpaceRequest,
} from '../../services/space-requests/service.js';
import { PLACES, placePage } from '../mailboxes/places.js';
import { attempt, formSchema, text } from '../panel/forms.js';
import { noticeFor, redirectAfterPost, render } from '../panel/render.js';
import { STATUSES, SpaceRequestParams } from './schemas.js';

/** The mailbox page's notices after a request (merged into its own). */
export const NOTICES: Record<string, string> = {
  'space-requested': 'Your request was sent. You get an email when it is answered.',
  'space-approved': 'Approved: the mailbox has more space now.',
  'space-withdrawn': 'The request was withdrawn.',
};

const QUEUE_NOTICES: Record<string, string> = {
  approved: 'The request was approved and the quota changed. The customer is told by email.',
  declined: 'The request was declined. The customer is told by email, with your reason.',
};

const RequestForm = formSchema({ bytes: Type.String({ maxLength: 20 }), note: text(500) });
const IdForm = formSchema({ id: Type.String({ maxLength: 20, pattern: '^[0-9]+$' }) });

export const spaceRequestsPanel: FastifyPluginAsyncTypebox = async (app) => {
  for (const place of PLACES) {
    const params = place.params ? { params: place.params } : {};
    const page = placePage(app, place);

    app.post(`${place.prefix}/space-request`, { config: place.config, schema: { ...params, body: RequestForm } }, async (req, reply) => {
      const b = req.body;
      const result = await attempt(() => requestSpace(app.db, req.principal!, place.address(req), { bytes: Number(b.bytes), note: b.note ?? '' }, app.queues));
      if (!result.ok) return page(req, reply, { errors: result.errors, values: b }, result.status);
      const r = result.value;
      if (r.status === 'approved') await reevaluateAfterQuotaChange(app.db, app.queues, req.log, r.mailbox_id);
      return redirectAfterPost(req, reply, `${place.base(r.address)}?notice=${r.status === 'approved' ? 'space-approved' : 'space-requested'}#space-h`);
    });

    app.post(`${place.prefix}/space-request/withdraw`, { config: place.config, schema: { ...params, body: IdForm } }, async (req, reply) => {
      const address = place.address(req);
      const result = await attempt(() => withdrawSpaceRequest(app.db, req.principal!, Number(req.body.id), address));
      if (!result.ok) return page(req, reply, { errors: result.errors }, result.status);
      return redirectAfterPost(req, reply, `${place.base(result.value.address)}?notice=space-withdrawn#space-h`);
    });
  }

  async function showQueue(req: FastifyRequest, reply: FastifyReply, status: (typeof STATUSES)[number]) {
    assertRole(req.principal!, 'reseller', 'operator');
    const requests = await listSpaceRequests(app.db, req.principal!, { status, limit: 200 });
    return render(req, reply, 'space-requests', { title: 'Space requests', requests, status, statuses: STATUSES });
  }

  app.get(
    '/space-requests',
    { schema: { querystring: Type.Object({ status: Type.Optional(Type.Union(STATUSES.map((s) => Type.Literal(s)))) }) } },
    async (req, reply) => showQueue(req, reply, req.query.status ?? 'open'),
  );

  async function showOne(req: FastifyRequest, reply: FastifyReply, id: number, extra: Record<string, unknown> = {}, status = 200) {
    assertRole(req.principal!, 'reseller', 'operator');
    const r = await getSpaceRequestOr404(app.db, req.principal!, id);
    return render(req, reply, 'space-request', { title: 'Space request', r, ...extra }, status);
  }

  app.get(
    '/space-requests/:id',
    { schema: { params: SpaceRequestParams, querystring: Type.Object({ notice: Type.Optional(Type.String({ maxLength: 20 })) }) } },
    async (req, reply) => showOne(req, reply, req.params.id, { notice: noticeFor(QUEUE_NOTICES, req.query.notice) }),
  );

  app.post('/space-requests/:id/approve', { schema: { params: SpaceRequestParams, body: formSchema({}) } }, async (req, reply) => {
    const result = await attempt(() => approveSpaceRequest(app.db, req.principal!, req.params.id, app.queues));
    if (!result.ok) return showOne(req, reply, req.params.id, { errors: result.errors }, result.status);
    await reevaluateAfterQuotaChange(app.db, app.queues, req.log, result.value.mailbox_id);
    return redirectAfterPost(req, reply, `/space-requests/${req.params.id}?notice=approved`);
  });

  app.post(
    '/space-requests/:id/decline',
    { schema: { params: SpaceRequestParams, body: formSchema({ reason: Type.String({ maxLength: 500 }) }) } },
    async (req, reply) => {
      const result = await attempt(() => declineSpaceRequest(app.db, req.principal!, req.params.id, req.body.reason, app.queues));
      if (!result.ok) return showOne(req, reply, req.params.id, { errors: result.errors, values: req.body }, result.status);
      return redirectAfterPost(req, reply, `/space-requests/${req.params.id}?notice=declined`);
    },
  );
};
