// The staff's report of mailboxes nobody signed in to for some days (/unused-mailboxes?days=90), as
// GET /api/v1/reports/unused-mailboxes: candidates to clean up, oldest first.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { unusedReport } from '../../services/mailboxes/logins.js';
import { render } from '../panel/render.js';

const PAGE = 100;

export const unusedPanel: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/unused-mailboxes',
    {
      schema: {
        querystring: Type.Object({
          days: Type.Integer({ minimum: 1, maximum: 3650, default: 90 }),
          page: Type.Integer({ minimum: 1, maximum: 10_000, default: 1 }),
        }),
      },
    },
    async (req, reply) => {
      const { days, page } = req.query;
      const rows = await unusedReport(app.db, req.principal!, days, { limit: PAGE + 1, offset: (page - 1) * PAGE });
      return render(req, reply, 'unused-mailboxes', { title: 'Unused mailboxes', rows: rows.slice(0, PAGE), more: rows.length > PAGE, days, page });
    },
  );
};
