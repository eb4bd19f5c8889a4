import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import type { Config } from './platform/config.js';
import { createRedis } from './platform/redis.js';
import { createServer } from 'node:http';
import { relayProblem } from './platform/mailer.js';
import { policyCounters, registry } from './platform/metrics.js';

type Stop = () => Promise<void>;

// Each role's code is loaded only when the role runs here: a policy or worker process does not carry
// the web app (Fastify, its plugins, the templates), nor the web process the scanner.
const loadWeb = () => import('./web/app.js');
const loadWorker = () => import('../jobs/worker.js');
const loadPolicy = () => import('./policy/server.js');
const loadQueues = () => import('../jobs/queue/queues.js');

/** What a first start should say out loud: warnings that would otherwise only show much later. */
async function warnAboutSetup(config: Config, logger: Logger) {
  if (/^(127\.|localhost$|::1$)/.test(config.client.host))
    logger.warn(
      { host: config.client.host },
      'mail client settings in the panel name this host: set MAIL_CLIENT_HOST (or PUBLIC_URL) to the mail server users connect to',
    );
  const problem = await relayProblem(config.smtpUrl);
  if (problem)
    logger.warn(
      { relay: new URL(config.smtpUrl).host, error: problem },
      'the SMTP relay does not answer: quota warnings will not go out until it does (set SMTP_URL)',
    );
  if (!config.noticeLmtpUrl) logger.warn('NOTICE_LMTP_URL=none: notices to a mailbox go through SMTP, where a full mailbox refuses its own "full" notice');
  else {
    const notice = await relayProblem(config.noticeLmtpUrl);
    if (notice)
      logger.warn(
        { listener: new URL(config.noticeLmtpUrl).host, error: notice },
        "Dovecot's notice listener does not answer: mailboxes get no notices until it does (set NOTICE_LMTP_URL, or none to send them through SMTP)",
      );
  }
}

/** Starts the configured roles in this process and returns one function that stops them all. */
export async function startRoles(config: Config, db: Db, logger: Logger): Promise<Stop> {
  const stops: Stop[] = [];
  if (config.roles.includes('web')) {
    const redis = createRedis(config.redisUrl, { name: 'mailpanel-web', logger });
    await redis.connect();
    const { buildApp } = await loadWeb();
    const app = await buildApp({ config, db, redis, loggerInstance: logger });
    // One line for it (Fastify's own, worded here), with the address users are given.
    await app.listen({
      host: config.host,
      port: config.port,
      listenTextResolver: (address) => `panel listening on ${address} (public URL ${config.publicUrl})`,
    });
    // Not awaited: a start is never held up (nor its SIGTERM handling delayed) by a relay that does not answer.
    warnAboutSetup(config, logger).catch((err: Error) => logger.warn({ err }, 'setup check failed'));
    stops.push(async () => {
      await app.close();
      redis.disconnect();
    });
  }
  if (config.roles.includes('policy')) {
    const { startPolicyServer } = await loadPolicy();
    const { Queues } = await loadQueues();
    const log = logger.child({ role: 'policy' });
    // Counting waits on Redis inside a decision: a connection of its own that gives up fast (SEND_LIMITS_REDIS_DOWN
    // then decides); breaches go to the worker through a producer connection that may take its time.
    const counters = createRedis(config.redisUrl, {
      name: 'mailpanel-send-limits',
      logger: log,
      commandTimeoutMs: config.sendLimitsTimeoutMs,
    });
    const producer = createRedis(config.redisUrl, { name: 'mailpanel-policy-queue', logger: log });
    // Not awaited: the policy service answers while Redis is away (see SEND_LIMITS_REDIS_DOWN).
    for (const r of [counters, producer]) r.connect().catch(() => {});
    const queues = new Queues(producer, config.redisPrefix, log);
    const policy = await startPolicyServer({
      db,
      databaseUrl: config.databaseUrl,
      host: config.policyHost,
      port: config.policyPort,
      logger: log,
      reply: config.policyFullReply,
      deadlineMs: config.policyDeadlineMs,
      sendLimits: {
        redis: counters,
        prefix: config.redisPrefix,
        redisDown: config.sendLimitsRedisDown,
        onBreach: async (b) => {
          await queues.enqueue('send-limit-breach', { ...b, at: b.at.getTime() }, {});
        },
      },
    });
    policyCounters(() => policy.counters);
    logger.info(`policy service listening on ${config.policyHost}:${policy.port}`);
    stops.push(async () => {
      await policy.close();
      await queues.close();
      counters.disconnect();
      producer.disconnect();
    });
  }
  if (config.roles.includes('worker')) {
    const { startWorkers } = await loadWorker();
    const workers = await startWorkers(config, db, logger, { maintenance: true });
    stops.push(workers.stop);
  }
  if (!config.roles.includes('web') && config.metricsPort) {
    // The worker and policy roles record metrics too; on their own they serve them here, locally only.
    const server = createServer(async (_req, res) => {
      res.setHeader('content-type', registry.contentType);
      res.end(await registry.metrics());
    });
    await new Promise<void>((resolve) => server.listen(config.metricsPort!, '127.0.0.1', resolve));
    logger.info(`metrics on http://127.0.0.1:${config.metricsPort}/metrics`);
    stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  }
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
