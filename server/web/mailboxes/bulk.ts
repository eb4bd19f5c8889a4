import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { retentionDaysOf } from '../../services/deleted-mailboxes/service.js';
import { getDomainOr404 } from '../../services/domains/service.js';
import { BULK_ACTIONS, type BulkAction, MAX_BULK, applyBulk, chosenMailboxes } from '../../services/mailboxes/bulk.js';
import { DomainParams } from '../domains/schemas.js';
import { attempt, formSchema, text } from '../panel/forms.js';
import { redirectAfterPost, render } from '../panel/render.js';
import { onQuotaField, quotaFromForm } from './quota-input.js';

const BulkForm = formSchema({
  action: Type.Union(BULK_ACTIONS.map((a) => Type.Literal(a))),
  address: Type.Optional(Type.Union([Type.String({ maxLength: 320 }), Type.Array(Type.String({ maxLength: 320 }), { maxItems: MAX_BULK })])),
  quota: text(40),
  confirm: Type.Optional(Type.Literal('yes')),
});

/** What each action does, said before it is done (as the single mailbox's forms say it). */
const EFFECTS: Record<BulkAction, string> = {
  suspend:
    'These mailboxes stop receiving mail (senders get it back) and their users can no longer sign in over IMAP or POP3. The mail already in them is kept.',
  resume: 'These mailboxes receive mail again and their users can sign in again.',
  quota: 'Each of these mailboxes gets this quota.',
  delete:
    "These mailboxes stop receiving mail and signing in at once. Their mail is kept for {days} days: until then each can be restored, with its mail, from the domain's page.",
};

/**
 * Several mailboxes of a domain at once: the list's checkboxes post here; a confirmation page lists
 * them with what will happen, and its button applies the action to all of them or to none.
 */
export const bulkPanel: FastifyPluginAsyncTypebox = async (app) => {
  async function confirmPage(req: FastifyRequest, reply: FastifyReply, domain: string, action: BulkAction, addresses: string[], extra = {}, status = 200) {
    const d = await getDomainOr404(app.db, req.principal!, domain);
    const boxes = await chosenMailboxes(app.db, req.principal!, d.name, addresses);
    const days = action === 'delete' ? Math.min(...(await Promise.all(boxes.map((m) => retentionDaysOf(app.db, m.customer_id))))) : 0;
    return render(req, reply, 'confirm-bulk', { title: d.name, domain: d, action, boxes, effect: EFFECTS[action], days, values: {}, ...extra }, status);
  }

  app.post('/domains/:domain/mailboxes/bulk', { schema: { params: DomainParams, body: BulkForm } }, async (req, reply) => {
    const d = await getDomainOr404(app.db, req.principal!, req.params.domain);
    const b = req.body;
    const addresses = ([] as string[]).concat(b.address ?? []);
    if (addresses.length === 0) return redirectAfterPost(req, reply, `/domains/${d.name}?notice=bulk-none`);
    const values = { quota: b.quota ?? '' };
    const quota = await attempt(async () => (b.action === 'quota' ? quotaFromForm(req, b.quota) : undefined));
    if (!quota.ok) return confirmPage(req, reply, d.name, b.action, addresses, { errors: quota.errors, values }, quota.status);
    if (b.confirm !== 'yes') {
      // A quota below what a mailbox holds makes it full at once: those are named before it happens.
      const below =
        quota.value === undefined
          ? []
          : (await chosenMailboxes(app.db, req.principal!, d.name, addresses)).filter((m) => m.used_bytes !== null && m.used_bytes >= quota.value!);
      return confirmPage(req, reply, d.name, b.action, addresses, { values, quotaBytes: quota.value, below: below.map((m) => m.address) });
    }
    const result = await attempt(() =>
      applyBulk({ db: app.db, queues: app.queues, log: req.log, minPasswordLength: app.config.minPasswordLength }, req.principal!, d.name, {
        action: b.action,
        addresses,
        quotaBytes: quota.value,
      }),
    );
    if (!result.ok) {
      const errors = onQuotaField(result.errors);
      return confirmPage(req, reply, d.name, b.action, addresses, { errors, values }, result.status);
    }
    return redirectAfterPost(req, reply, `/domains/${d.name}?notice=bulk-${b.action}`);
  });
};
