import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { errorResponses } from '../../api/schemas.js';
import { Mailbox, MailboxParams, MailboxPatch, Usage } from './schemas.js';
import { deleteMailbox, getMailboxOr404, mailboxView, updateMailbox, usageView } from './service.js';

export const mailboxesApi: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['mailboxes'];

  app.get('/mailboxes/:address', { schema: { tags, params: MailboxParams, response: { 200: Mailbox, ...errorResponses } } }, async (req) =>
    mailboxView(await getMailboxOr404(app.db, req.principal!, req.params.address)),
  );

  app.patch('/mailboxes/:address', { schema: { tags, params: MailboxParams, body: MailboxPatch, response: { 200: Mailbox, ...errorResponses } } }, async (req) =>
    mailboxView(await updateMailbox(app.db, req.principal!, req.params.address, req.body, app.config.minPasswordLength)),
  );

  app.delete('/mailboxes/:address', { schema: { tags, params: MailboxParams, response: { 204: Type.Null(), ...errorResponses } } }, async (req, reply) => {
    await deleteMailbox(app.db, req.principal!, req.params.address);
    return reply.code(204).send(null);
  });

  app.get('/mailboxes/:address/usage', { schema: { tags, params: MailboxParams, response: { 200: Usage, ...errorResponses } } }, async (req) =>
    usageView(await getMailboxOr404(app.db, req.principal!, req.params.address)),
  );
};
