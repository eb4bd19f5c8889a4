import { pino } from 'pino';
import { createDb } from '../db/database.js';
import { loadConfigOrExit, redactUrl } from './platform/config.js';
import { preferSmallHeap } from './platform/heap.js';
import { loggerOptions } from './platform/logging.js';
import { stopOnSignals } from './platform/shutdown.js';
import { DatabaseBehind, announceSetupLink, checkRedis, prepareDatabase, requireMigrated } from './startup.js';
import { startRoles } from './roles.js';

// One process runs every role by default (`npm start`); ROLES=web|worker|policy splits them for production.
async function main() {
  const config = loadConfigOrExit();
  // A process that is only a worker trades a little CPU for memory (see platform/heap.ts); web and
  // policy keep V8's defaults, sized for throughput.
  if (config.roles.length === 1 && config.roles[0] === 'worker') preferSmallHeap();
  const logger = pino(loggerOptions(config.logLevel));

  try {
    if (config.migrateOnStart) await prepareDatabase(config.databaseUrl);
    else await requireMigrated(config.databaseUrl);
  } catch (err) {
    if (err instanceof DatabaseBehind) console.error(`mailpanel: ${err.message}`);
    else console.error(`mailpanel: cannot reach PostgreSQL at ${redactUrl(config.databaseUrl)}: ${(err as Error).message}`);
    process.exit(1);
  }
  try {
    await checkRedis(config.redisUrl);
  } catch (err) {
    console.error(`mailpanel: cannot reach Redis at ${redactUrl(config.redisUrl)}: ${(err as Error).message}`);
    process.exit(1);
  }

  const db = createDb(config.databaseUrl, 10, logger);
  if (config.roles.includes('web')) await announceSetupLink(db, config.publicUrl);
  const started = startRoles(config, db, logger).catch(async (err) => {
    console.error(`mailpanel: ${(err as Error).message}`);
    await db.destroy();
    process.exit(1);
  });
  // Listening before the roles are up: a SIGTERM during start-up lets the start finish, then stops
  // everything gracefully (exit 0), instead of killing the process halfway.
  stopOnSignals(logger, config.shutdownTimeoutMs, async () => {
    const stop = await started;
    await stop();
    await db.destroy();
  });
  await started;
}

main().catch((err) => {
  console.error('mailpanel: failed to start:', err);
  process.exit(1);
});
