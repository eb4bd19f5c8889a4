// Panel passwords after the login exists: change one's own, staff hand out a one-time link, a
// departed employee's login is removed, and "forgot password" sends a short-lived link by email.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { PASSWORD, seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';
import { startSink } from '../support/smtp-sink.js';

let t: TestApp;
let w: Tenants;
let sink: Awaited<ReturnType<typeof startSink>>;
const NEW = 'Kettle-Orbit-Marble-77';

beforeAll(async () => {
  sink = await startSink();
  t = await createTestApp({ SMTP_URL: `smtp://127.0.0.1:${sink.port}`, PUBLIC_URL: 'https://panel.example.net' });
  w = await seedTenants(t.db);
});
afterAll(async () => {
  await t.close();
  await sink.close();
});

const signedIn = async (c: PanelClient) => (await c.get('/domains')).statusCode === 200;

describe("one's own password", () => {
  it('asks for the current one, checks the new one, and ends the other sessions but this one', async () => {
    const here = new PanelClient(t.app);
    await here.login(w.A.customerUser.email);
    const elsewhere = new PanelClient(t.app);
    await elsewhere.login(w.A.customerUser.email);
    await here.get('/account/password');
    expect((await here.post('/account/password', { current: 'not it at all', password: NEW })).statusCode).toBe(400);
    const weak = await here.post('/account/password', { current: PASSWORD, password: 'aaaaaaaaaaaa' });
    expect(weak.statusCode).toBe(400);
    expect(weak.body).toContain('too easy to guess');
    expect((await here.post('/account/password', { current: PASSWORD, password: NEW })).statusCode).toBe(303);
    expect(await signedIn(here)).toBe(true);
    expect(await signedIn(elsewhere)).toBe(false);
    expect((await new PanelClient(t.app).login(w.A.customerUser.email, PASSWORD)).statusCode).toBe(401);
    expect((await new PanelClient(t.app).login(w.A.customerUser.email, NEW)).statusCode).toBe(303);
  });
});

describe('staff and the logins below them', () => {
  it('a reseller hands a customer login a one-time link: it signs the login out, sets a password once', async () => {
    const customer = new PanelClient(t.app);
    await customer.login(w.B.customerUser.email);
    const staff = new PanelClient(t.app);
    await staff.login(w.B.resellerUser.email);
    const page = await staff.get(`/customers/${w.B.customer.id}`);
    expect(page.body).toContain(`/logins/${w.B.customerUser.id}/reset`);
    const made = await staff.post(`/logins/${w.B.customerUser.id}/reset`, {});
    expect(made.statusCode).toBe(200);
    const url = /<code id="reset-link">([^<]+)<\/code>/.exec(made.body)![1];
    expect(url).toMatch(/^https:\/\/panel\.example\.net\/reset\/[A-Za-z0-9_-]{30,}$/);
    expect(await signedIn(customer)).toBe(false);
    const path = new URL(url).pathname;
    const user = new PanelClient(t.app);
    expect((await user.get(path)).statusCode).toBe(200);
    expect((await user.post(path, { password: 'aaaaaaaaaaaa' })).statusCode).toBe(400);
    const set = await user.post(path, { password: NEW });
    expect(set.statusCode).toBe(303);
    expect(set.headers.location).toBe('/login?notice=password-set');
    // Once only.
    expect((await new PanelClient(t.app).get(path)).statusCode).toBe(404);
    expect((await new PanelClient(t.app).login(w.B.customerUser.email, NEW)).statusCode).toBe(303);
  });

  it("another tenant's staff can neither make a link for a login nor remove it", async () => {
    const other = new PanelClient(t.app);
    await other.login(w.A.resellerUser.email);
    expect((await other.post(`/logins/${w.B.customerUser.id}/reset`, {})).statusCode).toBe(404);
    expect((await other.get(`/logins/${w.B.customerUser.id}/remove`)).statusCode).toBe(404);
    expect((await other.post(`/logins/${w.B.customerUser.id}/remove`, {})).statusCode).toBe(404);
    expect((await other.post(`/logins/${w.B.resellerUser.id}/remove`, {})).statusCode).toBe(404);
    expect((await other.post(`/logins/${w.operator.id}/reset`, {})).statusCode).toBe(404);
    // Nor its own login (that is "change password").
    expect((await other.post(`/logins/${w.A.resellerUser.id}/remove`, {})).statusCode).toBe(404);
    expect(await t.db.selectFrom('users').select('id').where('id', '=', w.B.customerUser.id).executeTakeFirst()).toBeDefined();
  });

  it("removing a departed employee's login signs it out at once, after a confirmation that says so", async () => {
    const staff = new PanelClient(t.app);
    await staff.login(w.A.resellerUser.email);
    await staff.post(`/customers/${w.A.customer.id}/logins`, { loginEmail: 'leaver@example.org', loginPassword: NEW });
    const leaver = await t.db.selectFrom('users').select('id').where('email', '=', 'leaver@example.org').executeTakeFirstOrThrow();
    const session = new PanelClient(t.app);
    await session.login('leaver@example.org', NEW);
    expect(await signedIn(session)).toBe(true);
    const ask = await staff.get(`/logins/${leaver.id}/remove`);
    expect(ask.body).toContain('signed out at once');
    expect((await staff.post(`/logins/${leaver.id}/remove`, { confirm: 'true' })).statusCode).toBe(303);
    expect(await signedIn(session)).toBe(false);
    expect((await new PanelClient(t.app).login('leaver@example.org', NEW)).statusCode).toBe(401);
  });

  it('the operator adds a login to a reseller', async () => {
    const op = new PanelClient(t.app);
    await op.login(w.operator.email);
    await op.get(`/resellers/${w.A.reseller.id}`);
    expect((await op.post(`/resellers/${w.A.reseller.id}/logins`, { loginEmail: 'second@reseller.example', loginPassword: NEW })).statusCode).toBe(303);
    expect((await new PanelClient(t.app).login('second@reseller.example', NEW)).statusCode).toBe(303);
  });
});

describe('forgot password', () => {
  it('mails a one-hour link to a login, answers the same for an unknown address, and the link works once', async () => {
    const anon = new PanelClient(t.app);
    await anon.get('/forgot');
    const known = await anon.post('/forgot', { email: w.A.resellerUser.email });
    const unknown = await anon.post('/forgot', { email: 'nobody-here@example.org' });
    const strip = (h: string) => h.replace(/name="_csrf" value="[^"]+"/g, '').replace(/"x-csrf-token": "[^"]+"/g, '');
    expect(known.statusCode).toBe(200);
    expect(strip(known.body)).toBe(strip(unknown.body));
    for (let i = 0; i < 50 && sink.received.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(sink.received).toHaveLength(1);
    expect(sink.received[0].to).toEqual([w.A.resellerUser.email]);
    const link = /https:\/\/panel\.example\.net(\/reset\/[A-Za-z0-9_-]+)/.exec(sink.received[0].raw.replace(/=\r?\n/g, ''))![1];
    const user = new PanelClient(t.app);
    await user.get(link);
    expect((await user.post(link, { password: NEW })).statusCode).toBe(303);
    const again = new PanelClient(t.app);
    await again.get('/login');
    expect((await again.post(link, { password: NEW })).statusCode).toBe(404);
    const row = await t.db.selectFrom('password_resets').select(['expires_at', 'created_at', 'kind']).where('kind', '=', 'email').executeTakeFirstOrThrow();
    expect((row.expires_at.getTime() - row.created_at.getTime()) / 60_000).toBeCloseTo(60, 0);
  });

  it('asking again and again is throttled and sends no flood of mail', async () => {
    const anon = new PanelClient(t.app);
    await anon.get('/forgot');
    const before = sink.received.length;
    for (let i = 0; i < 30; i++) await anon.post('/forgot', { email: w.B.resellerUser.email }, { remoteAddress: '198.51.100.77' });
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.received.length - before).toBeLessThanOrEqual(10);
  });
});
