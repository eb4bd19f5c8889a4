import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses } from '../api/schemas.js';
import { MailboxParams } from '../mailboxes/schemas.js';
import { cleanupOf, cleanupView, confirmCleanup, largeMessages, previewAndConfirm, previewCleanup } from '../../services/cleanup/service.js';
import { Cleanup, CleanupParams, CleanupPreview, CleanupRequest, LargeMessage } from './schemas.js';

export const cleanupApi: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['cleanup'];

  app.post(
    '/mailboxes/:address/cleanup',
    {
      schema: {
        tags,
        description:
          "Frees space: empty Junk or Trash ({folder}), delete mail older than N days in a folder ({folder, olderThanDays}), or chosen messages ({folder, uids}). First with preview: true (counts, deletes nothing), then preview: false with the previewId: exactly the previewed messages are deleted by the mailbox's mail server.",
        params: MailboxParams,
        body: CleanupRequest,
        response: { 200: CleanupPreview, 202: Cleanup, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { preview, previewId, ...criteria } = req.body;
      if (preview) {
        const { cleanup } = await previewCleanup(app.db, app.queues, req.principal!, req.params.address, criteria);
        return reply.code(200).send({ previewId: cleanup.id, messages: cleanup.preview_messages, bytes: Number(cleanup.preview_bytes) });
      }
      const { cleanup } =
        previewId === undefined
          ? await previewAndConfirm(app.db, app.queues, req.principal!, req.params.address, criteria)
          : await confirmCleanup(app.db, app.queues, req.principal!, req.params.address, previewId, criteria.folder);
      return reply.code(202).send(cleanupView(cleanup));
    },
  );

  app.get('/mailboxes/:address/cleanup/:id', { schema: { tags, params: CleanupParams, response: { 200: Cleanup, ...errorResponses } } }, async (req) =>
    cleanupView((await cleanupOf(app.db, req.principal!, req.params.address, req.params.id)).cleanup),
  );

  app.get(
    '/mailboxes/:address/large-messages',
    {
      schema: {
        tags,
        description: 'Messages of 10 MB or more in any folder, largest first (at most 500): pick uids to delete with POST …/cleanup.',
        params: MailboxParams,
        response: { 200: Type.Array(LargeMessage), ...errorResponses },
      },
    },
    async (req) => largeMessages(app.db, app.queues, req.principal!, req.params.address),
  );
};
