import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { sha256 } from '../../platform/tokens.js';
import { attempt, formSchema } from '../panel/forms.js';
import { redirectAfterPost, render } from '../panel/render.js';
import { changeOwnPassword, completeReset, managedLogin, removeLogin, requestEmailReset, resetFor, staffResetLink } from '../../services/logins/service.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
const TokenParams = Type.Object({ token: Type.String({ minLength: 20, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' }) });
const INVALID_LINK = 'This link is invalid, was already used, or has expired. Ask for a new one.';

/** Where staff come back to after managing a login: the page of its customer or reseller. */
const backTo = (login: { customer_id: number | null; reseller_id: number | null }) =>
  login.customer_id ? `/customers/${login.customer_id}` : login.reseller_id ? `/resellers/${login.reseller_id}` : '/overview';

export const loginsPanel: FastifyPluginAsyncTypebox = async (app) => {
  const min = app.config.minPasswordLength;
  const open = { config: { public: true } };

  // --- one's own password
  app.post(
    '/account/password',
    { schema: { body: formSchema({ current: Type.String({ maxLength: 1024 }), password: Type.String({ maxLength: 1024 }) }) } },
    async (req, reply) => {
      const s = req.session!;
      const { current, password } = req.body;
      const attemptKey = { kind: 'login' as const, account: s.email, ip: req.ip };
      if (!(await app.throttle.allowed(attemptKey)))
        return render(req, reply, 'account-password', { errors: { current: 'Too many failed attempts. Try again in an hour.' } }, 429);
      const result = await attempt(() =>
        changeOwnPassword(
          app.db,
          req.principal!,
          { userId: s.user_id, email: s.email, sessionIdHash: sha256(req.sessionToken!), current, next: password },
          min,
        ),
      );
      if (!result.ok) {
        if (result.errors.current) await app.throttle.failed(attemptKey);
        return render(req, reply, 'account-password', { errors: result.errors }, result.status);
      }
      return redirectAfterPost(req, reply, '/account?notice=password');
    },
  );
  app.get('/account/password', async (req, reply) => render(req, reply, 'account-password', {}));

  // --- staff: a one-time link, or removal
  app.post('/logins/:id/reset', { schema: { params: IdParams, body: formSchema({}) } }, async (req, reply) => {
    const { login, url, hours } = await staffResetLink(app.db, req.principal!, req.params.id, app.config.publicUrl);
    // Shown once: only its hash is stored.
    return render(req, reply, 'login-reset-link', { title: login.email, login, url, hours, back: backTo(login) });
  });

  app.get('/logins/:id/remove', { schema: { params: IdParams } }, async (req, reply) => {
    const id = req.params.id;
    // The same check as the removal itself: the page exists only for a login one may remove.
    const login = await managedLogin(app.db, req.principal!, id);
    return render(req, reply, 'confirm-delete', {
      title: login.email,
      what: login.email,
      action: `/logins/${id}/remove`,
      back: backTo(login),
      warning: 'Whoever signs in with it is signed out at once and cannot sign in again. Mailboxes and everything else stay as they are.',
      confirmField: 'confirm',
      button: 'Remove login',
    });
  });

  app.post(
    '/logins/:id/remove',
    { schema: { params: IdParams, body: formSchema({ confirm: Type.Optional(Type.String({ maxLength: 5 })) }) } },
    async (req, reply) => {
      const login = await removeLogin(app.db, req.principal!, req.params.id);
      return redirectAfterPost(req, reply, `${backTo(login)}?notice=login-removed`);
    },
  );

  // --- forgot password, and the links
  app.get('/forgot', open, async (req, reply) => render(req, reply, 'forgot', {}));
  app.post('/forgot', { ...open, schema: { body: formSchema({ email: Type.String({ maxLength: 254 }) }) } }, async (req, reply) => {
    const email = req.body.email.trim().toLowerCase();
    const asked = { kind: 'reset' as const, account: email, ip: req.ip };
    // Counted like failures: a few links per address and hour, whatever the address is.
    if (await app.throttle.allowed(asked)) {
      await app.throttle.failed(asked);
      await requestEmailReset(app.db, app.mailer, email, app.config.publicUrl).catch((err: Error) => req.log.warn({ err }, 'password link not sent'));
    }
    return render(req, reply, 'forgot', { sent: true });
  });

  app.get('/reset/:token', { ...open, schema: { params: TokenParams } }, async (req, reply) => {
    const reset = await resetFor(app.db, req.params.token);
    if (!reset) return render(req, reply, 'error', { status: 404, message: INVALID_LINK }, 404);
    return render(req, reply, 'reset', { token: req.params.token, email: reset.email, minPasswordLength: min });
  });

  app.post(
    '/reset/:token',
    { ...open, schema: { params: TokenParams, body: formSchema({ password: Type.String({ maxLength: 1024 }) }) } },
    async (req, reply) => {
      const { token } = req.params;
      const guard = { kind: 'reset' as const, account: 'link', ip: req.ip };
      if (!(await app.throttle.allowed(guard))) return render(req, reply, 'error', { status: 429, message: 'Too many attempts. Try again in an hour.' }, 429);
      const result = await attempt(() => completeReset(app.db, token, req.body.password, min, req.ip));
      if (!result.ok) {
        if (result.status === 404) {
          await app.throttle.failed(guard);
          return render(req, reply, 'error', { status: 404, message: INVALID_LINK }, 404);
        }
        const reset = await resetFor(app.db, token);
        return render(req, reply, 'reset', { token, email: reset?.email ?? '', minPasswordLength: min, errors: result.errors }, result.status);
      }
      return reply.redirect('/login?notice=password-set', 303);
    },
  );
};
