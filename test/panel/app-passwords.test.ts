import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';

let t: TestApp;
let w: Tenants;
beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
});
afterAll(() => t.close());

describe('app passwords in the panel and the API', () => {
  it('the owner creates one on its own page, sees it once, and revokes it; the main password is kept off IMAP', async () => {
    const owner = new PanelClient(t.app);
    await owner.loginOwner(w.A.mailbox.address);
    const bad = await owner.post('/my/app-passwords', { name: 'phone', expiresOn: '', networks: 'not-a-net' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Choose at least one of IMAP, POP3, SMTP and ManageSieve.');
    const made = await owner.post('/my/app-passwords', { name: 'phone', protocols: ['imap', 'smtp'], expiresOn: '', networks: '203.0.113.0/24' });
    expect(made.statusCode).toBe(201);
    const secret = /<code id="new-app-password">([^<]+)<\/code>/.exec(made.body)![1];
    expect(secret).toMatch(/^[a-z2-9]{8}-/);
    const page = await owner.get('/my');
    expect(page.body).toContain('<strong>phone</strong> · IMAP, SMTP');
    expect(page.body).not.toContain(secret);
    const row = await t.db.selectFrom('app_passwords').selectAll().where('id', '=', secret.slice(0, 8)).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ protocols: ['imap', 'smtp'], allow_nets: '203.0.113.0/24' });
    expect(row.password_hash).not.toContain(secret);

    expect((await owner.post('/my/main-password', { protocols: ['pop3', 'smtp'] })).statusCode).toBe(303);
    const m = await t.db.selectFrom('mailboxes').select('main_password_protocols').where('address', '=', w.A.mailbox.address).executeTakeFirstOrThrow();
    expect(m.main_password_protocols).toEqual(['pop3', 'smtp']);

    expect((await owner.post('/my/app-passwords/revoke', { appPasswordId: row.id })).headers.location).toBe('/my?notice=app-password-revoked#app-h');
    expect(await t.db.selectFrom('app_passwords').select('id').where('id', '=', row.id).executeTakeFirst()).toBeUndefined();
  });

  it('the API shows the password only in the create answer; another reseller sees none of it', async () => {
    const url = `/api/v1/mailboxes/${w.A.mailbox.address}/app-passwords`;
    const made = await t.app.inject({
      method: 'POST',
      url,
      headers: bearer(w.A.key),
      payload: { name: 'laptop', protocols: ['pop3'], expiresAt: '2099-01-01T00:00:00Z' },
    });
    expect(made.statusCode).toBe(201);
    const { id, password } = made.json();
    const list = await t.app.inject({ method: 'GET', url, headers: bearer(w.A.key) });
    expect(list.json().items.find((a: { id: string }) => a.id === id)).toMatchObject({ name: 'laptop', protocols: ['pop3'], networks: [] });
    expect(list.body).not.toContain(password);
    expect((await t.app.inject({ method: 'GET', url, headers: bearer(w.B.key) })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `${url}/${id}`, headers: bearer(w.B.key) })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `${url}/${id}`, headers: bearer(w.A.key) })).statusCode).toBe(204);
    const past = await t.app.inject({
      method: 'POST',
      url,
      headers: bearer(w.A.key),
      payload: { name: 'old', protocols: ['imap'], expiresAt: '2001-01-01T00:00:00Z' },
    });
    expect(past.statusCode).toBe(400);
  });
});
