import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection. Producers fail fast when Redis is away (the web answers 503 instead of hanging);
 * BullMQ workers pass `forWorker` because they must block and retry forever.
 */
export function createRedis(url: string, opts: { forWorker?: boolean; name?: string } = {}): Redis {
  const options: RedisOptions = {
    connectionName: opts.name,
    lazyConnect: true,
    enableOfflineQueue: !!opts.forWorker,
    maxRetriesPerRequest: opts.forWorker ? null : 1,
    connectTimeout: 2000,
    // Producers answer within seconds even when Redis stalls; workers block on purpose.
    ...(!opts.forWorker && { commandTimeout: 2000 }),
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  const redis = new Redis(url, options);
  redis.on('error', () => {}); // reconnects on its own; callers see the failed commands
  return redis;
}
