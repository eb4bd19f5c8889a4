import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { countOperators, findSignInUser, insertUser, totpOf, touchLogin } from '../../../db/repositories/users.js';
import { findSetupToken, useSetupToken } from '../../../db/repositories/sessions.js';
import { hashPassword, passwordProblem, verifyNothing, verifyPassword } from '../../platform/passwords.js';
import { cookieName, endSession, startSession } from '../../services/auth/sessions.js';
import { sha256 } from '../../platform/tokens.js';
import { DEVICE_COOKIE_DAYS } from '../../services/auth/throttle.js';
import { TOTP_MESSAGES, checkTotp } from './totp-check.js';
import { checkContactEmail } from '../../core/text.js';
import { formSchema, text } from './forms.js';
import { type Errors, render } from './render.js';
import { cookieOptions, deviceCookieName } from './session.js';

const HOME: Record<string, string> = { operator: '/overview', reseller: '/overview', customer: '/overview' };

/** Only same-site paths are accepted as a place to return to after login. */
function safeNext(next: string | undefined): string | null {
  return next && /^\/(?!\/)[\w\-./@%?=&+]*$/.test(next) ? next : null;
}

export const authPanel: FastifyPluginAsyncTypebox = async (app) => {
  const sessionCookie = cookieName(app.config.cookieSecure);
  const open = { config: { public: true } };
  const deviceCookie = deviceCookieName(app.config.cookieSecure);
  const deviceOf = (req: FastifyRequest) => req.cookies[deviceCookie] ?? null;

  /** A full sign-in: remembered, this address forgiven, and the device known to the account from now on. */
  async function signedIn(req: FastifyRequest, reply: FastifyReply, userId: number, email: string) {
    await touchLogin(app.db, userId);
    await app.throttle.succeeded({ kind: 'login', account: email, ip: req.ip, device: deviceOf(req) });
    const device = await app.throttle.trustDevice(email, deviceOf(req));
    reply.setCookie(deviceCookie, device, cookieOptions(app.config.cookieSecure, DEVICE_COOKIE_DAYS * 86400));
  }

  app.get('/', async (req, reply) => reply.redirect(HOME[req.principal!.role] ?? '/domains', 303));

  app.get(
    '/login',
    {
      ...open,
      schema: { querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 500 })), notice: Type.Optional(Type.String({ maxLength: 40 })) }) },
    },
    async (req, reply) => {
      if (req.session) return reply.redirect('/', 303);
      const q = req.query;
      return render(req, reply, 'login', { values: { next: q.next ?? '' }, passwordSet: q.notice === 'password-set' });
    },
  );

  app.post(
    '/login',
    { ...open, schema: { body: formSchema({ email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 1024 }), next: text(500) }) } },
    async (req, reply) => {
      const { password, next } = req.body;
      const email = req.body.email.trim().toLowerCase();
      const values = { email, next: next ?? '' };
      const attempt = { kind: 'login' as const, account: email, ip: req.ip, device: deviceOf(req) };
      if (!(await app.throttle.allowed(attempt))) {
        return render(req, reply, 'login', { values, errors: { _form: 'Too many failed sign-in attempts. Try again in an hour.' } }, 429);
      }
      const user = await findSignInUser(app.db, email);
      const ok = user ? await verifyPassword(user.password_hash, password) : await verifyNothing(password);
      // A suspended user or tenant gets the same answer as a wrong password: the answer must not
      // tell whether the password was right.
      if (!user || !ok || !user.may_sign_in) {
        await app.throttle.failed(attempt);
        req.log.info({ event: 'login_failed' }, 'failed panel login');
        return render(req, reply, 'login', { values, errors: { _form: 'The email address or password is wrong.' } }, 401);
      }
      // A fresh session id at every login: a token planted before login is worthless.
      if (req.sessionToken) await endSession(app.db, req.sessionToken);
      const token = await startSession(app.db, user.id, { pendingTotp: user.totp_enabled });
      reply.setCookie(sessionCookie, token, cookieOptions(app.config.cookieSecure));
      const wanted = safeNext(next);
      if (user.totp_enabled) return reply.redirect(wanted ? `/login/totp?next=${encodeURIComponent(wanted)}` : '/login/totp', 303);
      await signedIn(req, reply, user.id, user.email);
      const target = wanted ?? HOME[user.role];
      return reply.redirect(target, 303);
    },
  );

  const second = { config: { secondFactor: true } };
  const NextQuery = Type.Object({ next: Type.Optional(Type.String({ maxLength: 500 })) });
  app.get('/login/totp', { ...second, schema: { querystring: NextQuery } }, async (req, reply) => {
    if (!req.session?.pending_totp) return reply.redirect('/', 303);
    return render(req, reply, 'login-totp', { title: 'Sign in', values: { next: req.query.next ?? '' } });
  });

  app.post('/login/totp', { ...second, schema: { body: formSchema({ code: Type.String({ maxLength: 10 }), next: text(500) }) } }, async (req, reply) => {
    const s = req.session;
    if (!s?.pending_totp) return reply.redirect('/', 303);
    const { code, next } = req.body;
    const user = await totpOf(app.db, s.user_id);
    const check = await checkTotp(app, req, s.user_id, s.email, user.totp_secret, code);
    if (check !== 'ok') return render(req, reply, 'login-totp', { errors: { code: TOTP_MESSAGES[check] } }, check === 'throttled' ? 429 : 401);
    await endSession(app.db, req.sessionToken!);
    const token = await startSession(app.db, s.user_id);
    await signedIn(req, reply, s.user_id, s.email);
    reply.setCookie(sessionCookie, token, cookieOptions(app.config.cookieSecure));
    return reply.redirect(safeNext(next) ?? HOME[user.role], 303);
  });

  app.post('/logout', { ...second, schema: { body: formSchema({}) } }, async (req, reply) => {
    if (req.sessionToken) await endSession(app.db, req.sessionToken);
    // The attributes it was set with: browsers ignore a __Host- cookie cleared without Secure.
    reply.clearCookie(sessionCookie, cookieOptions(app.config.cookieSecure));
    return reply.redirect('/login', 303);
  });

  const SetupParams = Type.Object({ token: Type.String({ minLength: 10, maxLength: 100 }) });
  async function usableSetupToken(token: string) {
    const row = await findSetupToken(app.db, sha256(token));
    return !!row && row.used_at === null && row.expires_at > new Date() && (await countOperators(app.db)) === 0;
  }

  app.get('/setup/:token', { ...open, schema: { params: SetupParams } }, async (req, reply) => {
    if (!(await usableSetupToken(req.params.token)))
      return render(req, reply, 'error', { status: 404, message: 'This setup link is invalid or was already used.' }, 404);
    return render(req, reply, 'setup', { token: req.params.token });
  });

  app.post(
    '/setup/:token',
    { ...open, schema: { params: SetupParams, body: formSchema({ email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 1024 }) }) } },
    async (req, reply) => {
      const { token } = req.params;
      const { email, password } = req.body;
      if (!(await usableSetupToken(token)))
        return render(req, reply, 'error', { status: 404, message: 'This setup link is invalid or was already used.' }, 404);
      const errors: Errors = {};
      const mail = checkContactEmail(email);
      if (!mail.ok) errors.email = mail.message;
      const weak = passwordProblem(password, app.config.minPasswordLength, [email]);
      if (weak) errors.password = weak;
      if (Object.keys(errors).length) return render(req, reply, 'setup', { token, errors, values: { email } }, 400);
      const user = await app.db.transaction().execute(async (trx) => {
        if (!(await useSetupToken(trx, sha256(token)))) return null;
        return insertUser(trx, {
          email: mail.ok ? mail.value : email,
          password_hash: await hashPassword(password),
          role: 'operator',
          reseller_id: null,
          customer_id: null,
        });
      });
      if (!user) return render(req, reply, 'error', { status: 404, message: 'This setup link is invalid or was already used.' }, 404);
      const session = await startSession(app.db, user.id);
      reply.setCookie(sessionCookie, session, cookieOptions(app.config.cookieSecure));
      return reply.redirect('/resellers', 303);
    },
  );
};
