import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { listMailboxes } from '../../db/repositories/mailboxes.js';
import { countsByLevel, customerTotals } from '../../db/repositories/overview.js';
import { oneOf } from '../api/schemas.js';
import { render } from './render.js';

const PAGE_SIZE = 50;

/** Usage at a glance: the customer's mailboxes, or a reseller's and the operator's fullest ones. */
export async function overviewPanel(app: FastifyInstance) {
  app.get(
    '/overview',
    { schema: { querystring: Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })), sort: Type.Optional(oneOf(['fullness', 'address'])), order: Type.Optional(oneOf(['asc', 'desc'])) }) } },
    async (req, reply) => {
      const p = req.principal!;
      const q = req.query as { page?: number; sort?: 'fullness' | 'address'; order?: 'asc' | 'desc' };
      const page = q.page ?? 1;
      const sort = q.sort ?? 'fullness';
      const desc = (q.order ?? (sort === 'fullness' ? 'desc' : 'asc')) === 'desc';
      const staff = p.role !== 'customer';
      const [levels, mailboxes, customers] = await Promise.all([
        countsByLevel(app.db, p),
        listMailboxes(app.db, p, { limit: staff ? 20 : PAGE_SIZE, offset: staff ? 0 : (page - 1) * PAGE_SIZE, sort, desc }),
        staff ? customerTotals(app.db, p) : null,
      ]);
      return render(req, reply, 'overview', {
        title: 'Overview', staff, levels, mailboxes: mailboxes.items, total: mailboxes.total, customers, page,
        pages: Math.max(1, Math.ceil(mailboxes.total / PAGE_SIZE)), query: { sort, order: desc ? 'desc' : 'asc' },
      });
    },
  );
}
