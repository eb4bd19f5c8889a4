import { Writable } from 'node:stream';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../jobs/worker.js';
import { loadConfig } from '../../server/platform/config.js';
import { evaluateAndQueue } from '../../server/services/alerts/evaluate.js';
import { writeUsage } from '../../server/services/usage/store.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { PASSWORD, bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';
import { startSink } from '../support/smtp-sink.js';
import { until } from '../support/wait.js';
import { startReceiver } from '../support/webhook-receiver.js';

const MB = 1024 * 1024;
const GB = 1024 * MB;
let t: TestApp;
let w: Tenants;
let sink: Awaited<ReturnType<typeof startSink>>;
let reseller: PanelClient;
let planId: number;
const stops: (() => Promise<void>)[] = [];
const silent = pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));

const api = (key: string, method: 'GET' | 'POST', url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: bearer(key), ...(payload && { payload }) });

/** A new mailbox of customer A1 with a quota of 100 MB. */
async function mailbox(localPart: string) {
  const r = await api(w.A.key, 'POST', `/domains/${w.A.domain.name}/mailboxes`, { localPart, password: PASSWORD, quotaBytes: 100 * MB });
  expect(r.statusCode).toBe(201);
  const { address } = r.json() as { address: string };
  const { id } = await t.db.selectFrom('mailboxes').select('id').where('address', '=', address).executeTakeFirstOrThrow();
  return { id, address };
}

/** The plan's limits as its form sends them: sizes offered and the automatic approval. */
async function offer(upgradeSizes: string, autoApprove = '') {
  const page = await reseller.get(`/plans/${planId}`);
  const version = /name="version" value="([^"]+)"/.exec(page.body)![1];
  const r = await reseller.post(`/plans/${planId}/limits`, {
    name: 'Plan a',
    defaultQuota: '100 MB',
    maxQuota: '',
    maxMailboxes: '',
    maxStorage: '',
    keepDeletedDays: '30',
    trashRoomPercent: '10',
    upgradeSizes,
    autoApprove,
    version,
  });
  return r;
}

const mailsTo = (to: string) => sink.received.filter((m) => m.to.includes(to));
const quotaOf = async (id: number) => (await t.db.selectFrom('mailboxes').select('quota_bytes').where('id', '=', id).executeTakeFirstOrThrow()).quota_bytes;

beforeAll(async () => {
  t = await createTestApp({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1', PUBLIC_URL: 'https://panel.example.net' });
  w = await seedTenants(t.db);
  sink = await startSink();
  planId = w.A.planId;
  await t.db.updateTable('customers').set({ plan_id: planId }).where('id', '=', w.A.customer.id).execute();
  reseller = new PanelClient(t.app);
  await reseller.login(w.A.resellerUser.email);
  const config = loadConfig({
    DATABASE_URL: t.database.url,
    REDIS_PREFIX: t.config.redisPrefix,
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    // Notices to the mailbox go to the sink too (the real quota-exempt path is proven in test/e2e-mail).
    NOTICE_LMTP_URL: 'none',
    PUBLIC_URL: 'https://panel.example.net',
    WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
  });
  const workers = await startWorkers(config, t.db, silent, { maintenance: true });
  stops.push(workers.stop);
}, 60_000);
afterAll(async () => {
  for (const s of stops) await s();
  await sink.close();
  await t.close();
});

describe('requests for more space', () => {
  it('the plan offers sizes; a bad list is refused next to its field', async () => {
    const bad = await offer('1 GB, lots');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/id="upgradeSizes-error">Enter a size like 500 MB or 2 GB\./);
    expect((await offer('2 GB, 1 GB, 200 MB')).statusCode).toBe(303);
    const plan = await t.db.selectFrom('plans').select(['upgrade_sizes', 'auto_approve_bytes']).where('id', '=', planId).executeTakeFirstOrThrow();
    expect(plan).toEqual({ upgrade_sizes: [200 * MB, GB, 2 * GB], auto_approve_bytes: null });
    expect((await reseller.get(`/plans/${planId}`)).body).toContain('value="200 MB, 1 GB, 2 GB"');
  });

  it('an owner asks on its own page; the reseller hears of it (email, webhook) and approves; everyone is told', async () => {
    const receiver = await startReceiver();
    stops.push(receiver.close);
    const hook = (await api(w.A.key, 'POST', '/webhooks', { url: receiver.url, events: ['space_request.created'] })).json() as { secret: string };
    const m = await mailbox('grow');
    const owner = new PanelClient(t.app);
    await owner.loginOwner(m.address);
    const page = await owner.get('/my');
    expect(page.body).toContain('Request more space');
    expect(page.body).toMatch(new RegExp(`<option value="${200 * MB}">200 MB</option>`));
    expect(page.body).not.toContain(`value="${50 * MB}"`);

    const wrong = await owner.post('/my/space-request', { bytes: String(300 * MB), note: '' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('Choose one of the sizes offered.');
    const asked = await owner.post('/my/space-request', { bytes: String(GB), note: 'Our invoices\nneed room' });
    expect(asked.statusCode).toBe(303);
    expect(asked.headers.location).toBe('/my?notice=space-requested#space-h');
    const again = await owner.post('/my/space-request', { bytes: String(2 * GB), note: '' });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('already has an open request');

    // The reseller's queue, in the API and the panel; another reseller sees nothing of it.
    const open = (await api(w.A.key, 'GET', '/space-requests?status=open')).json().items as {
      id: number;
      address: string;
      requestedBytes: number;
      note: string;
    }[];
    const r = open.find((x) => x.address === m.address)!;
    expect(r).toMatchObject({ requestedBytes: GB, note: 'Our invoices\nneed room' });
    expect((await api(w.B.key, 'GET', '/space-requests')).json().items.map((x: { address: string }) => x.address)).not.toContain(m.address);
    expect((await api(w.B.key, 'GET', `/space-requests/${r.id}`)).statusCode).toBe(404);
    expect((await api(w.B.key, 'POST', `/space-requests/${r.id}/approve`)).statusCode).toBe(404);
    expect((await api(w.A.customerKey, 'POST', `/space-requests/${r.id}/approve`)).statusCode).toBe(404);
    expect((await reseller.get('/space-requests')).body).toContain(`href="/space-requests/${r.id}"`);

    const told = await until(
      'the reseller is told',
      async () => mailsTo('reseller-a@example.net'),
      (x) => x.some((y) => y.raw.includes(m.address)),
    );
    expect(told.find((x) => x.raw.includes(m.address))!.raw).toContain(`https://panel.example.net/space-requests/${r.id}`);
    const [delivery] = await until(
      'the webhook arrives',
      async () => receiver.received,
      (x) => x.length > 0,
    );
    const body = new Webhook(hook.secret).verify(delivery.body, {
      'webhook-id': String(delivery.headers['webhook-id']),
      'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
      'webhook-signature': String(delivery.headers['webhook-signature']),
    }) as { type: string; data: { address: string; quotaBytes: number; request: { id: number; requestedBytes: number; note: string } } };
    expect(body.type).toBe('space_request.created');
    expect(body.data).toMatchObject({ address: m.address, quotaBytes: 100 * MB, request: { id: r.id, requestedBytes: GB, note: 'Our invoices\nneed room' } });

    const approved = await api(w.A.key, 'POST', `/space-requests/${r.id}/approve`);
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', quotaBytes: GB, fromBytes: 100 * MB });
    expect(await quotaOf(m.id)).toBe(GB);
    expect((await api(w.A.key, 'POST', `/space-requests/${r.id}/approve`)).statusCode).toBe(409);
    const audit = await t.db.selectFrom('audit_log').select('action').where('object_id', '=', m.address).execute();
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['space_request.create', 'mailbox.update', 'space_request.approve']));
    for (const to of [m.address, 'customer-a1@example.net'])
      await until(
        `${to} is told`,
        async () => mailsTo(to),
        (x) => x.some((y) => y.raw.includes(`Subject: More space for ${m.address}: now 1 GB`)),
      );
    // No larger size is left below 2 GB... but 2 GB is: the page offers it, and no longer 200 MB.
    const after = (await owner.get('/my')).body;
    expect(after).not.toContain(`value="${200 * MB}"`);
    expect(after).toContain(`value="${2 * GB}"`);
  });

  it('a customer asks in the panel, the reseller declines with a reason; withdrawing works; three a day at most', async () => {
    const m = await mailbox('decline');
    const customer = new PanelClient(t.app);
    await customer.login(w.A.customerUser.email);
    expect((await customer.post(`/mailboxes/${m.address}/space-request`, { bytes: String(200 * MB), note: '' })).statusCode).toBe(303);
    const id = (await t.db.selectFrom('space_requests').select('id').where('mailbox_id', '=', m.id).executeTakeFirstOrThrow()).id;
    // Customers do not answer requests.
    expect((await customer.get(`/space-requests/${id}`)).statusCode).toBe(404);
    expect((await customer.post(`/space-requests/${id}/approve`, {})).statusCode).toBe(404);

    const empty = await reseller.post(`/space-requests/${id}/decline`, { reason: '  ' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Say why, so the customer knows what to do next.');
    expect((await reseller.post(`/space-requests/${id}/decline`, { reason: 'Please empty Trash first.' })).statusCode).toBe(303);
    expect(await quotaOf(m.id)).toBe(100 * MB);
    await until(
      'the owner hears why',
      async () => mailsTo(m.address),
      (x) => x.some((y) => y.raw.includes('Please empty Trash first.')),
    );
    expect((await customer.get(`/mailboxes/${m.address}`)).body).toContain('Please empty Trash first.');

    // Withdrawn by the customer: the mailbox may ask again, up to three times a day.
    expect((await customer.post(`/mailboxes/${m.address}/space-request`, { bytes: String(GB), note: '' })).statusCode).toBe(303);
    const second = (await t.db.selectFrom('space_requests').select('id').where('mailbox_id', '=', m.id).where('status', '=', 'open').executeTakeFirstOrThrow())
      .id;
    expect((await customer.post(`/mailboxes/${m.address}/space-request/withdraw`, { id: String(second) })).statusCode).toBe(303);
    const third = await api(w.A.customerKey, 'POST', `/mailboxes/${m.address}/space-requests`, { bytes: GB });
    expect(third.statusCode).toBe(201);
    expect((await api(w.A.customerKey, 'POST', `/space-requests/${third.json().id}/withdraw`)).json().status).toBe('withdrawn');
    const fourth = await api(w.A.customerKey, 'POST', `/mailboxes/${m.address}/space-requests`, { bytes: GB });
    expect(fourth.statusCode).toBe(422);
    expect(fourth.json()).toMatchObject({ error: 'limit_exceeded', limit: 'requests_per_day' });
    expect(await t.db.selectFrom('space_requests').select('status').where('mailbox_id', '=', m.id).orderBy('id').execute()).toEqual([
      { status: 'declined' },
      { status: 'withdrawn' },
      { status: 'withdrawn' },
    ]);
  });

  it('the plan approves up to a size by itself, and the reseller hears of it', async () => {
    expect((await offer('200 MB, 1 GB, 2 GB', '1 GB')).statusCode).toBe(303);
    const m = await mailbox('auto');
    const small = await api(w.A.customerKey, 'POST', `/mailboxes/${m.address}/space-requests`, { bytes: GB, note: 'now please' });
    expect(small.statusCode).toBe(201);
    expect(small.json()).toMatchObject({ status: 'approved', decidedBy: 'auto-approve', quotaBytes: GB });
    expect(await quotaOf(m.id)).toBe(GB);
    await until(
      'the reseller hears',
      async () => mailsTo('reseller-a@example.net'),
      (x) => x.some((y) => y.raw.includes(`Approved automatically: ${m.address}`)),
    );
    // Above the automatic size: the reseller decides.
    const big = await api(w.A.customerKey, 'POST', `/mailboxes/${m.address}/space-requests`, { bytes: 2 * GB });
    expect(big.json()).toMatchObject({ status: 'open' });
    expect(await quotaOf(m.id)).toBe(GB);
  });

  it('the warning email offers more space when the plan does', async () => {
    const m = await mailbox('warned');
    await t.db.updateTable('mailboxes').set({ node: 'elsewhere' }).where('id', '=', m.id).execute();
    await writeUsage(t.db, [{ mailboxId: m.id, bytes: 92 * MB, messages: 1, scannedAt: new Date(), state: null, full: true }]);
    await evaluateAndQueue(t.db, t.app.queues, [m.id]);
    const [mail] = await until(
      'the warning arrives',
      async () => mailsTo(m.address),
      (x) => x.length > 0,
    );
    expect(mail.raw).toContain('Or ask for more space');
    expect(mail.raw).toContain('https://panel.example.net/my#space-h');
  });
});
