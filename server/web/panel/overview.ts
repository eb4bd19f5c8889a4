import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { listMailboxes } from '../../../db/repositories/mailboxes.js';
import type { Db } from '../../../db/database.js';
import { countsByLevel, customerTotals } from '../../../db/repositories/overview.js';
import type { Scope } from '../../../db/repositories/scope.js';
import { oneOf } from '../api/schemas.js';
import { LEVELS } from '../../core/quota.js';
import { render } from './render.js';
import { deliveryTrouble } from '../../../db/repositories/health.js';

const PAGE_SIZE = 50;
const STAFF_TTL_MS = 30_000;

const staffView = (db: Db, scope: Scope) =>
  Promise.all([countsByLevel(db, scope), customerTotals(db, scope), listMailboxes(db, scope, { limit: 20, offset: 0, sort: 'fullness', desc: true })]);

/**
 * A reseller's or the operator's overview reads every mailbox in scope; it is kept for half a
 * minute per scope, so a room of staff refreshing the overview costs one aggregation, not fifty.
 */
class StaffOverview {
  #cache = new Map<string, { at: number; value: ReturnType<typeof staffView> }>();
  get(db: Db, scope: Scope) {
    const key = `${scope.resellerId ?? 'all'}`;
    const hit = this.#cache.get(key);
    if (hit && Date.now() - hit.at < STAFF_TTL_MS) return hit.value;
    const value = staffView(db, scope);
    this.#cache.set(key, { at: Date.now(), value });
    value.catch(() => this.#cache.delete(key));
    return value;
  }
}

/** Usage at a glance: the customer's mailboxes, or a reseller's and the operator's fullest ones. */
export const overviewPanel: FastifyPluginAsyncTypebox = async (app) => {
  const staffOverview = new StaffOverview();
  app.get(
    '/overview',
    {
      schema: {
        querystring: Type.Object({
          page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
          sort: Type.Optional(oneOf(['fullness', 'address'])),
          order: Type.Optional(oneOf(['asc', 'desc'])),
          level: Type.Optional(oneOf([...LEVELS, 'unmeasured'])),
        }),
      },
    },
    async (req, reply) => {
      const p = req.principal!;
      const q = req.query;
      const page = q.page ?? 1;
      const sort = q.sort ?? 'fullness';
      const desc = (q.order ?? (sort === 'fullness' ? 'desc' : 'asc')) === 'desc';
      const staff = p.role !== 'customer';
      // A level card opens the mailboxes at that level, page by page; staff otherwise see the fullest 20.
      const level = q.level;
      const paged = !staff || level !== undefined;
      const list = () => listMailboxes(app.db, p, { limit: paged ? PAGE_SIZE : 20, offset: paged ? (page - 1) * PAGE_SIZE : 0, sort, desc, level });
      const [levels, customers, mailboxes] = staff
        ? await staffOverview.get(app.db, p).then(async ([l, c, nearest]) => [l, c, sort === 'fullness' && desc && !level ? nearest : await list()] as const)
        : await Promise.all([countsByLevel(app.db, p), null, list()]);
      // The operator sees at a glance when warnings are not going out (relay down, refused).
      const trouble = p.role === 'operator' ? await deliveryTrouble(app.db) : null;
      return render(req, reply, 'overview', {
        title: 'Overview',
        staff,
        trouble: trouble?.failing ? trouble : null,
        levels,
        mailboxes: mailboxes.items,
        total: mailboxes.total,
        customers,
        page,
        pages: Math.max(1, Math.ceil(mailboxes.total / PAGE_SIZE)),
        query: { sort, order: desc ? 'desc' : 'asc', level },
      });
    },
  );
};
