import type { Config } from '../server/platform/config.js';
import { MAINTENANCE_QUEUE, type Queues, scanQueueName } from './queue/queues.js';

/**
 * (Re)creates the periodic jobs. Called at every worker start, so a Redis that lost its data
 * gets its schedulers back at the next boot; upsert makes repeated calls harmless.
 */
export async function scheduleMaintenance(queues: Queues, config: Config) {
  const q = queues.get(MAINTENANCE_QUEUE);
  await q.upsertJobScheduler('scan-all', { every: config.scanIntervalMinutes * 60_000 }, { name: 'scan-fanout', data: {} });
  await q.upsertJobScheduler('housekeeping', { every: 24 * 3600_000 }, { name: 'housekeeping', data: {} });
  await q.upsertJobScheduler('alerts-sweep', { every: 3600_000 }, { name: 'alerts-sweep', data: {} });
}

/** How often each node purges Trash and Junk by its plans' days. */
export const PURGE_EVERY_MS = 6 * 3600_000;

/** The schedulers of one storage node, on its own queue: run by every worker beside disks. */
export async function scheduleNode(queues: Queues, node: string) {
  await queues.get(scanQueueName(node)).upsertJobScheduler(`purge-${node}`, { every: PURGE_EVERY_MS }, { name: 'purge-round', data: { node } });
}
