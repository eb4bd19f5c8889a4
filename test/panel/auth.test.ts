import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_ADDRESS_LIMIT, ADDRESS_LIMIT, DEVICE_LIMIT, HARD_LIMIT, SOFT_LIMIT } from '../../server/services/auth/throttle.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { PASSWORD, seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';

let t: TestApp;
let w: Tenants;
beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
});
afterAll(() => t.close());

describe('panel login', () => {
  it('signs each role in and sends it to its home page', async () => {
    for (const [email, home] of [
      [w.operator.email, '/overview'],
      [w.A.resellerUser.email, '/overview'],
      [w.A.customerUser.email, '/overview'],
    ]) {
      const c = new PanelClient(t.app);
      const res = await c.login(email);
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe(home);
      const page = await c.get(home);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain(email);
    }
  });

  it('sets a __Host- cookie that is Secure, HttpOnly and SameSite', async () => {
    const c = new PanelClient(t.app);
    await c.get('/login');
    const res = await c.post('/login', { email: w.A.customerUser.email, password: PASSWORD });
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((s) => s.startsWith('__Host-mailpanel='))!;
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/Domain=/);
  });

  it('answers a wrong password and an unknown user alike', async () => {
    const c = new PanelClient(t.app);
    await c.get('/login');
    const wrong = await c.post('/login', { email: w.A.customerUser.email, password: 'wrong password' });
    const unknown = await c.post('/login', { email: 'nobody@panel.test', password: 'wrong password' });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const message = (html: string) => /<div class="alert error" role="alert">([^<]*)</.exec(html)?.[1];
    expect(message(wrong.body)).toBe(message(unknown.body));
    expect(message(wrong.body)).toBeTruthy();
  });

  it('refuses a form without the CSRF token, or with a wrong one', async () => {
    const c = new PanelClient(t.app);
    await c.get('/login');
    expect((await c.post('/login', { email: w.A.customerUser.email, password: PASSWORD }, { csrf: null })).statusCode).toBe(403);
    expect((await c.post('/login', { email: w.A.customerUser.email, password: PASSWORD }, { csrf: 'x'.repeat(32) })).statusCode).toBe(403);
    await c.login(w.A.customerUser.email);
    const before = await t.db.selectFrom('mailboxes').select('pop3_enabled').where('address', '=', w.A.mailbox.address).executeTakeFirstOrThrow();
    const res = await c.post(`/mailboxes/${w.A.mailbox.address}/protocols`, { imap: 'on' }, { csrf: null });
    expect(res.statusCode).toBe(403);
    const forged = await c.post(`/mailboxes/${w.A.mailbox.address}/protocols`, { imap: 'on' }, { csrf: 'forged-token-forged-token-forged' });
    expect(forged.statusCode).toBe(403);
    const after = await t.db.selectFrom('mailboxes').select('pop3_enabled').where('address', '=', w.A.mailbox.address).executeTakeFirstOrThrow();
    expect(after).toEqual(before);
  });

  it('gives a new session id at login and ends the session on the server at logout', async () => {
    const c = new PanelClient(t.app);
    await c.login(w.A.customerUser.email);
    const first = c.cookies.get('__Host-mailpanel');
    await c.login(w.A.customerUser.email);
    const second = c.cookies.get('__Host-mailpanel');
    expect(second).toBeTruthy();
    expect(second).not.toBe(first);

    const stolen = second!;
    const out = await c.post('/logout', {});
    expect(out.statusCode).toBe(303);
    const replay = await t.app.inject({ method: 'GET', url: '/domains', headers: { cookie: `__Host-mailpanel=${stolen}` } });
    expect(replay.statusCode).toBe(303);
    expect(replay.headers.location).toMatch(/^\/login/);
  });

  it('ends sessions at once when the customer is suspended', async () => {
    const c = new PanelClient(t.app);
    await c.login(w.B.customerUser.email);
    expect((await c.get('/domains')).statusCode).toBe(200);
    await t.db.updateTable('customers').set({ active: false }).where('id', '=', w.B.customer.id).execute();
    expect((await c.get('/domains')).statusCode).toBe(303);
    await t.db.updateTable('customers').set({ active: true }).where('id', '=', w.B.customer.id).execute();
  });

  it('stops an address after its failures on one account, and an address guessing across accounts', async () => {
    const c = new PanelClient(t.app);
    await c.get('/login');
    const ip = '203.0.113.7';
    for (let i = 0; i < ACCOUNT_ADDRESS_LIMIT; i++) {
      expect((await c.post('/login', { email: w.A.resellerUser.email, password: `wrong ${i}` }, { remoteAddress: ip })).statusCode).toBe(401);
    }
    // Throttled before the password is looked at: the right one is refused too.
    expect((await c.post('/login', { email: w.A.resellerUser.email, password: PASSWORD }, { remoteAddress: ip })).statusCode).toBe(429);
    const wide = '203.0.113.8';
    for (let i = 0; i < ADDRESS_LIMIT; i++) await t.app.throttle.failed({ kind: 'login', account: `nobody${i}@example.org`, ip: wide });
    expect((await c.post('/login', { email: w.B.resellerUser.email, password: PASSWORD }, { remoteAddress: wide })).statusCode).toBe(429);
    const ttl = await t.app.redis.ttl(`${t.config.redisPrefix}:secret-fail:login:ip:${wide}`);
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it('cannot be used to lock the owner out: an address with no failures, or a known device, still signs in', async () => {
    const owner = w.operator.email;
    // The owner signs in once from a laptop: it is now a known device.
    const laptop = new PanelClient(t.app);
    expect((await laptop.login(owner, PASSWORD, '198.51.100.1')).statusCode).toBe(303);
    await laptop.post('/logout', {});
    // An attacker guesses from one address until throttled...
    const attacker = new PanelClient(t.app);
    await attacker.get('/login');
    for (let i = 0; i < SOFT_LIMIT; i++) await attacker.post('/login', { email: owner, password: `guess ${i}` }, { remoteAddress: '192.0.2.66' });
    expect((await attacker.post('/login', { email: owner, password: 'guess again' }, { remoteAddress: '192.0.2.66' })).statusCode).toBe(429);
    // ...while the owner signs in from home, an address without failures, and from the laptop.
    expect((await new PanelClient(t.app).login(owner, PASSWORD, '198.51.100.2')).statusCode).toBe(303);
    expect((await laptop.login(owner, PASSWORD, '198.51.100.3')).statusCode).toBe(303);
    await laptop.post('/logout', {});
    // A botnet: failures from many addresses up to the hard limit. No new address may try any more...
    for (let i = 0; i < HARD_LIMIT; i++) await t.app.throttle.failed({ kind: 'login', account: owner, ip: `10.9.${i >> 8}.${i & 255}` });
    expect((await new PanelClient(t.app).login(owner, PASSWORD, '198.51.100.4')).statusCode).toBe(429);
    // ...but the known device still signs in, and its own failures are counted on their own.
    expect((await laptop.login(owner, PASSWORD, '198.51.100.5')).statusCode).toBe(303);
    await laptop.post('/logout', {});
    await laptop.get('/login');
    for (let i = 0; i < DEVICE_LIMIT; i++)
      expect((await laptop.post('/login', { email: owner, password: `typo ${i}` }, { remoteAddress: '198.51.100.5' })).statusCode).toBe(401);
    expect((await laptop.post('/login', { email: owner, password: PASSWORD }, { remoteAddress: '198.51.100.5' })).statusCode).toBe(429);
  });

  it('answers a suspended customer like a wrong password, right password or not', async () => {
    await t.db.updateTable('customers').set({ active: false }).where('id', '=', w.B.customer.id).execute();
    try {
      const c = new PanelClient(t.app);
      const right = await c.login(w.B.customerUser.email, PASSWORD, '198.51.100.20');
      const wrong = await c.login(w.B.customerUser.email, 'not the password', '198.51.100.21');
      expect(right.statusCode).toBe(401);
      expect(wrong.statusCode).toBe(401);
      const masked = (html: string) => html.replace(/name="_csrf" value="[^"]+"/g, '').replace(/"x-csrf-token": "[^"]+"/g, '');
      expect(masked(right.body)).toBe(masked(wrong.body));
    } finally {
      await t.db.updateTable('customers').set({ active: true }).where('id', '=', w.B.customer.id).execute();
    }
  });

  it('signing out clears the session cookie with the attributes it was set with', async () => {
    const c = new PanelClient(t.app);
    await c.login(w.A.customerUser.email, PASSWORD, '198.51.100.30');
    const res = await c.post('/logout', {});
    const cleared = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((h) => h.startsWith('__Host-mailpanel='));
    expect(cleared).toBeDefined();
    expect(cleared).toMatch(/; Secure/);
    expect(cleared).toMatch(/; Path=\//);
  });

  it('never logs passwords or session tokens', () => {
    const all = t.logs.join('\n');
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain('wrong password');
    expect(all).not.toMatch(/__Host-mailpanel=[A-Za-z0-9_-]{20}/);
  });
});

describe('first start', () => {
  it('a one-time setup link creates the operator once', async () => {
    const fresh = await createTestApp();
    try {
      const { announceSetupLink } = await import('../../server/startup.js');
      const link = (await announceSetupLink(fresh.db, 'http://127.0.0.1:8080'))!;
      const path = new URL(link).pathname;
      const c = new PanelClient(fresh.app);
      expect((await c.get(path)).statusCode).toBe(200);
      const weak = await c.post(path, { email: 'boss@example.com', password: 'short' });
      expect(weak.statusCode).toBe(400);
      expect(weak.body).toContain('at least');
      const ok = await c.post(path, { email: 'boss@example.com', password: 'a strong password' });
      expect(ok.statusCode).toBe(303);
      expect((await c.get('/resellers')).statusCode).toBe(200);
      expect((await new PanelClient(fresh.app).get(path)).statusCode).toBe(404);
      expect(await announceSetupLink(fresh.db, 'http://x')).toBeNull();
    } finally {
      await fresh.close();
    }
  });
});
