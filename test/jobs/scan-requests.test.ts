// "Scan now" while a scan of the same mailbox is already running: the running one may have read the
// disk before what the user is asking about, so one more scan follows it. Real Redis and BullMQ.
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues, addScans, scanQueueName } from '../../jobs/queue/queues.js';
import { createRedis } from '../../server/platform/redis.js';
import { testRedisPrefix } from '../support/database.js';

const prefix = testRedisPrefix();
const redis = createRedis('redis://127.0.0.1:6379', { name: 'scan-requests-test' });
const queues = new Queues(redis, prefix);
const queue = () => queues.get(scanQueueName('n1'));
const scanJobs = async () => (await queue().getJobs(['waiting', 'active'])).map((j) => ({ data: j.data }));

beforeAll(async () => {
  await redis.connect();
});
afterAll(async () => {
  await queue().obliterate({ force: true });
  await queues.close();
  redis.disconnect();
});

describe('scan requests', () => {
  it('a request while one waits is answered by it; while one runs, one scan follows it, once', async () => {
    await addScans(queues, 'n1', [7]);
    await addScans(queues, 'n1', [7], true);
    expect(await scanJobs()).toEqual([{ data: { mailboxId: 7, full: true } }]);

    // Taken by a worker: now running.
    const worker = new Worker(scanQueueName('n1'), null, { connection: createRedis('redis://127.0.0.1:6379', { forWorker: true }), prefix, autorun: false });
    const running = await worker.getNextJob('token-1');
    expect(running?.data.mailboxId).toBe(7);

    await addScans(queues, 'n1', [7]);
    await addScans(queues, 'n1', [7]);
    const waiting = (await queue().getJobs(['waiting'])).map((j) => j.data);
    expect(waiting).toEqual([{ mailboxId: 7, followUp: true }]);
    await worker.close(true);
  });
});
