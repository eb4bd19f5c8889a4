import { parseArgs } from 'node:util';
import path from 'node:path';
import { preferSmallHeap } from '../server/platform/heap.js';

preferSmallHeap();
const { pino } = await import('pino');
// Loaded after the flag above (static imports would run before it).
const { createDb } = await import('../db/database.js');
const { loadConfigOrExit } = await import('../server/platform/config.js');
const { loggerOptions } = await import('../server/platform/logging.js');
const { stopOnSignals } = await import('../server/platform/shutdown.js');
const { startWorkers } = await import('./worker.js');

// A scanner beside one mail server's disks: `npm run worker -- --node NAME --mail-root DIR`.
// It consumes only that node's scan queue; add --maintenance to also run fan-out and housekeeping.
const { values } = parseArgs({ options: { node: { type: 'string' }, 'mail-root': { type: 'string' }, maintenance: { type: 'boolean', default: false } } });
const config = loadConfigOrExit({
  ...process.env,
  ...(values.node && { STORAGE_NODE: values.node }),
  ...(values['mail-root'] && { MAIL_ROOT: path.resolve(values['mail-root']) }),
});
const logger = pino(loggerOptions(config.logLevel));
const db = createDb(config.databaseUrl, config.scanConcurrency + 2, logger);
const running = startWorkers(config, db, logger, { maintenance: values.maintenance }).catch(async (err) => {
  console.error(`mailpanel worker: ${(err as Error).message}`);
  await db.destroy();
  process.exit(1);
});
// Listening before the workers are up: a SIGTERM during start-up lets the start finish, then stops.
stopOnSignals(logger, config.shutdownTimeoutMs, async () => {
  await (await running).stop();
  await db.destroy();
});
await running;
