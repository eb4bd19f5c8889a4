import { Writable } from 'node:stream';
import { pino } from 'pino';
import { buildApp, type App } from '../../server/web/app.js';
import { loadConfig, type Config } from '../../server/platform/config.js';
import { loggerOptions } from '../../server/platform/logging.js';
import { createRedis } from '../../server/platform/redis.js';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from './database.js';

export interface TestApp {
  app: App;
  database: TestDatabase;
  db: TestDatabase['db'];
  config: Config;
  /** Everything the app logged, for checks that no secret was written. */
  logs: string[];
  close(): Promise<void>;
}

/** The real app on its own database and Redis prefix; requests go through app.inject. */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = loadConfig({ DATABASE_URL: database.url, REDIS_PREFIX: testRedisPrefix(), COOKIE_SECURE: 'true', LOG_LEVEL: 'info', ...env });
  const redis = createRedis(config.redisUrl);
  await redis.connect();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const logger = pino(loggerOptions('info'), sink);
  const app = await buildApp({ config, db: database.db, redis, loggerInstance: logger });
  await app.ready();
  return {
    app,
    database,
    db: database.db,
    config,
    logs,
    async close() {
      await app.close();
      await redis.quit();
      await database.drop();
    },
  };
}
