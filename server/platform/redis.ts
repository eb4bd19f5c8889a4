import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { logConnection } from './logging.js';

/**
 * A Redis connection. Producers fail fast when Redis is away (the web answers 503 instead of hanging);
 * BullMQ workers pass `forWorker` because they must block and retry forever.
 */
export function createRedis(url: string, opts: { forWorker?: boolean; name?: string; logger?: Logger; commandTimeoutMs?: number } = {}): Redis {
  const options: RedisOptions = {
    connectionName: opts.name,
    lazyConnect: true,
    enableOfflineQueue: !!opts.forWorker,
    maxRetriesPerRequest: opts.forWorker ? null : 1,
    connectTimeout: 2000,
    // Producers answer within seconds even when Redis stalls; workers block on purpose.
    ...(!opts.forWorker && { commandTimeout: opts.commandTimeoutMs ?? 2000 }),
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  const redis = new Redis(url, options);
  // It reconnects on its own and callers see the failed commands; the outage is logged once (with a logger).
  logConnection(redis, opts.logger, `Redis ${opts.name ?? ''}`.trim(), 'ready');
  return redis;
}
