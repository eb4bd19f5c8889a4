import { pino } from 'pino';
import { createDb } from '../db/database.js';
import { loadConfigOrExit, redactUrl } from './config.js';
import { loggerOptions } from './logging.js';
import { prepareDatabase, checkRedis, announceSetupLink } from './startup.js';
import { startRoles } from './roles.js';

// One process runs every role by default (`npm start`); ROLES=web|worker|policy splits them for production.
async function main() {
  const config = loadConfigOrExit();
  const logger = pino(loggerOptions(config.logLevel));

  try {
    await prepareDatabase(config.databaseUrl);
  } catch (err) {
    console.error(`mailpanel: cannot reach PostgreSQL at ${redactUrl(config.databaseUrl)}: ${(err as Error).message}`);
    process.exit(1);
  }
  try {
    await checkRedis(config.redisUrl);
  } catch (err) {
    console.error(`mailpanel: cannot reach Redis at ${redactUrl(config.redisUrl)}: ${(err as Error).message}`);
    process.exit(1);
  }

  const db = createDb(config.databaseUrl);
  if (config.roles.includes('web')) await announceSetupLink(db, config.publicUrl);
  const stop = await startRoles(config, db, logger).catch(async (err) => {
    console.error(`mailpanel: ${(err as Error).message}`);
    await db.destroy();
    process.exit(1);
  });

  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, async () => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      await stop();
      await db.destroy();
      process.exit(0);
    });
  }
}

main().catch((err) => {
  console.error('mailpanel: failed to start:', err);
  process.exit(1);
});
