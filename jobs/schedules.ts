import type { Config } from '../server/platform/config.js';
import { MAINTENANCE_QUEUE, type Queues } from './queue/queues.js';

/**
 * (Re)creates the periodic jobs. Called at every worker start, so a Redis that lost its data
 * gets its schedulers back at the next boot; upsert makes repeated calls harmless.
 */
/** How often the automatic purge runs. */
export const PURGE_EVERY_MS = 6 * 3600_000;

export async function scheduleMaintenance(queues: Queues, config: Config) {
  const q = queues.get(MAINTENANCE_QUEUE);
  await q.upsertJobScheduler('scan-all', { every: config.scanIntervalMinutes * 60_000 }, { name: 'scan-fanout', data: {} });
  await q.upsertJobScheduler('housekeeping', { every: 24 * 3600_000 }, { name: 'housekeeping', data: {} });
  await q.upsertJobScheduler('alerts-sweep', { every: 3600_000 }, { name: 'alerts-sweep', data: {} });
  // The plans' automatic purge of Trash and Junk: one round per node that has mailboxes to purge.
  // Webhook deliveries whose job was lost, and events a missed announcement left behind.
  await q.upsertJobScheduler('webhooks-sweep', { every: 60_000 }, { name: 'webhooks-sweep', data: {} });
  await q.upsertJobScheduler('auto-purge', { every: PURGE_EVERY_MS }, { name: 'purge-fanout', data: {} });
}
