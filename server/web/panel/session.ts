import type { FastifyInstance } from 'fastify';
import { cookieName, principalFromSession, resumeSession } from '../../services/auth/sessions.js';
import { randomToken, safeEqual, unmaskToken } from '../../platform/tokens.js';
import { ownerCookieName, ownerPrincipal, resumeOwnerSession } from '../../services/owner/service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without a session (login, setup). */
    public?: boolean;
    /** Reachable by a session that still owes its second factor. */
    secondFactor?: boolean;
    /** A mailbox owner's page (/my): needs the owner's own session, never a staff session. */
    owner?: boolean;
  }
  interface FastifyRequest {
    preSessionCsrf: string | null;
    /** On a mailbox owner's pages (config.owner): its mailbox's address, session token and CSRF token. */
    owner: { address: string; token: string; csrf: string } | null;
  }
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function cookieOptions(secure: boolean, maxAge?: number) {
  return { path: '/', httpOnly: true, secure, sameSite: 'lax' as const, ...(maxAge !== undefined && { maxAge }) };
}

/** Marks a browser that signed in before, so failed guesses by others do not lock its owner out. */
export function deviceCookieName(secure: boolean) {
  return secure ? '__Host-mailpanel-device' : 'mailpanel-device';
}

export function csrfCookieName(secure: boolean) {
  return secure ? '__Host-mailpanel-csrf' : 'mailpanel-csrf';
}

/**
 * Panel authentication: a server-side session named by an HttpOnly cookie (API keys are not accepted
 * here), and a CSRF token checked on every state-changing request — the session's own token, or for
 * the pages before login a double-submit cookie.
 */
export async function panelSession(app: FastifyInstance) {
  const { cookieSecure, sessionIdleSeconds, sessionAbsoluteSeconds } = app.config;
  const name = cookieName(cookieSecure);
  const csrfName = csrfCookieName(cookieSecure);

  app.decorateRequest('preSessionCsrf', null);
  app.decorateRequest('owner', null);
  const ownerName = ownerCookieName(cookieSecure);

  app.addHook('onRequest', async (req, reply) => {
    // A mailbox owner's pages know only the owner's session: a staff session in the same browser
    // gives no access here, and an owner's session none to staff pages.
    if (req.routeOptions.config.owner) {
      const ownerToken = req.cookies[ownerName];
      const owner = ownerToken ? await resumeOwnerSession(app.db, ownerToken, sessionIdleSeconds, sessionAbsoluteSeconds) : undefined;
      if (!owner) {
        if (ownerToken) reply.clearCookie(ownerName, cookieOptions(cookieSecure));
        if (req.headers['hx-request']) return reply.header('HX-Redirect', '/my/login').code(401).send();
        return reply.redirect(`/my/login?next=${encodeURIComponent(req.url)}`, 303);
      }
      req.principal = ownerPrincipal(owner, req.ip);
      req.owner = { address: owner.address, token: ownerToken!, csrf: owner.csrf_token };
      return;
    }
    const token = req.cookies[name];
    if (token) {
      req.session = (await resumeSession(app.db, token, sessionIdleSeconds, sessionAbsoluteSeconds)) ?? null;
      if (req.session) {
        req.sessionToken = token;
        // Until the second factor is given, the session proves nothing.
        if (!req.session.pending_totp) req.principal = principalFromSession(req.session, req.ip);
        else if (!req.routeOptions.config.secondFactor && !req.routeOptions.config.public) return reply.redirect('/login/totp', 303);
      } else {
        reply.clearCookie(name, cookieOptions(cookieSecure));
      }
    }
    if (!req.session && req.routeOptions.config.public) {
      let csrf = req.cookies[csrfName];
      if (csrf?.length !== 32) {
        csrf = randomToken(24);
        reply.setCookie(csrfName, csrf, cookieOptions(cookieSecure, 3600));
      }
      req.preSessionCsrf = csrf;
    }
    if (!req.session && !req.routeOptions.config.public && req.routeOptions.url) {
      if (req.headers['hx-request']) return reply.header('HX-Redirect', '/login').code(401).send();
      return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
    }
  });

  app.addHook('preValidation', async (req, reply) => {
    if (!STATE_CHANGING.has(req.method)) return;
    const sent = (req.headers['x-csrf-token'] as string | undefined) ?? (req.body as { _csrf?: string } | undefined)?._csrf;
    const expected = req.owner?.csrf ?? req.session?.csrf_token ?? req.preSessionCsrf;
    const token = sent ? unmaskToken(String(sent)) : null;
    if (!token || !expected || !safeEqual(token, expected)) {
      return reply.code(403).type('text/plain').send('The form has expired or did not come from this site. Reload the page and try again.');
    }
  });
}
