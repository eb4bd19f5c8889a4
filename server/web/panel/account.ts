import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { endSession, startSession, cookieName } from '../../services/auth/sessions.js';
import { newTotpSecret, otpauthUri } from '../../core/totp.js';
import { TOTP_MESSAGES, checkTotp } from './totp-check.js';
import { AppError } from '../../platform/errors.js';
import { recordChange } from '../../services/audit/record.js';
import { getCustomerOr404 } from '../../services/customers/service.js';
import { assertRole } from '../../services/auth/principal.js';
import * as users from '../../../db/repositories/users.js';
import { formSchema } from './forms.js';
import { noticeFor, redirectAfterPost, render } from './render.js';
import { cookieOptions } from './session.js';

const NOTICES: Record<string, string> = { password: 'Your password was changed. Your other sessions were ended.' };
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
const CodeBody = formSchema({ code: Type.String({ maxLength: 10 }) });

/** The signed-in user's own settings (second factor) and acting as a customer. */
export const accountPanel: FastifyPluginAsyncTypebox = async (app) => {
  const sessionCookie = cookieName(app.config.cookieSecure);

  async function show(req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    const u = await users.totpOf(app.db, req.session!.user_id);
    const pending = !u.totp_enabled && u.totp_secret ? { secret: u.totp_secret, uri: otpauthUri(u.totp_secret, u.email) } : null;
    return render(req, reply, 'account', { title: 'Account', totpEnabled: u.totp_enabled, pending, ...extra }, status);
  }

  app.get('/account', { schema: { querystring: Type.Object({ notice: Type.Optional(Type.String({ maxLength: 40 })) }) } }, async (req, reply) =>
    show(req, reply, { notice: noticeFor(NOTICES, req.query.notice) }),
  );

  app.post('/account/totp/start', { schema: { body: formSchema({}) } }, async (req, reply) => {
    await users.startTotp(app.db, req.session!.user_id, newTotpSecret());
    return show(req, reply);
  });

  app.post('/account/totp/confirm', { schema: { body: CodeBody } }, async (req, reply) => {
    const u = await users.totpOf(app.db, req.session!.user_id);
    if (u.totp_enabled || !u.totp_secret) return redirectAfterPost(req, reply, '/account');
    const check = await checkTotp(app, req, req.session!.user_id, req.session!.email, u.totp_secret, req.body.code);
    if (check !== 'ok') return show(req, reply, { errors: { code: TOTP_MESSAGES[check] } }, check === 'throttled' ? 429 : 400);
    await users.setTotpEnabled(app.db, req.session!.user_id, true);
    await recordChange(app.db, req.principal!, {
      action: 'user.totp_enable',
      objectType: 'user',
      objectId: req.session!.email,
      resellerId: req.session!.reseller_id,
      customerId: req.session!.customer_id,
    });
    return redirectAfterPost(req, reply, '/account');
  });

  app.post('/account/totp/disable', { schema: { body: CodeBody } }, async (req, reply) => {
    const u = await users.totpOf(app.db, req.session!.user_id);
    if (!u.totp_enabled || !u.totp_secret) return redirectAfterPost(req, reply, '/account');
    const check = await checkTotp(app, req, req.session!.user_id, req.session!.email, u.totp_secret, req.body.code);
    if (check !== 'ok') return show(req, reply, { errors: { disable: TOTP_MESSAGES[check] } }, check === 'throttled' ? 429 : 400);
    await users.setTotpEnabled(app.db, req.session!.user_id, false);
    await recordChange(app.db, req.principal!, {
      action: 'user.totp_disable',
      objectType: 'user',
      objectId: req.session!.email,
      resellerId: req.session!.reseller_id,
      customerId: req.session!.customer_id,
    });
    return redirectAfterPost(req, reply, '/account');
  });

  // The operator or a reseller sees the panel as one of its customers does; a new session id marks the switch.
  app.post('/customers/:id/act', { schema: { params: IdParams, body: formSchema({}) } }, async (req, reply) => {
    const p = req.principal!;
    if (req.session!.acting_customer_id) throw new AppError('forbidden', 'Stop acting as the current customer first.');
    assertRole(p, 'operator', 'reseller');
    const c = await getCustomerOr404(app.db, p, req.params.id);
    await recordChange(app.db, p, { action: 'session.act_as', objectType: 'customer', objectId: c.id, resellerId: c.reseller_id, customerId: c.id });
    await endSession(app.db, req.sessionToken!);
    reply.setCookie(sessionCookie, await startSession(app.db, req.session!.user_id, { actingCustomerId: c.id }), cookieOptions(app.config.cookieSecure));
    return redirectAfterPost(req, reply, '/domains');
  });

  app.post('/act/stop', { schema: { body: formSchema({}) } }, async (req, reply) => {
    const s = req.session!;
    if (!s.acting_customer_id) return redirectAfterPost(req, reply, '/');
    await recordChange(app.db, req.principal!, {
      action: 'session.act_stop',
      objectType: 'customer',
      objectId: s.acting_customer_id,
      resellerId: s.reseller_id,
      customerId: s.acting_customer_id,
    });
    await endSession(app.db, req.sessionToken!);
    reply.setCookie(sessionCookie, await startSession(app.db, s.user_id), cookieOptions(app.config.cookieSecure));
    return redirectAfterPost(req, reply, `/customers/${s.acting_customer_id}`);
  });
};
