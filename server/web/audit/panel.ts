import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { listAudit, objectNames } from '../../../db/repositories/audit.js';
import { changedFields } from '../../core/audit-change.js';
import { listUsersOf } from '../../../db/repositories/users.js';
import { langOf, render } from '../panel/render.js';

const PAGE = 100;

export const auditPanel: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/audit',
    { schema: { querystring: Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000, default: 1 })) }) } },
    async (req, reply) => {
      const p = req.principal!;
      const page = req.query.page ?? 1;
      const entries = await listAudit(app.db, p, { limit: PAGE, offset: (page - 1) * PAGE });
      let items = entries.items;
      if (p.role === 'customer') {
        // A customer sees what changed and when; staff names and addresses stay with the staff.
        const own = new Set((await listUsersOf(app.db, { customerId: p.customerId! })).map((u) => u.id));
        items = items.map((e) => ({
          ...e,
          ip: null,
          actor: e.actor_user_id !== null && own.has(e.actor_user_id) && !e.action.startsWith('session.') ? e.actor : 'provider',
        }));
      }
      // Readable: the object by its name where it is stored by id, and only the fields that changed.
      const names = await objectNames(app.db, items);
      const lang = langOf(req);
      const rows = items.map((e) => ({
        ...e,
        name: names.get(`${e.object_type}:${e.object_id}`) ?? null,
        changes: changedFields(e.before, e.after, lang),
      }));
      return render(req, reply, 'audit', { title: 'Audit log', entries: rows, page, pages: Math.max(1, Math.ceil(entries.total / PAGE)) });
    },
  );
};
