// The mailbox owner's own page: sign-in with the mailbox's address and password, only that mailbox
// in sight, password change, and the throttle shared with panel logins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox } from '../../server/services/mailboxes/service.js';
import { writeUsage } from '../../server/services/usage/store.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { PASSWORD, bearer, resellerPrincipal, seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';

let t: TestApp;
let w: Tenants;
let sibling: string;
beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  // Another mailbox of the same customer: the owner must see nothing of it either.
  sibling = (await createMailbox(t.db, resellerPrincipal(w.A.reseller.id), w.A.domain.name, { localPart: 'sibling', password: PASSWORD }, 10)).address;
  const m = await t.db.selectFrom('mailboxes').select('id').where('address', '=', w.A.mailbox.address).executeTakeFirstOrThrow();
  const state = {
    v: 1,
    root: 1,
    folders: [
      ['', 1, 5000, 3, 1, 0, 0],
      ['.Junk', 1, 2000, 2, 1, 0, 0],
    ],
  };
  await writeUsage(t.db, [{ mailboxId: m.id, bytes: 7000, messages: 5, scannedAt: new Date(), state, full: true }]);
});
afterAll(() => t.close());

describe("the mailbox owner's own page", () => {
  it('signs in with the address and mailbox password and shows that mailbox only', async () => {
    const owner = new PanelClient(t.app);
    const r = await owner.loginOwner(w.A.mailbox.address.toUpperCase());
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe('/my');
    const page = await owner.get('/my');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(w.A.mailbox.address);
    expect(page.body).toMatch(/Empty Junk: frees [0-9.]+ KB/);
    expect(page.body).toContain('Mail client settings');
    expect(page.body).toContain('action="/my/cleanup/preview"');
    // Every form on the page posts to a route of the owner's own.
    for (const [, action] of page.body.matchAll(/<form[^>]*action="([^"]+)"/g)) {
      expect(action).toMatch(/^\/my\//);
      expect(t.app.hasRoute({ method: 'POST', url: action }), action).toBe(true);
    }
    for (const other of [sibling, w.B.mailbox.address, w.A.customer.contact_email, w.A.customerUser.email]) expect(page.body).not.toContain(other);
    // Staff pages are not for the owner's session: they ask for a staff sign-in.
    for (const url of ['/overview', `/domains/${w.A.domain.name}`, `/mailboxes/${w.A.mailbox.address}`, `/mailboxes/${sibling}`]) {
      const staff = await owner.get(url);
      expect(staff.statusCode, url).toBe(303);
      expect(staff.headers.location).toMatch(/^\/login/);
    }
    // Nor does the API take the owner's cookie.
    const api = await t.app.inject({ method: 'GET', url: `/api/v1/mailboxes/${w.A.mailbox.address}`, headers: { cookie: owner.cookieHeader() } });
    expect(api.statusCode).toBe(401);
  });

  it('answers a wrong password, an unknown address and a suspended mailbox alike', async () => {
    const client = new PanelClient(t.app);
    const answers: string[] = [];
    for (const [address, password] of [
      [w.A.mailbox.address, 'not the password'],
      [`nobody@${w.A.domain.name}`, PASSWORD],
    ]) {
      const r = await client.loginOwner(address, password, '10.9.0.1');
      expect(r.statusCode).toBe(401);
      answers.push(/class="alert error"[^>]*>([^<]*)/.exec(r.body)?.[1] ?? r.body);
    }
    await t.app.inject({ method: 'PATCH', url: `/api/v1/mailboxes/${sibling}`, headers: bearer(w.A.key), payload: { active: false } });
    const suspended = await client.loginOwner(sibling, PASSWORD, '10.9.0.1');
    expect(suspended.statusCode).toBe(401);
    answers.push(/class="alert error"[^>]*>([^<]*)/.exec(suspended.body)?.[1] ?? suspended.body);
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).toContain('The address or password is wrong.');
  });

  it('changes its password with the current one; every other session of the mailbox ends; CSRF is required', async () => {
    const a = new PanelClient(t.app);
    const b = new PanelClient(t.app);
    await a.loginOwner(w.A.mailbox.address, PASSWORD, '10.2.0.1');
    await b.loginOwner(w.A.mailbox.address, PASSWORD, '10.2.0.2');
    expect((await a.post('/my/password', { current: PASSWORD, password: 'a brand new passphrase 42' }, { csrf: null })).statusCode).toBe(403);
    const wrong = await a.post('/my/password', { current: 'wrong', password: 'a brand new passphrase 42' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toMatch(/id="current-error">The current password is wrong/);
    const ok = await a.post('/my/password', { current: PASSWORD, password: 'a brand new passphrase 42' });
    expect(ok.statusCode).toBe(303);
    expect((await a.get('/my')).statusCode).toBe(200);
    expect((await b.get('/my')).statusCode).toBe(303);
    expect((await new PanelClient(t.app).loginOwner(w.A.mailbox.address, 'a brand new passphrase 42', '10.2.0.3')).statusCode).toBe(303);
    // A password set by staff ends the owner's sessions too.
    await t.app.inject({ method: 'PATCH', url: `/api/v1/mailboxes/${w.A.mailbox.address}`, headers: bearer(w.A.key), payload: { password: PASSWORD } });
    expect((await a.get('/my')).statusCode).toBe(303);
  });

  it('signs out', async () => {
    const c = new PanelClient(t.app);
    await c.loginOwner(w.A.mailbox.address, PASSWORD, '10.3.0.1');
    const out = await c.post('/my/logout', {});
    expect(out.statusCode).toBe(303);
    expect((await c.get('/my')).statusCode).toBe(303);
  });

  // Last: its failures leave the account past the soft limit for the rest of the hour.
  it('is throttled like panel logins, without locking the owner out of a known device', async () => {
    const attacker = new PanelClient(t.app);
    let last = 0;
    for (let i = 0; i < 12; i++) last = (await attacker.loginOwner(w.A.mailbox.address, `guess ${i}`, '10.66.0.1')).statusCode;
    expect(last).toBe(429);
    // The attacker's address stays refused even with the right password.
    expect((await attacker.loginOwner(w.A.mailbox.address, PASSWORD, '10.66.0.1')).statusCode).toBe(429);
    // The owner, from another address, still gets in.
    expect((await new PanelClient(t.app).loginOwner(w.A.mailbox.address, PASSWORD, '10.1.2.3')).statusCode).toBe(303);
  });
});
