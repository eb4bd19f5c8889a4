import { existsSync } from 'node:fs';
import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import { createMailer, retryDelay } from '../server/platform/mailer.js';
import type { Config } from '../server/platform/config.js';
import { createRedis } from '../server/platform/redis.js';
import { afterUsageWrite } from '../server/services/usage/after-write.js';
import { sendAlertHandler } from './handlers/send-alert.js';
import { sendLimitBreachHandler } from './handlers/send-limit-breach.js';
import { spaceRequestNoticeHandler } from './handlers/space-request-notice.js';
import { importMailboxesHandler } from './handlers/import-mailboxes.js';
import { sweepAlerts } from '../server/services/alerts/sweep.js';
import { BatchWriter } from '../server/services/usage/batch-writer.js';
import { scanFanoutHandler } from './handlers/scan-fanout.js';
import { scanMailboxHandler } from './handlers/scan-mailbox.js';
import { scanChunkHandler } from './handlers/scan-chunk.js';
import { ScanPool } from './scan/index.js';
import { DiskWatch } from './scan/disk-watch.js';
import { Queues } from './queue/queues.js';
import { UsageFeed } from './feed/usage-feed.js';
import { startDovecotEvents } from './feed/dovecot-events.js';
import { quotaRecalcHandler } from './handlers/quota-recalc.js';
import { mailboxFilesHandlers } from './handlers/mailbox-files.js';
import { cleanupHandlers } from './handlers/cleanup.js';
import { autoPurgeHandler, purgeFanoutHandler } from './handlers/auto-purge.js';
import { ALERTS_QUEUE, IMPORTS_QUEUE, MAINTENANCE_QUEUE, WEBHOOKS_QUEUE, checkHandlers, scanQueueName, type Handlers, type JobName } from './queue/registry.js';
import { scheduleMaintenance } from './schedules.js';
import { housekeeping } from './handlers/housekeeping.js';
import { webhookHandlers } from './handlers/webhooks.js';
import { webhookEventsListener } from './feed/webhook-events.js';

export interface WorkerOptions {
  /** Also run fan-out, alerts and housekeeping (the central worker); a scanner beside remote disks does not. */
  maintenance: boolean;
  /** The clock alerts are decided by; tests move it instead of sleeping. */
  now?: () => Date;
}

export class RedisPolicyError extends Error {}

/** Imports of different customers running side by side; hashing runs on libuv's threads. */
const IMPORT_CONCURRENCY = 4;

/** An evicting Redis silently drops queued jobs and locks; workers refuse to run on one. */
async function requireNoEviction(redis: ReturnType<typeof createRedis>, log: Logger) {
  let policy: string | undefined;
  try {
    policy = ((await redis.config('GET', 'maxmemory-policy')) as string[])[1];
  } catch {
    log.warn('cannot read maxmemory-policy (CONFIG disabled?); make sure it is noeviction');
    return;
  }
  if (policy !== 'noeviction') {
    redis.disconnect();
    throw new RedisPolicyError(
      `Redis maxmemory-policy is "${policy}"; the worker needs "noeviction" (set maxmemory-policy noeviction in redis.conf), or jobs can be lost`,
    );
  }
}

/** nodemailer speaks LMTP when asked to; our config names that transport lmtp://host:port. */
const lmtpAsSmtp = (url: string) => url.replace(/^lmtp:/, 'smtp:') + (url.includes('?') ? '&' : '?') + 'lmtp=true';

/**
 * Starts the job workers of this process: the scan queue of its node, and optionally the
 * maintenance and alert queues with their schedulers. Returns a stop function for SIGTERM:
 * workers stop taking jobs, finish the active ones, then connections close.
 */
export async function startWorkers(config: Config, db: Db, logger: Logger, opts: WorkerOptions) {
  const log = logger.child({ role: 'worker', node: config.node });
  const now = opts.now ?? (() => new Date());
  // Separate connections: producers fail fast, workers block and retry forever.
  const producer = createRedis(config.redisUrl, { name: 'mailpanel-producer', logger: log });
  await producer.connect();
  await requireNoEviction(producer, log);
  const queues = new Queues(producer, config.redisPrefix, log);
  // What follows every usage write, from a scan or from Dovecot's feed (server/services/usage/after-write.ts).
  const afterWrite = afterUsageWrite({ db, queues, node: config.node, logger: log, now });
  const writer = new BatchWriter(db, afterWrite, undefined, undefined, config.driftBytes);
  // Dovecot's change feed is applied once, by the central worker.
  const feed = opts.maintenance ? new UsageFeed({ db, databaseUrl: config.databaseUrl, logger: log, onWritten: afterWrite }) : null;
  // Webhook events are announced at commit: the central worker fans them out at once.
  const webhookEvents = opts.maintenance ? webhookEventsListener(config.databaseUrl, queues, log) : null;
  const mailer = createMailer(config.smtpUrl, config.alertFrom);
  const noticeMailer = config.noticeLmtpUrl ? createMailer(lmtpAsSmtp(config.noticeLmtpUrl), config.alertFrom) : mailer;

  // One thread pool per process for the verification rounds, started on the first chunk.
  const pool = new ScanPool();
  const watch = config.scanWatch ? DiskWatch.open(log) : null;
  const handlers: Partial<Handlers> = {
    'scan-mailbox': scanMailboxHandler({ db, node: config.node, mailRoot: config.mailRoot, fullScanHours: config.fullScanHours, writer, logger: log, now }),
    'scan-chunk': scanChunkHandler({
      db,
      node: config.node,
      mailRoot: config.mailRoot,
      fullScanHours: config.fullScanHours,
      driftBytes: config.driftBytes,
      pool,
      watch,
      logger: log,
      onWritten: afterWrite,
      now,
    }),
    'scan-fanout': scanFanoutHandler(db, queues),
    housekeeping: async () => housekeeping(db, config, queues),
    'send-alert': sendAlertHandler({ db, mailer, noticeMailer, panelUrl: config.publicUrl, logger: log }),
    'space-request-notice': spaceRequestNoticeHandler({ db, mailer, noticeMailer, panelUrl: config.publicUrl, logger: log }),
    'alerts-sweep': async () => sweepAlerts(db, queues, now()),
    'send-limit-breach': sendLimitBreachHandler({ db, mailer, panelUrl: config.publicUrl, suspendAfter: config.sendLimitSuspendAfter, logger: log }),
    'import-mailboxes': importMailboxesHandler({ db, minPasswordLength: config.minPasswordLength, logger: log }),
    'quota-recalc': quotaRecalcHandler({ db, node: config.node, mailRoot: config.mailRoot, doveadm: config.doveadm, logger: log }),
    ...mailboxFilesHandlers({ db, node: config.node, mailRoot: config.mailRoot, logger: log }),
    ...cleanupHandlers({ db, node: config.node, doveadm: config.doveadm, queues, logger: log }),
    'purge-round': autoPurgeHandler({ db, node: config.node, doveadm: config.doveadm, queues, logger: log, now }),
    'purge-fanout': purgeFanoutHandler(db, queues),
    ...webhookHandlers({
      db,
      queues,
      mailer,
      allow: config.webhookAllow,
      timeoutMs: config.webhookTimeoutMs,
      logger: log,
      now,
      scanning: async () => {
        const c = await queues.get(scanQueueName(config.node)).getJobCounts('active', 'waiting');
        return c.active + c.waiting > 0;
      },
    }),
  };
  checkHandlers(handlers);

  const dispatch = async (job: Job, token?: string) => (handlers[job.name as JobName] as (j: Job, t?: string) => Promise<unknown>)(job, token);
  const workerConnection = createRedis(config.redisUrl, { forWorker: true, name: 'mailpanel-worker', logger: log });
  const common = {
    connection: workerConnection,
    prefix: config.redisPrefix,
    stalledInterval: config.stalledMs,
    lockDuration: config.stalledMs,
    maxStalledCount: 1,
  };
  const workers = [new Worker(scanQueueName(config.node), dispatch, { ...common, concurrency: config.scanConcurrency })];
  if (opts.maintenance) {
    workers.push(new Worker(MAINTENANCE_QUEUE, dispatch, { ...common, concurrency: 1 }));
    // Several customers' imports at once; one at a time per customer (see claimRun).
    workers.push(new Worker(IMPORTS_QUEUE, dispatch, { ...common, concurrency: IMPORT_CONCURRENCY }));
    workers.push(
      new Worker(ALERTS_QUEUE, dispatch, {
        ...common,
        // Sends mostly wait on the relay; the limiter below, not this, sets the pace.
        concurrency: 32,
        // A relay never sees more than this, however many mailboxes cross a line at once; counted per
        // second, so the rate is even rather than a burst at the start of each minute.
        limiter:
          config.alertRatePerMinute >= 60
            ? { max: Math.round(config.alertRatePerMinute / 60), duration: 1000 }
            : { max: 1, duration: Math.round(60_000 / config.alertRatePerMinute) },
        settings: { backoffStrategy: (attemptsMade: number) => retryDelay(attemptsMade, config.alertRetryBaseMs) },
      }),
    );
    // Receivers wait on the network; each hangs for at most WEBHOOK_TIMEOUT_MS, on its own queue.
    workers.push(
      new Worker(WEBHOOKS_QUEUE, dispatch, {
        ...common,
        concurrency: 32,
        settings: { backoffStrategy: (attemptsMade: number) => retryDelay(attemptsMade, config.webhookRetryBaseMs, Math.random, 3600_000) },
      }),
    );
    await scheduleMaintenance(queues, config);
    // A Redis that restarted without its data has lost the schedulers: put them back on reconnect.
    producer.on('ready', () => {
      scheduleMaintenance(queues, config).catch((err) => log.warn({ err }, 'schedulers not restored yet'));
    });
  }
  for (const w of workers) {
    w.on('error', (err) => log.error({ err, queue: w.name }, 'worker error'));
    w.on('failed', (job, err) => log.warn({ jobId: job?.id, job: job?.name, attempts: job?.attemptsMade, err }, 'job failed'));
  }
  feed?.start();
  webhookEvents?.start();
  // Every worker beside disks hears Dovecot's expunge events for its node.
  const events =
    config.dovecotEventsPort === null
      ? null
      : await startDovecotEvents({ db, node: config.node, mailRoot: config.mailRoot, port: config.dovecotEventsPort, logger: log });
  if (!existsSync(config.mailRoot))
    log.warn({ mailRoot: config.mailRoot }, 'MAIL_ROOT does not exist: scans of this node fail until it does (set MAIL_ROOT to where the maildirs live)');
  log.info({ queues: workers.map((w) => w.name), mailRoot: config.mailRoot }, 'workers started');

  return {
    queues,
    workers,
    async stop() {
      await Promise.all(workers.map((w) => w.close()));
      await feed?.stop();
      await webhookEvents?.stop();
      await events?.close();
      await pool.close();
      watch?.close();
      await writer.flush();
      await queues.close();
      mailer.close();
      if (noticeMailer !== mailer) noticeMailer.close();
      workerConnection.disconnect();
      producer.disconnect();
    },
  };
}
