// One customer's import cannot starve everyone's: a file the plan cannot take is refused before any
// row is hashed, customers' imports run side by side, and one customer runs one import at a time.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../jobs/worker.js';
import { loadConfig } from '../../server/platform/config.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';
import { until } from '../support/wait.js';
import { upload } from './helpers.js';

let t: TestApp;
let w: Tenants;
let a: PanelClient;
let b: PanelClient;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  a = new PanelClient(t.app);
  await a.login(w.A.customerUser.email);
  b = new PanelClient(t.app);
  await b.login(w.B.customerUser.email);
  const logger = pino(
    { level: 'silent' },
    new Writable({
      write(_c, _e, cb) {
        cb();
      },
    }),
  );
  const workers = await startWorkers(
    loadConfig({ DATABASE_URL: t.database.url, REDIS_PREFIX: t.config.redisPrefix, MAIL_ROOT: '/nonexistent-mail-root' }),
    t.db,
    logger,
    { maintenance: true },
  );
  stops.push(workers.stop);
});
afterAll(async () => {
  for (const s of stops) await s();
  await t.close();
});

const rows = (n: number, prefix: string, password = true) =>
  ['address,password', ...Array.from({ length: n }, (_, i) => `${prefix}${i},${password ? `Tr0ub4dor-${prefix}-${i}-x9` : ''}`)].join('\n');
const status = (id: number) => t.db.selectFrom('mailbox_imports').select(['status', 'created', 'failed']).where('id', '=', id).executeTakeFirstOrThrow();
async function startedImport(client: PanelClient, domain: string, csv: string) {
  await client.get(`/domains/${domain}/import`);
  const res = await upload(t.app, client, domain, csv);
  expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
  return Number((res.headers.location as string).split('/')[2]);
}

describe('imports and the plan', () => {
  it('a 600-row file for a plan that allows no more mailboxes is refused at once, before any row', async () => {
    const plan = await t.db
      .insertInto('plans')
      .values({ reseller_id: w.B.reseller.id, name: 'none left', max_mailboxes: 1 })
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.db.updateTable('customers').set({ plan_id: plan.id }).where('id', '=', w.B.customer.id).execute();
    try {
      await b.get(`/domains/${w.B.domain.name}/import`);
      const started = Date.now();
      const res = await upload(t.app, b, w.B.domain.name, rows(600, 'over'));
      expect(Date.now() - started).toBeLessThan(3000);
      expect(res.statusCode).toBe(422);
      expect(res.body).toContain('0 more fit, and this file has 600');
      expect(await t.db.selectFrom('mailbox_imports').select('id').where('id', 'not in', [w.A.importId, w.B.importId]).execute()).toEqual([]);
    } finally {
      await t.db.updateTable('customers').set({ plan_id: null }).where('id', '=', w.B.customer.id).execute();
    }
  });
});

describe('imports of several customers', () => {
  it("a customer's 1-row import finishes while another customer's long import runs; one customer runs one at a time", async () => {
    const long = await startedImport(a, w.A.domain.name, rows(120, 'bulk'));
    const second = await startedImport(a, w.A.domain.name, rows(3, 'later'));
    await until(
      'long import running',
      () => status(long),
      (s) => s.status === 'running',
      30_000,
    );
    const small = await startedImport(b, w.B.domain.name, rows(1, 'one'));
    const smallDone = await until(
      'small import done',
      () => status(small),
      (s) => s.status === 'done',
      30_000,
    );
    expect(smallDone.created).toBe(1);
    // The other customer's import is still going: B did not wait for it.
    expect((await status(long)).status).toBe('running');
    // A's second import waits its turn while its first runs.
    expect((await status(second)).status).toBe('queued');
    await until(
      'long import done',
      () => status(long),
      (s) => s.status === 'done',
      120_000,
    );
    expect(
      (
        await until(
          'second import done',
          () => status(second),
          (s) => s.status === 'done',
          30_000,
        )
      ).created,
    ).toBe(3);
  });
});
