// The plan's automatic purge against the real Dovecot, through the node's queue: with the worker's
// clock eight days ahead, Trash (7 days) is purged, Junk (30 days) and INBOX are not, a mailbox whose
// customer opted out keeps everything, and the mailbox's history shows what went.
import { Writable } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../jobs/worker.js';
import { MAINTENANCE_QUEUE } from '../../jobs/queue/queues.js';
import { loadConfig } from '../../server/platform/config.js';
import { silentLogger } from '../../server/policy/logger.js';
import { startPolicyServer } from '../../server/policy/server.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { type MailStack, makeMessage, startMailStack, stackWorkerEnv } from '../support/mail-stack.js';
import { withImap as imap, messagesIn } from '../support/imap.js';
import { PanelClient } from '../support/panel.js';

const PASSWORD = 'a long mailbox password';
let t: TestApp;
let w: Tenants;
let stack: MailStack;
let workers: Awaited<ReturnType<typeof startWorkers>>;
const stops: (() => Promise<void>)[] = [];
const logger = pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));

const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: bearer(w.A.key), ...(payload && { payload }) });

const withImap = <T>(address: string, fn: (c: ImapFlow) => Promise<T>) => imap(stack, address, PASSWORD, fn);

const counts = (address: string) =>
  withImap(address, async (c) => {
    const out: Record<string, number> = {};
    for (const f of ['INBOX', 'Trash', 'Junk']) out[f] = await messagesIn(c, f);
    return out;
  });

const box = (local: string) => `${local}@${w.A.domain.name}`;

beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  const policy = await startPolicyServer({ db: t.db, databaseUrl: t.database.url, host: '127.0.0.1', port: 0, logger: silentLogger });
  stops.push(() => policy.close());
  stack = await startMailStack({ databaseName: t.database.name, policyPort: policy.port });
  stops.push(() => stack.stop());
  const config = loadConfig(stackWorkerEnv(t, stack));
  workers = await startWorkers(config, t.db, logger, { maintenance: true, now: () => new Date(Date.now() + 8 * 86_400_000) });
  stops.unshift(workers.stop);

  // The reseller sets the purge days on the plan in the panel; the customer is on that plan.
  const reseller = new PanelClient(t.app);
  await reseller.login(w.A.resellerUser.email);
  await reseller.get(`/plans/${w.A.planId}`);
  const limits = { name: 'Plan a', defaultQuota: '100 MB', maxQuota: '', maxMailboxes: '', maxStorage: '' };
  expect((await reseller.post(`/plans/${w.A.planId}/limits`, { ...limits, trashPurgeDays: 'soon' })).statusCode).toBe(400);
  expect((await reseller.post(`/plans/${w.A.planId}/limits`, { ...limits, trashPurgeDays: '7', junkPurgeDays: '30' })).statusCode).toBe(303);
  expect((await api('PATCH', `/customers/${w.A.customer.id}`, { planId: w.A.planId })).statusCode).toBe(200);

  for (const local of ['purged', 'kept']) {
    expect((await api('POST', `/domains/${w.A.domain.name}/mailboxes`, { localPart: local, password: PASSWORD })).statusCode).toBe(201);
    await withImap(box(local), async (c) => {
      for (const [folder, n] of [
        ['INBOX', 1],
        ['Trash', 2],
        ['Junk', 1],
      ] as const)
        for (let i = 0; i < n; i++) await c.append(folder, makeMessage({ from: 'a@outside.test', to: box(local), subject: `${folder} ${i}`, padTo: 2000 }));
    });
  }
  // The customer keeps one mailbox out of it.
  const kept = await api('PATCH', `/mailboxes/${box('kept')}`, { autoPurge: false });
  expect(kept.json().autoPurge).toBe(false);
}, 60_000);

afterAll(async () => {
  for (const stop of stops) await stop();
  await t.close();
});

describe('automatic purge per plan', () => {
  it('a job scheduler runs it', async () => {
    const schedulers = await workers.queues.get(MAINTENANCE_QUEUE).getJobSchedulers();
    expect(schedulers.map((s) => s.key)).toContain('auto-purge');
  });

  it('purges only Trash older than the plan’s 7 days, not Junk (30), not INBOX, not an opted-out mailbox; the history shows it', async () => {
    expect(await counts(box('purged'))).toEqual({ INBOX: 1, Trash: 2, Junk: 1 });
    // What the scheduler runs: the fan-out, which queues the round on the node.
    const fanout = await workers.queues.enqueue('purge-fanout', {}, {});
    const deadline = Date.now() + 15_000;
    while (!(await fanout.isCompleted()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    while ((await counts(box('purged'))).Trash !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await counts(box('purged'))).toEqual({ INBOX: 1, Trash: 0, Junk: 1 });
    expect(await counts(box('kept'))).toEqual({ INBOX: 1, Trash: 2, Junk: 1 });

    const rows = await t.db.selectFrom('cleanups').select(['folder', 'messages', 'requested_by', 'older_than_days']).execute();
    expect(rows).toEqual([{ folder: 'Trash', messages: 2, requested_by: 'auto-purge', older_than_days: 7 }]);
    const customer = new PanelClient(t.app);
    await customer.login(w.A.customerUser.email);
    const page = await customer.get(`/mailboxes/${box('purged')}`);
    expect(page.body).toContain('automatic, older than 7 days');
    expect(page.body).toContain('Clean up automatically: Trash after 7 days, Junk after 30 days');
  });
});
