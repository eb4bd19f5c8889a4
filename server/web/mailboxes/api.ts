import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { PageQuery, errorResponses } from '../api/schemas.js';
import { mailboxLogins, unusedReport } from '../../services/mailboxes/logins.js';
import { listAlerts } from '../../../db/repositories/alerts.js';
import { alertsView, reevaluateAfterQuotaChange, visibleAlerts } from '../../services/mailboxes/alerts.js';
import { Alert, Folder, Login, Mailbox, MailboxParams, MailboxPatch, Unused, Usage } from './schemas.js';
import { mailboxFolders } from '../../services/folders/service.js';
import { deleteMailbox } from '../../services/deleted-mailboxes/service.js';
import { getMailboxOr404, mailboxView, requestScan, updateMailbox, usageView } from '../../services/mailboxes/service.js';

export const mailboxesApi: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['mailboxes'];

  app.get('/mailboxes/:address', { schema: { tags, params: MailboxParams, response: { 200: Mailbox, ...errorResponses } } }, async (req) =>
    mailboxView(await getMailboxOr404(app.db, req.principal!, req.params.address)),
  );

  app.patch(
    '/mailboxes/:address',
    { schema: { tags, params: MailboxParams, body: MailboxPatch, response: { 200: Mailbox, ...errorResponses } } },
    async (req) => {
      const m = await updateMailbox(app.db, req.principal!, req.params.address, req.body, app.config.minPasswordLength);
      if (req.body.quotaBytes !== undefined) await reevaluateAfterQuotaChange(app.db, app.queues, req.log, m.id);
      return mailboxView(m);
    },
  );

  app.get(
    '/mailboxes/:address/alerts',
    { schema: { tags, params: MailboxParams, response: { 200: Type.Object({ items: Type.Array(Alert) }), ...errorResponses } } },
    async (req) => {
      const m = await getMailboxOr404(app.db, req.principal!, req.params.address);
      return { items: alertsView(visibleAlerts(await listAlerts(app.db, m.id), req.principal!.role)) };
    },
  );

  app.get(
    '/mailboxes/:address/logins',
    { schema: { tags, params: MailboxParams, response: { 200: Type.Object({ items: Type.Array(Login) }), ...errorResponses } } },
    async (req) => ({
      items: (await mailboxLogins(app.db, req.principal!, req.params.address)).map((l) => ({ protocol: l.protocol, ip: l.ip, at: l.at.toISOString() })),
    }),
  );

  app.get(
    '/reports/unused-mailboxes',
    {
      schema: {
        tags,
        description:
          'Mailboxes nobody signed in to (IMAP, POP3 or SMTP submission) for `days` days, never-used ones counted from their creation; oldest first.',
        querystring: Type.Object({ days: Type.Integer({ minimum: 1, maximum: 3650, default: 90 }), ...PageQuery }),
        response: { 200: Type.Object({ items: Type.Array(Unused) }), ...errorResponses },
      },
    },
    async (req) => ({
      items: (await unusedReport(app.db, req.principal!, req.query.days, { limit: req.query.limit ?? 50, offset: req.query.offset ?? 0 })).map((m) => ({
        address: m.address,
        domain: m.domain,
        customer: m.customer,
        quotaBytes: m.quota_bytes,
        usedBytes: m.used_bytes,
        createdAt: m.created_at.toISOString(),
        lastLoginAt: m.last_login_at ? new Date(m.last_login_at).toISOString() : null,
      })),
    }),
  );

  app.delete('/mailboxes/:address', { schema: { tags, params: MailboxParams, response: { 204: Type.Null(), ...errorResponses } } }, async (req, reply) => {
    await deleteMailbox(app.db, app.queues, req.principal!, req.params.address);
    return reply.code(204).send(null);
  });

  app.post(
    '/mailboxes/:address/scan',
    { schema: { tags, params: MailboxParams, response: { 202: Type.Object({ status: Type.Literal('queued'), address: Type.String() }), ...errorResponses } } },
    async (req, reply) => {
      const m = await requestScan(app.db, app.queues, req.principal!, req.params.address);
      return reply.code(202).send({ status: 'queued' as const, address: m.address });
    },
  );

  app.get('/mailboxes/:address/usage', { schema: { tags, params: MailboxParams, response: { 200: Usage, ...errorResponses } } }, async (req) =>
    usageView(await getMailboxOr404(app.db, req.principal!, req.params.address)),
  );
  app.get(
    '/mailboxes/:address/folders',
    {
      schema: {
        tags,
        description: 'Bytes and messages per folder, INBOX first, as the last scan found them on the disk (Last-Modified: when); empty before the first scan.',
        params: MailboxParams,
        response: { 200: Type.Array(Folder), ...errorResponses },
      },
    },
    async (req, reply) => {
      const { folders, scannedAt } = await mailboxFolders(app.db, req.principal!, req.params.address);
      if (scannedAt) reply.header('last-modified', scannedAt.toUTCString());
      return folders;
    },
  );
};
