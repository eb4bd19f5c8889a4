import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { listPlans } from '../../../db/repositories/plans.js';
import { parseSize } from '../../domain/quota.js';
import { AppError } from '../../errors.js';
import { attempt, formSchema, text } from '../../panel/forms.js';
import { redirectAfterPost, render } from '../../panel/render.js';
import { assertRole } from '../../auth/principal.js';
import { createPlan } from './service.js';

function size(raw: string | undefined, field: string, required = false): number | null {
  if (!raw?.trim()) {
    if (required) throw new AppError('validation', 'This size is required.', field);
    return null;
  }
  const v = parseSize(raw);
  if (v === null) throw new AppError('validation', 'Enter a size like 500 MB or 2 GB.', field);
  return v;
}

export async function plansPanel(app: FastifyInstance) {
  app.get('/plans', async (req, reply) => {
    assertRole(req.principal!, 'reseller');
    return render(req, reply, 'plans', { title: 'Plans', plans: await listPlans(app.db, req.principal!.resellerId!), values: { defaultQuota: '500 MB' } });
  });

  app.post(
    '/plans',
    { schema: { body: formSchema({ name: Type.String({ maxLength: 100 }), defaultQuota: text(40), maxQuota: text(40), maxMailboxes: text(10), maxStorage: text(40) }) } },
    async (req, reply) => {
      assertRole(req.principal!, 'reseller');
      const b = req.body as Record<string, string | undefined>;
      const result = await attempt(async () => {
        const maxMailboxes = b.maxMailboxes?.trim() ? Number(b.maxMailboxes) : null;
        if (maxMailboxes !== null && !Number.isInteger(maxMailboxes)) throw new AppError('validation', 'Enter a whole number of mailboxes.', 'maxMailboxes');
        return createPlan(app.db, req.principal!, {
          name: b.name ?? '', defaultQuotaBytes: size(b.defaultQuota, 'defaultQuotaBytes', true)!, maxQuotaBytes: size(b.maxQuota, 'maxQuotaBytes'), maxMailboxes, maxStorageBytes: size(b.maxStorage, 'maxStorageBytes'),
        });
      });
      if (!result.ok) return render(req, reply, 'plans', { title: 'Plans', plans: await listPlans(app.db, req.principal!.resellerId!), errors: result.errors, values: b }, result.status);
      return redirectAfterPost(req, reply, '/plans');
    },
  );
}
