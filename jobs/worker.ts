import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../db/database.js';
import type { Config } from '../server/config.js';
import { createRedis } from '../server/redis.js';
import { BatchWriter } from './batch-writer.js';
import { scanFanoutHandler } from './handlers/scan-fanout.js';
import { scanMailboxHandler } from './handlers/scan-mailbox.js';
import { MAINTENANCE_QUEUE, Queues, scanQueueName } from './queues.js';
import { checkHandlers, type Handlers, type JobName } from './registry.js';
import { pruneSamples } from './usage-store.js';
import { scheduleMaintenance } from './schedules.js';

export interface WorkerOptions {
  /** Also run fan-out and housekeeping (the central worker); a scanner beside remote disks does not. */
  maintenance: boolean;
}

/**
 * Starts the job workers of this process: the scan queue of its node, and optionally the
 * maintenance queue with its schedulers. Returns a stop function for SIGTERM: workers stop taking
 * jobs, finish the active ones, then connections close.
 */
export async function startWorkers(config: Config, db: Db, logger: Logger, opts: WorkerOptions) {
  const log = logger.child({ role: 'worker', node: config.node });
  // Separate connections: producers fail fast, workers block and retry forever.
  const producer = createRedis(config.redisUrl, { name: 'mailpanel-producer' });
  await producer.connect();
  const queues = new Queues(producer, config.redisPrefix);
  const writer = new BatchWriter(db, (changes) => {
    for (const c of changes) log.info({ mailboxId: c.mailboxId, from: c.from, to: c.to }, 'quota level changed');
  });

  const handlers: Partial<Handlers> = {
    'scan-mailbox': scanMailboxHandler({ db, node: config.node, mailRoot: config.mailRoot, fullScanHours: config.fullScanHours, writer, logger: log }),
    'scan-fanout': scanFanoutHandler(db, queues),
    'prune-samples': async () => ({ deleted: await pruneSamples(db, config.sampleRetentionDays) }),
  };
  checkHandlers(handlers);

  const dispatch = async (job: Job) => (handlers[job.name as JobName] as (j: Job) => Promise<unknown>)(job);
  const workerConnection = createRedis(config.redisUrl, { forWorker: true, name: 'mailpanel-worker' });
  const common = { connection: workerConnection, prefix: config.redisPrefix, stalledInterval: config.stalledMs, lockDuration: config.stalledMs, maxStalledCount: 1 };
  const workers = [new Worker(scanQueueName(config.node), dispatch, { ...common, concurrency: config.scanConcurrency })];
  if (opts.maintenance) {
    workers.push(new Worker(MAINTENANCE_QUEUE, dispatch, { ...common, concurrency: 1 }));
    await scheduleMaintenance(queues, config);
  }
  for (const w of workers) {
    w.on('error', (err) => log.error({ err: err.message, queue: w.name }, 'worker error'));
    w.on('failed', (job, err) => log.warn({ jobId: job?.id, job: job?.name, attempts: job?.attemptsMade, err: err.message }, 'job failed'));
  }
  log.info({ queues: workers.map((w) => w.name), mailRoot: config.mailRoot }, 'workers started');

  return {
    queues,
    workers,
    async stop() {
      await Promise.all(workers.map((w) => w.close()));
      await writer.flush();
      await queues.close();
      workerConnection.disconnect();
      producer.disconnect();
    },
  };
}
