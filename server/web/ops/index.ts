import path from 'node:path';
import { createRequire } from 'node:module';
import fastifyStatic from '@fastify/static';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as health from '../../../db/repositories/health.js';
import { ALERTS_QUEUE, IMPORTS_QUEUE, MAINTENANCE_QUEUE, scanQueueName } from '../../../jobs/queue/registry.js';
import { cookieName, resumeSession } from '../../services/auth/sessions.js';
import { safeEqual } from '../../platform/tokens.js';
import { alertDeliveries, mailboxesByLevel, queueJobs, registry } from '../../platform/metrics.js';
import { relayProblem } from '../../platform/mailer.js';

const LOCAL = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const within = <T>(ms: number, p: Promise<T>) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);

/** Health, readiness, Prometheus metrics and the queue board for operators. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** True only when the browser says the request comes from a page of our own origin. */
function sameOrigin(req: FastifyRequest, publicUrl: string): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  const origin = req.headers.origin;
  if (!origin) return false;
  const host = req.headers.host;
  return origin === new URL(publicUrl).origin || (host !== undefined && (origin === `https://${host}` || origin === `http://${host}`));
}

export async function opsRoutes(app: FastifyInstance) {
  const queueNames = async () => {
    const nodes = await health.mailboxNodes(app.db);
    return [MAINTENANCE_QUEUE, ALERTS_QUEUE, IMPORTS_QUEUE, ...new Set(['local', ...nodes].map(scanQueueName))];
  };

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const checks: Record<string, string> = {};
    // The relay is reported, not required: the panel works without it, but warnings do not go out.
    // Asked alongside the others, so a relay that does not answer adds nothing to the probe's time.
    const relay: { smtp: string; noticeLmtp: string } = { smtp: 'ok', noticeLmtp: 'none' };
    const notice = app.config.noticeLmtpUrl;
    await Promise.all([
      within(1000, health.ping(app.db)).then(
        () => (checks.postgres = 'ok'),
        (e) => (checks.postgres = (e as Error).message),
      ),
      within(1000, app.redis.ping()).then(
        () => (checks.redis = 'ok'),
        (e) => (checks.redis = (e as Error).message),
      ),
      relayProblem(app.config.smtpUrl).then((problem) => (relay.smtp = problem ?? 'ok')),
      notice ? relayProblem(notice).then((problem) => (relay.noticeLmtp = problem ?? 'ok')) : null,
    ]);
    const ready = Object.values(checks).every((c) => c === 'ok');
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks, relay });
  });

  app.get('/metrics', async (req, reply) => {
    const token = app.config.metricsToken;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!LOCAL.has(req.ip) && !(token && bearer && safeEqual(bearer, token)))
      return reply.code(403).send({ error: 'forbidden', message: 'Metrics are served to localhost or with METRICS_TOKEN.' });
    queueJobs.reset();
    for (const name of await queueNames()) {
      const counts = await within(1000, app.queues.get(name).getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed')).catch(() => null);
      for (const [state, n] of Object.entries(counts ?? {})) queueJobs.set({ queue: name, state }, n);
    }
    alertDeliveries.reset();
    for (const r of await health.deliveriesByStatus(app.db)) alertDeliveries.set({ status: r.status }, r.n);
    mailboxesByLevel.reset();
    for (const r of await health.mailboxesByLevel(app.db)) mailboxesByLevel.set({ level: r.level }, r.n);
    return reply.type(registry.contentType).send(await registry.metrics());
  });

  // bull-board, in its own scope, for signed-in operators only.
  await app.register(async (scope) => {
    const sessionCookie = cookieName(app.config.cookieSecure);
    scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      const token = req.cookies[sessionCookie];
      const s = token ? await resumeSession(app.db, token, app.config.sessionIdleSeconds, app.config.sessionAbsoluteSeconds) : undefined;
      if (s?.role !== 'operator' || s.pending_totp || s.acting_customer_id) return reply.redirect(`/login?next=${encodeURIComponent('/admin/queues/')}`, 303);
      // bull-board's own requests carry no CSRF token of ours: a change must come from a page of this
      // origin, which browsers say in Sec-Fetch-Site or Origin (never sent right by a cross-site form).
      if (STATE_CHANGING.has(req.method) && !sameOrigin(req, app.config.publicUrl)) {
        return reply.code(403).send({ error: 'forbidden', message: 'Cross-site request refused.' });
      }
      // The UI's <base> and its relative URLs need the trailing slash (the nav links here).
      const bare = req.url.split('?')[0];
      if (req.method === 'GET' && bare === '/admin/queues') return reply.redirect('/admin/queues/', 301);
    });
    // Its page sets <base href="/admin/queues/"> for every script and call it makes, and styles its
    // React components inline: both allowed here only. Its web fonts (Google's) stay blocked.
    scope.addHook('onSend', async (_req, reply, payload) => {
      const csp = reply.getHeader('content-security-policy');
      if (typeof csp === 'string')
        reply.header(
          'content-security-policy',
          csp.replace("base-uri 'none'", "base-uri 'self'").replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
        );
      return payload;
    });
    const adapter = new FastifyAdapter();
    adapter.setBasePath('/admin/queues');
    createBullBoard({
      queues: (await queueNames().catch(() => [MAINTENANCE_QUEUE, ALERTS_QUEUE, IMPORTS_QUEUE, scanQueueName('local')])).map(
        (n) => new BullMQAdapter(app.queues.get(n)),
      ),
      serverAdapter: adapter,
    });
    // @fastify/static 9 serves nothing under a plugin prefix (it strips its own prefix from the full
    // URL), so the board's files are served from this unprefixed scope; the board's own registration
    // is moved out of the way.
    const uiStatic = path.join(path.dirname(createRequire(import.meta.url).resolve('@bull-board/ui/package.json')), 'dist/static');
    adapter.setStaticPath('/unused-static', uiStatic);
    await scope.register(fastifyStatic, { root: uiStatic, prefix: '/admin/queues/static/', decorateReply: false });
    await scope.register(adapter.registerPlugin(), { prefix: '/admin/queues' });
  });
}
