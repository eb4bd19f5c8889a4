import zlib from 'node:zlib';
import compress from '@fastify/compress';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify';
import type { Redis } from 'ioredis';
import { Queues } from '../../jobs/queue/queues.js';
import type { Db } from '../../db/database.js';
import { apiRoutes } from './api/index.js';
import { SecretThrottle } from '../services/auth/throttle.js';
import { createMailer } from '../platform/mailer.js';
import type { Config } from '../platform/config.js';
import { opsRoutes } from './ops/index.js';
import { panelRoutes } from './panel/index.js';
import { securityHeaders } from './plugins/security-headers.js';
import { installValidators } from './plugins/validation.js';
import { loggerOptions } from '../platform/logging.js';
import { projectPath } from '../platform/paths.js';

export interface AppDeps {
  config: Config;
  db: Db;
  redis: Redis;
  /** Producer side of the job queues; defaults to queues on `redis`. */
  queues?: Queues;
  logger?: FastifyServerOptions['logger'] | false;
  loggerInstance?: FastifyServerOptions['loggerInstance'];
}

/**
 * Request lines at debug, not info: at info a busy panel logs two lines per request and the lines
 * that matter (the setup link, failures) drown. Errors keep their own levels.
 */
class QuietRequests extends LogController {
  override incomingRequest(request: FastifyRequest) {
    request.log.debug({ req: request }, 'incoming request');
  }
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply) {
    if (error) return super.requestCompleted(error, request, reply);
    reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/** Builds the web app without listening, so tests can inject requests and main.ts can listen. */
export async function buildApp(deps: AppDeps) {
  const app = Fastify({
    ...(deps.loggerInstance ? { loggerInstance: deps.loggerInstance } : { logger: deps.logger ?? loggerOptions(deps.config.logLevel) }),
    // Client addresses (throttling, API key allow-lists, /metrics) come from X-Forwarded-For only via these proxies.
    trustProxy: deps.config.trustProxy.length ? deps.config.trustProxy : false,
    logController: new QuietRequests(),
    bodyLimit: 1024 * 1024,
    routerOptions: { maxParamLength: 500 },
  }).withTypeProvider<TypeBoxTypeProvider>();
  installValidators(app);
  // Every route with its schema, for the OpenAPI document's companions: the attack suite walks it.
  const routeTable: { method: string; url: string; schema?: Record<string, unknown> }[] = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (r) => {
    for (const method of ([] as string[]).concat(r.method))
      if (method !== 'HEAD') routeTable.push({ method, url: r.url, schema: r.schema as Record<string, unknown> | undefined });
    // /docs documents the reseller API only: the panel's HTML routes (a setup link's among them) are not an API.
    if (!r.url.startsWith('/api/')) r.schema = { ...r.schema, hide: true };
  });

  // 1. external plugins
  await securityHeaders(app);
  await app.register(cookie);
  // Lists of 50 mailboxes are ~70 KB of HTML and ~5 KB compressed; the level is a cheap one (~0.4 ms a
  // page). Panel pages carry the CSRF token masked per response, so compression does not expose it.
  await app.register(compress, {
    threshold: 1024,
    syncThreshold: 1024 * 1024,
    encodings: ['br', 'gzip', 'deflate'],
    brotliOptions: { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } },
    zlibOptions: { level: 4 },
  });
  await app.register(formbody, { bodyLimit: 256 * 1024 });
  await app.register(fastifyStatic, { root: projectPath('public'), prefix: '/static/', decorateReply: false });
  await app.register(fastifyStatic, {
    root: projectPath('node_modules/htmx.org/dist'),
    prefix: '/vendor/htmx/',
    decorateReply: false,
    allowedPath: (p) => p === '/htmx.min.js',
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'mailpanel reseller API',
        version: '1.0.0',
        description: 'Manage customers, domains and mailboxes. Authenticate with `Authorization: Bearer <key>`.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  // The UI computes hashes for its own inline scripts; framing stays forbidden there too.
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, transformStaticCSP: (csp) => `${csp}; frame-ancestors 'none'` });

  // 2. application state
  app.decorate('config', deps.config);
  app.decorate('db', deps.db);
  app.decorate('redis', deps.redis);
  app.decorate('queues', deps.queues ?? new Queues(deps.redis, deps.config.redisPrefix, app.log));
  app.addHook('onClose', async () => app.queues.close());
  app.decorate('throttle', new SecretThrottle(deps.redis, deps.config.redisPrefix));
  app.decorate('mailer', createMailer(deps.config.smtpUrl, deps.config.alertFrom));
  app.addHook('onClose', async () => app.mailer.close());
  app.decorateRequest('principal', null);
  app.decorateRequest('session', null);
  app.decorateRequest('sessionToken', null);

  // 3. routes
  await app.register(apiRoutes, { prefix: '/api/v1' });
  await app.register(opsRoutes);
  await app.register(panelRoutes, { viewsDir: projectPath('views') });
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
