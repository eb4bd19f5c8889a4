import type {} from '@fastify/cookie';
import type {} from '@fastify/view';
import type { Redis } from 'ioredis';
import type { Db } from '../../db/database.js';
import type { Principal } from '../services/auth/principal.js';
import type { SessionInfo } from '../services/auth/sessions.js';
import type { Config } from '../platform/config.js';
import type { SecretThrottle } from '../services/auth/throttle.js';
import type { Queues } from '../../jobs/queue/queues.js';
import type { Mailer } from '../platform/mailer.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    config: Config;
    redis: Redis;
    throttle: SecretThrottle;
    queues: Queues;
    /** The panel's own mail (password links), through SMTP_URL. */
    mailer: Mailer;
    routeTable: { method: string; url: string; schema?: Record<string, unknown> }[];
  }
  interface FastifyRequest {
    principal: Principal | null;
    session: SessionInfo | null;
    sessionToken: string | null;
  }
}
