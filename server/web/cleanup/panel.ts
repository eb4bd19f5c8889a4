// Freeing space in the panel: buttons and a form on the mailbox page ask for a preview, a page shows
// it ("3 messages, 59 KB will be deleted for good") with the confirmation; the largest messages get a
// page of their own to choose from.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MAX_CHOSEN } from '../../core/cleanup.js';
import { confirmCleanup, largeMessages, previewCleanup } from '../../services/cleanup/service.js';
import { mailboxPage } from '../mailboxes/page.js';
import { attempt, formSchema, text } from '../panel/forms.js';
import { redirectAfterPost, render } from '../panel/render.js';

const AddressParams = Type.Object({ address: Type.String({ minLength: 3, maxLength: 400 }) });
const Uid = Type.String({ maxLength: 10, pattern: '^[0-9]+$' });

export const cleanupPanel: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/mailboxes/:address/cleanup/preview',
    {
      schema: {
        params: AddressParams,
        body: formSchema({
          folder: Type.String({ maxLength: 255 }),
          olderThanDays: text(6),
          uids: Type.Optional(Type.Union([Uid, Type.Array(Uid, { maxItems: MAX_CHOSEN })])),
        }),
      },
    },
    async (req, reply) => {
      const { address } = req.params;
      const b = req.body;
      const result = await attempt(async () => {
        // Not a number: NaN, which the service refuses next to the field (after its tenant check).
        const days = b.olderThanDays?.trim() ? Number(b.olderThanDays) : undefined;
        const uids = b.uids === undefined ? undefined : ([] as string[]).concat(b.uids).map(Number);
        return previewCleanup(app.db, app.queues, req.principal!, address, { folder: b.folder, olderThanDays: days, uids });
      });
      if (!result.ok) return mailboxPage(app, req, reply, address, { errors: result.errors, values: b }, result.status);
      const { mailbox: m, cleanup } = result.value;
      return render(req, reply, 'cleanup-confirm', { title: m.address, m, c: cleanup });
    },
  );

  app.post(
    '/mailboxes/:address/cleanup',
    { schema: { params: AddressParams, body: formSchema({ previewId: Type.String({ maxLength: 20, pattern: '^[0-9]+$' }) }) } },
    async (req, reply) => {
      const { mailbox: m } = await confirmCleanup(app.db, app.queues, req.principal!, req.params.address, Number(req.body.previewId));
      return redirectAfterPost(req, reply, `/mailboxes/${m.address}?notice=cleanup#cleanup-h`);
    },
  );

  app.get('/mailboxes/:address/large-messages', { schema: { params: AddressParams } }, async (req, reply) => {
    const items = await largeMessages(app.db, app.queues, req.principal!, req.params.address);
    const byFolder = new Map<string, typeof items>();
    for (const item of items) byFolder.set(item.folder, [...(byFolder.get(item.folder) ?? []), item]);
    return render(req, reply, 'large-messages', { title: req.params.address, address: req.params.address, byFolder: [...byFolder] });
  });
};
