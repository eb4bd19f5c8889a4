import { pino } from 'pino';
import { createDb } from '../../db/database.js';
import { loadConfig, redactUrl } from '../config.js';
import { DEFAULT_FULL_REPLY } from './decide.js';
import { startPolicyServer } from './server.js';

// The policy service on its own: `npx tsx server/policy/main.ts`. Postfix side (main.cf):
//   smtpd_recipient_restrictions = ..., reject_unauth_destination, check_policy_service inet:127.0.0.1:10031
// POLICY_FULL_REPLY (e.g. "452 4.2.2 Mailbox full") and POLICY_DEADLINE_MS are read here until config.ts has them.

const config = loadConfig();
const logger = pino({ level: config.logLevel, name: 'policy' });
const deadlineMs = Number(process.env.POLICY_DEADLINE_MS || 1000);
if (!Number.isInteger(deadlineMs) || deadlineMs < 10 || deadlineMs > 60_000) {
  logger.fatal({ value: process.env.POLICY_DEADLINE_MS }, 'POLICY_DEADLINE_MS must be an integer from 10 to 60000');
  process.exit(1);
}

const db = createDb(config.databaseUrl, 2);
const service = await startPolicyServer({
  db,
  databaseUrl: config.databaseUrl,
  host: config.policyHost,
  port: config.policyPort,
  logger,
  reply: process.env.POLICY_FULL_REPLY?.trim() || DEFAULT_FULL_REPLY,
  deadlineMs,
});
logger.info({ database: redactUrl(config.databaseUrl) }, 'policy service started');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, counters: { ...service.counters } }, 'policy service stopping');
    void Promise.all([service.close(), db.destroy()]).then(() => process.exit(0));
  });
}
