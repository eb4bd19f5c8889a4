import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { listAudit } from '../../../db/repositories/audit.js';
import { render } from '../../panel/render.js';

const PAGE = 100;

export async function auditPanel(app: FastifyInstance) {
  app.get('/audit', { schema: { querystring: Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000, default: 1 })) }) } }, async (req, reply) => {
    const page = (req.query as { page?: number }).page ?? 1;
    const entries = await listAudit(app.db, req.principal!, { limit: PAGE, offset: (page - 1) * PAGE });
    return render(req, reply, 'audit', { title: 'Audit log', entries: entries.items, page, pages: Math.max(1, Math.ceil(entries.total / PAGE)) });
  });
}
