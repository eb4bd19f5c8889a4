// The mailbox owner's own page (/my): signed in with the mailbox's address and password, it shows that
// mailbox only — usage and folders, history, cleanup (server/web/cleanup/panel.ts), its password, and
// how to set up a mail client. Nothing here names another mailbox: the address comes from the session.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../platform/errors.js';
import { updateMailbox } from '../../services/mailboxes/service.js';
import { checkOwnerPassword, endOwnerSession, ownerCookieName, signInOwner, startOwnerSession } from '../../services/owner/service.js';
import { mailboxPage } from '../mailboxes/page.js';
import { attempt, formSchema, text } from '../panel/forms.js';
import { noticeFor, redirectAfterPost, render } from '../panel/render.js';
import { cookieOptions, deviceCookieName } from '../panel/session.js';
import { NOTICES as SPACE_NOTICES } from '../space-requests/panel.js';
import { NOTICES as APP_NOTICES } from '../app-passwords/panel.js';

const NOTICES: Record<string, string> = {
  ...SPACE_NOTICES,
  ...APP_NOTICES,
  password: 'The password was changed. Use the new one in your mail programs too.',
  cleanup: 'The cleanup has started: the messages are deleted in a moment, and the usage follows.',
  'auto-purge': 'The automatic cleanup setting was saved.',
};

/** Only the owner's own pages are a place to return to after its sign-in. */
const safeNext = (next: string | undefined) => (next && /^\/my([/?][\w\-./%?=&#]*)?$/.test(next) ? next : '/my');

export const ownerPanel: FastifyPluginAsyncTypebox = async (app) => {
  const cookie = ownerCookieName(app.config.cookieSecure);
  const deviceOf = (req: FastifyRequest) => req.cookies[deviceCookieName(app.config.cookieSecure)] ?? null;
  const owner = { config: { owner: true } };

  app.get(
    '/my/login',
    { config: { public: true }, schema: { querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 500 })) }) } },
    async (req, reply) => render(req, reply, 'my-login', { title: 'Your mailbox', values: { next: req.query.next ?? '' } }),
  );

  app.post(
    '/my/login',
    {
      config: { public: true },
      schema: { body: formSchema({ address: Type.String({ maxLength: 400 }), password: Type.String({ maxLength: 1024 }), next: text(500) }) },
    },
    async (req, reply) => {
      const { address, password, next } = req.body;
      const values = { address, next: next ?? '' };
      const r = await signInOwner(app.db, app.throttle, { address, password, ip: req.ip, device: deviceOf(req) });
      if (!r.ok) {
        req.log.info({ event: 'mailbox_login_failed' }, 'failed mailbox owner login');
        const message = r.reason === 'throttled' ? 'Too many failed sign-in attempts. Try again in an hour.' : 'The address or password is wrong.';
        return render(req, reply, 'my-login', { title: 'Your mailbox', values, errors: { _form: message } }, r.reason === 'throttled' ? 429 : 401);
      }
      reply.setCookie(cookie, r.token, cookieOptions(app.config.cookieSecure));
      return reply.redirect(safeNext(next), 303);
    },
  );

  app.post('/my/logout', { ...owner, schema: { body: formSchema({}) } }, async (req, reply) => {
    await endOwnerSession(app.db, req.owner!.token);
    reply.clearCookie(cookie, cookieOptions(app.config.cookieSecure));
    return redirectAfterPost(req, reply, '/my/login');
  });

  app.get(
    '/my',
    {
      ...owner,
      schema: {
        querystring: Type.Object({
          notice: Type.Optional(Type.String({ maxLength: 40 })),
          // From a warning email: the cleanup it suggested, shown first.
          suggest: Type.Optional(Type.Union([Type.Literal('Junk'), Type.Literal('Trash')])),
        }),
      },
    },
    async (req, reply) =>
      mailboxPage(app, req, reply, req.owner!.address, { notice: noticeFor(NOTICES, req.query.notice), suggest: req.query.suggest ?? null }, 200, 'my-mailbox'),
  );

  app.post(
    '/my/password',
    { ...owner, schema: { body: formSchema({ current: Type.String({ maxLength: 1024 }), password: Type.String({ maxLength: 1024 }) }) } },
    async (req, reply) => {
      const { address } = req.owner!;
      const result = await attempt(async () => {
        // The current password again, under the same throttle: a session left open is not enough.
        const current = await checkOwnerPassword(app.db, app.throttle, { address, password: req.body.current, ip: req.ip, device: deviceOf(req) });
        if (!current.ok) throw new AppError('validation', 'The current password is wrong.', 'current');
        return updateMailbox(app.db, req.principal!, address, { password: req.body.password }, app.config.minPasswordLength);
      });
      if (!result.ok) return mailboxPage(app, req, reply, address, { errors: result.errors }, result.status, 'my-mailbox');
      // Every session of the mailbox ended with the old password; this browser gets a new one.
      reply.setCookie(cookie, await startOwnerSession(app.db, result.value.id), cookieOptions(app.config.cookieSecure));
      return redirectAfterPost(req, reply, '/my?notice=password');
    },
  );

  app.post('/my/auto-purge', { ...owner, schema: { body: formSchema({ autoPurge: Type.Optional(Type.Literal('on')) }) } }, async (req, reply) => {
    await updateMailbox(app.db, req.principal!, req.owner!.address, { autoPurge: req.body.autoPurge === 'on' }, app.config.minPasswordLength);
    return redirectAfterPost(req, reply, '/my?notice=auto-purge');
  });
};
