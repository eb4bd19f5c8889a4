// Freeing space in the panel: buttons and a form on the mailbox page ask for a preview, a page shows
// it ("3 messages, 59 KB will be deleted for good") with the confirmation; the largest messages get a
// page of their own to choose from. The same routes serve staff (/mailboxes/<address>/…) and the
// mailbox owner on its own page (/my/…, with the owner's session).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { MAX_CHOSEN } from '../../core/cleanup.js';
import { confirmCleanup, largeMessages, previewCleanup } from '../../services/cleanup/service.js';
import { PLACES, placePage } from '../mailboxes/places.js';
import { attempt, formSchema, text } from '../panel/forms.js';
import { redirectAfterPost, render } from '../panel/render.js';

const Uid = Type.String({ maxLength: 10, pattern: '^[0-9]+$' });
const PreviewForm = formSchema({
  folder: Type.String({ maxLength: 255 }),
  olderThanDays: text(6),
  uids: Type.Optional(Type.Union([Uid, Type.Array(Uid, { maxItems: MAX_CHOSEN })])),
});
const ConfirmForm = formSchema({ previewId: Type.String({ maxLength: 20, pattern: '^[0-9]+$' }) });

export const cleanupPanel: FastifyPluginAsyncTypebox = async (app) => {
  for (const place of PLACES) {
    const params = place.params ? { params: place.params } : {};
    const page = placePage(app, place);

    app.post(`${place.prefix}/cleanup/preview`, { config: place.config, schema: { ...params, body: PreviewForm } }, async (req, reply) => {
      const b = req.body;
      const result = await attempt(async () => {
        // Not a number: NaN, which the service refuses next to the field (after its tenant check).
        const days = b.olderThanDays?.trim() ? Number(b.olderThanDays) : undefined;
        const uids = b.uids === undefined ? undefined : ([] as string[]).concat(b.uids).map(Number);
        return previewCleanup(app.db, app.queues, req.principal!, place.address(req), { folder: b.folder, olderThanDays: days, uids });
      });
      if (!result.ok) return page(req, reply, { errors: result.errors, values: b }, result.status);
      const { mailbox: m, cleanup } = result.value;
      return render(req, reply, 'cleanup-confirm', { title: m.address, m, c: cleanup, base: place.base(m.address) });
    });

    app.post(`${place.prefix}/cleanup`, { config: place.config, schema: { ...params, body: ConfirmForm } }, async (req, reply) => {
      const { mailbox: m } = await confirmCleanup(app.db, app.queues, req.principal!, place.address(req), Number(req.body.previewId));
      return redirectAfterPost(req, reply, `${place.base(m.address)}?notice=cleanup#cleanup-h`);
    });

    app.get(`${place.prefix}/large-messages`, { config: place.config, schema: { ...params } }, async (req, reply) => {
      const address = place.address(req);
      const items = await largeMessages(app.db, app.queues, req.principal!, address);
      const byFolder = new Map<string, typeof items>();
      for (const item of items) byFolder.set(item.folder, [...(byFolder.get(item.folder) ?? []), item]);
      return render(req, reply, 'large-messages', { title: address, address, byFolder: [...byFolder], base: place.base(address) });
    });
  }
};
