import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';

let t: TestApp;
let w: Tenants;
beforeAll(async () => {
  // A relay nobody listens on, as with the default SMTP_URL on a machine without one.
  t = await createTestApp({ METRICS_TOKEN: 'metrics-token-for-tests', SMTP_URL: 'smtp://127.0.0.1:1', NOTICE_LMTP_URL: 'lmtp://127.0.0.1:1' });
  w = await seedTenants(t.db);
});
afterAll(() => t.close());

describe('operations endpoints', () => {
  it('/healthz and /readyz answer', async () => {
    expect((await t.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    // The relay is reported, without failing readiness: the panel works, warnings do not go out.
    expect(ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' }, relay: { smtp: 'ECONNREFUSED', noticeLmtp: 'ECONNREFUSED' } });
  });

  it('/metrics is served to localhost or with the token only', async () => {
    const local = await t.app.inject({ url: '/metrics', remoteAddress: '127.0.0.1' });
    expect(local.statusCode).toBe(200);
    expect(local.body).toContain('mailpanel_queue_jobs{queue="scan-local",state="waiting"}');
    expect(local.body).toContain('mailpanel_scan_duration_seconds');
    expect(local.body).toContain('mailpanel_policy_decisions_total');
    expect((await t.app.inject({ url: '/metrics', remoteAddress: '198.51.100.4' })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/metrics', remoteAddress: '198.51.100.4', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(403);
    expect(
      (await t.app.inject({ url: '/metrics', remoteAddress: '198.51.100.4', headers: { authorization: 'Bearer metrics-token-for-tests' } })).statusCode,
    ).toBe(200);
  });

  it('the queue board is for signed-in operators only', async () => {
    expect((await t.app.inject({ url: '/admin/queues' })).statusCode).toBe(303);
    const customer = new PanelClient(t.app);
    await customer.login(w.A.customerUser.email);
    expect((await customer.get('/admin/queues')).statusCode).toBe(303);
    expect((await customer.get('/admin/queues/api/queues')).statusCode).toBe(303);
    const operator = new PanelClient(t.app);
    await operator.login(w.operator.email);
    // Without the trailing slash (as typed) the board moves to it: its <base> needs it.
    const bare = await operator.get('/admin/queues');
    expect(bare.statusCode).toBe(301);
    expect(bare.headers.location).toBe('/admin/queues/');
    const board = await operator.get('/admin/queues/');
    expect(board.statusCode).toBe(200);
    expect(board.body).toContain('__UI_CONFIG__');
    const api = await operator.get('/admin/queues/api/queues');
    expect(api.statusCode).toBe(200);
    expect(JSON.stringify(api.json())).toContain('scan-local');
  });

  it("the queue board's changes come only from its own pages: a cross-site form or fetch is refused", async () => {
    const operator = new PanelClient(t.app);
    await operator.login(w.operator.email);
    const jobs = async () =>
      (await t.app.queues.get('maintenance').getJobCounts('waiting', 'prioritized', 'delayed', 'completed', 'active')) as Record<string, number>;
    const before = JSON.stringify(await jobs());
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    for (const headers of [
      { ...form },
      { ...form, origin: 'https://evil.example' },
      { ...form, 'sec-fetch-site': 'cross-site' },
      { 'content-type': 'application/json', 'sec-fetch-site': 'same-site' },
    ]) {
      const add = await t.app.inject({
        method: 'POST',
        url: '/admin/queues/api/queues/maintenance/add',
        headers: { cookie: operator.cookieHeader(), ...headers },
        payload: headers['content-type'] === form['content-type'] ? 'name=housekeeping&data=%7B%7D' : JSON.stringify({ name: 'housekeeping', data: {} }),
      });
      expect(add.statusCode, JSON.stringify(headers)).toBe(403);
      const pause = await t.app.inject({
        method: 'PUT',
        url: '/admin/queues/api/queues/maintenance/pause',
        headers: { cookie: operator.cookieHeader(), ...headers },
      });
      expect(pause.statusCode, JSON.stringify(headers)).toBe(403);
    }
    expect(await t.app.queues.get('maintenance').isPaused()).toBe(false);
    expect(JSON.stringify(await jobs())).toBe(before);
    // The board's own page may.
    const own = await t.app.inject({
      method: 'PUT',
      url: '/admin/queues/api/queues/maintenance/pause',
      headers: { cookie: operator.cookieHeader(), 'sec-fetch-site': 'same-origin' },
    });
    expect(own.statusCode).toBe(200);
    expect(await t.app.queues.get('maintenance').isPaused()).toBe(true);
    await t.app.queues.get('maintenance').resume();
  });
});

describe('warnings that are not going out', () => {
  it('show as retrying with their reason to staff, are counted in /metrics, and put a banner on the operator overview', async () => {
    const m = await t.db.selectFrom('mailboxes').select('id').where('address', '=', w.A.mailbox.address).executeTakeFirstOrThrow();
    const alert = await t.db
      .insertInto('alerts')
      .values({ mailbox_id: m.id, episode: 1, kind: 'warning', level: '80', used_bytes: 900, quota_bytes: 1000, created_at: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.db
      .insertInto('alert_deliveries')
      .values({
        alert_id: alert.id,
        recipient: 'contact',
        address: 'customer-a1@example.net',
        status: 'pending',
        attempts: 2,
        last_error: 'connect ECONNREFUSED 127.0.0.1:1',
      })
      .execute();
    const metrics = await t.app.inject({ url: '/metrics', remoteAddress: '127.0.0.1' });
    expect(metrics.body).toContain('mailpanel_alert_deliveries{status="retrying"} 1');

    const operator = new PanelClient(t.app);
    await operator.login(w.operator.email);
    const overview = await operator.get('/overview');
    expect(overview.body).toContain('Quota warnings are not going out: one delivery of the last day failed or is being retried.');
    expect(overview.body).toContain('Last error: connect ECONNREFUSED 127.0.0.1:1');
    const page = await operator.get(`/mailboxes/${w.A.mailbox.address}`);
    expect(page.body).toMatch(/<span class="badge bad">retrying<\/span> <span class="muted">connect ECONNREFUSED 127.0.0.1:1<\/span>/);

    // The customer sees that it is being retried, in plain words, without the relay's raw text; and no banner.
    const customer = new PanelClient(t.app);
    await customer.login(w.A.customerUser.email);
    const own = await customer.get(`/mailboxes/${w.A.mailbox.address}`);
    expect(own.body).toContain('retrying');
    expect(own.body).not.toContain('ECONNREFUSED');
    expect((await customer.get('/overview')).body).not.toContain('are not going out');
  });
});
