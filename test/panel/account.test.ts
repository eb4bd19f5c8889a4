import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpAt } from '../../server/core/totp.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { PASSWORD, bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';

let t: TestApp;
let w: Tenants;
beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
});
afterAll(() => t.close());

/** The code of the step `offset` steps from now (the app accepts one step of drift either way). */
const codeFor = (secret: string, offset = 0) => totpAt(secret, Math.floor(Date.now() / 1000) + offset * 30);

describe('TOTP second factor', () => {
  it('is set up with a confirmed code and then asked for at every sign-in', async () => {
    // Codes are chosen by step; start early in a step so none ends halfway through the test.
    const left = 30_000 - (Date.now() % 30_000);
    if (left < 10_000) await new Promise((r) => setTimeout(r, left + 100));
    const c = new PanelClient(t.app);
    await c.login(w.A.resellerUser.email);
    await c.get('/account');
    const started = await c.post('/account/totp/start', {});
    const secret = /<code id="totp-secret">([A-Z2-7]+)<\/code>/.exec(started.body)![1];
    expect((await c.post('/account/totp/confirm', { code: '000000' })).statusCode).toBe(400);
    expect((await c.post('/account/totp/confirm', { code: codeFor(secret, -1) })).statusCode).toBe(303);

    const next = new PanelClient(t.app);
    const res = await next.login(w.A.resellerUser.email);
    expect(res.headers.location).toBe('/login/totp');
    // Before the code, the session opens nothing.
    const blocked = await next.get('/customers');
    expect(blocked.statusCode).toBe(303);
    expect(blocked.headers.location).toBe('/login/totp');
    await next.get('/login/totp');
    const pendingCookie = next.cookies.get('__Host-mailpanel');
    expect((await next.post('/login/totp', { code: '123456' })).statusCode).toBe(401);
    const ok = await next.post('/login/totp', { code: codeFor(secret) });
    // The same code a second time, as someone who saw it would send it: refused.
    const replay = new PanelClient(t.app);
    await replay.login(w.A.resellerUser.email);
    await replay.get('/login/totp');
    expect((await replay.post('/login/totp', { code: codeFor(secret) })).statusCode).toBe(401);
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/overview');
    expect(next.cookies.get('__Host-mailpanel')).not.toBe(pendingCookie);
    expect((await next.get('/customers')).statusCode).toBe(200);

    // The page asked for before sign-in is where the second factor leads.
    const deep = new PanelClient(t.app);
    await deep.get('/login');
    const first = await deep.post('/login', { email: w.A.resellerUser.email, password: PASSWORD, next: '/plans' });
    expect(first.headers.location).toBe('/login/totp?next=%2Fplans');
    await deep.get(first.headers.location as string);
    expect((await deep.post('/login/totp', { code: codeFor(secret, 1), next: '/plans' })).headers.location).toBe('/plans');

    // Time passes: the next code is one the app has not seen yet.
    await t.db.updateTable('users').set({ totp_last_step: null }).where('email', '=', w.A.resellerUser.email).execute();
    expect((await next.post('/account/totp/disable', { code: codeFor(secret) })).statusCode).toBe(303);
    const plain = new PanelClient(t.app);
    expect((await plain.login(w.A.resellerUser.email)).headers.location).toBe('/overview');
  });
});

describe('every TOTP code check is throttled', () => {
  it('wrong codes to confirm and to disable end in 429, right code included, from a session', async () => {
    const c = new PanelClient(t.app);
    await c.login(w.B.resellerUser.email, PASSWORD, '198.51.100.40');
    await c.get('/account');
    const started = await c.post('/account/totp/start', {});
    const secret = /<code id="totp-secret">([A-Z2-7]+)<\/code>/.exec(started.body)![1];
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++)
      statuses.push((await c.post('/account/totp/confirm', { code: String(100000 + i) }, { remoteAddress: '198.51.100.40' })).statusCode);
    expect(statuses.slice(0, 5)).toEqual([400, 400, 400, 400, 400]);
    expect(statuses).toContain(429);
    expect((await c.post('/account/totp/confirm', { code: codeFor(secret) }, { remoteAddress: '198.51.100.40' })).statusCode).toBe(429);

    // Enabled from another address; then the disable form is guessed at.
    await t.db.updateTable('users').set({ totp_enabled: true, totp_secret: secret }).where('email', '=', w.B.resellerUser.email).execute();
    const d = new PanelClient(t.app);
    await d.login(w.B.resellerUser.email, PASSWORD, '198.51.100.41');
    await d.get('/login/totp');
    expect((await d.post('/login/totp', { code: codeFor(secret) }, { remoteAddress: '198.51.100.41' })).statusCode).toBe(303);
    await d.get('/account');
    const disable: number[] = [];
    for (let i = 0; i < 150 && !disable.includes(429); i++)
      disable.push((await d.post('/account/totp/disable', { code: String(200000 + i) }, { remoteAddress: '198.51.100.41' })).statusCode);
    expect(disable).toContain(429);
    expect(disable.length).toBeLessThanOrEqual(20);
  });
});

describe('acting as a customer', () => {
  it('switches to a new session scoped to the customer, audited, and back', async () => {
    const c = new PanelClient(t.app);
    await c.login(w.A.resellerUser.email);
    await c.get(`/customers/${w.A.customer.id}`);
    const before = c.cookies.get('__Host-mailpanel');
    expect((await c.post(`/customers/${w.B.customer.id}/act`, {})).statusCode).toBe(404);
    const res = await c.post(`/customers/${w.A.customer.id}/act`, {});
    expect(res.statusCode).toBe(303);
    expect(c.cookies.get('__Host-mailpanel')).not.toBe(before);
    const domains = await c.get('/domains');
    expect(domains.body).toContain(w.A.domain.name);
    expect(domains.body).toContain('Stop acting as customer');
    // The header says which customer.
    expect(domains.body).toContain(`Acting as ${w.A.customer.name}`);
    expect((await c.get('/customers')).statusCode).toBe(404);
    await c.post('/act/stop', {});
    expect((await c.get('/customers')).statusCode).toBe(200);
    const audit = await t.db.selectFrom('audit_log').select(['action', 'actor']).where('action', 'like', 'session.%').orderBy('id').execute();
    expect(audit).toEqual([
      { action: 'session.act_as', actor: `user:${w.A.resellerUser.email}` },
      { action: 'session.act_stop', actor: `user:${w.A.resellerUser.email}` },
    ]);
  });
});

describe('API key limits', () => {
  it('honours the client address allow-list and the expiry', async () => {
    const c = new PanelClient(t.app);
    await c.login(w.A.resellerUser.email);
    await c.get('/api-keys');
    const bad = await c.post('/api-keys', { name: 'bad', allowedCidrs: '10.0.0.0/33' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('prefix length');
    const created = await c.post('/api-keys', { name: 'office only', allowedCidrs: '198.51.100.0/24, 2001:db8::/32', expiresDays: '30' });
    expect(created.statusCode).toBe(201);
    const key = /<code id="new-key">([^<]+)<\/code>/.exec(created.body)![1];
    const from = (ip: string) => t.app.inject({ method: 'GET', url: '/api/v1/customers', headers: bearer(key), remoteAddress: ip });
    expect((await from('198.51.100.77')).statusCode).toBe(200);
    expect((await from('2001:db8::1')).statusCode).toBe(200);
    expect((await from('203.0.113.5')).statusCode).toBe(401);
    await t.db
      .updateTable('api_keys')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('name', '=', 'office only')
      .execute();
    expect((await from('198.51.100.77')).statusCode).toBe(401);
  });

  it('a panel page refuses an API key', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/domains', headers: bearer(w.A.key) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/login/);
  });
});
