// Findings of the outside test that are one request each: each reproduced as it was reported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskUrl } from '../../server/platform/logging.js';
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

const api = (method: string, url: string, key: string, payload?: object) =>
  t.app.inject({ method: method as 'POST', url: `/api/v1${url}`, headers: bearer(key), ...(payload && { payload }) });

describe('domains of other tenants', () => {
  it("a reseller cannot claim a subdomain (or a parent) of another tenant's domain; its own customer can add its subdomain", async () => {
    for (const name of [`mail.${w.A.domain.name}`, `deep.mail.${w.A.domain.name}`]) {
      const res = await api('POST', `/customers/${w.B.customer.id}/domains`, w.B.key, { name });
      expect(res.statusCode, name).toBe(409);
      expect(res.json().field).toBe('name');
    }
    expect((await api('POST', `/customers/${w.A.customer.id}/domains`, w.A.key, { name: `mail.${w.A.domain.name}` })).statusCode).toBe(201);
    // The parent of a domain someone else has: refused too.
    const parent = w.B.domain.name.split('.').slice(1).join('.');
    if (parent.includes('.')) expect((await api('POST', `/customers/${w.A.customer.id}/domains`, w.A.key, { name: parent })).statusCode).toBe(409);
    expect((await t.db.selectFrom('domains').select('name').where('customer_id', '=', w.B.customer.id).execute()).map((d) => d.name)).toEqual([
      w.B.domain.name,
    ]);
  });
});

describe('what a customer sees of alerts', () => {
  it("shows neither the reseller's contact address nor the relay's raw error", async () => {
    const alert = await t.db
      .insertInto('alerts')
      .values({ mailbox_id: w.A.mailbox.id, episode: 1, kind: 'warning', level: '80', used_bytes: 1, quota_bytes: 2, created_at: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.db
      .insertInto('alert_deliveries')
      .values([
        {
          alert_id: alert.id,
          recipient: 'reseller',
          address: 'reseller-a@example.net',
          status: 'failed',
          last_error: '550 5.1.1 relay.internal.example: user unknown',
        },
        { alert_id: alert.id, recipient: 'mailbox', address: w.A.mailbox.address, status: 'failed', last_error: '421 4.7.0 mx7.internal.example too busy' },
      ])
      .execute();
    const customer = new PanelClient(t.app);
    await customer.login(w.A.customerUser.email);
    const page = await customer.get(`/mailboxes/${w.A.mailbox.address}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('reseller-a@example.net');
    expect(page.body).not.toContain('internal.example');
    // Staff see both.
    const reseller = new PanelClient(t.app);
    await reseller.login(w.A.resellerUser.email);
    const staff = await reseller.get(`/mailboxes/${w.A.mailbox.address}`);
    expect(staff.body).toContain('reseller-a@example.net');
    expect(staff.body).toContain('mx7.internal.example');
  });
});

describe('small holes', () => {
  it('?notice=constructor (or any prototype key) shows no notice', async () => {
    const c = new PanelClient(t.app);
    await c.login(w.A.customerUser.email);
    for (const url of [`/mailboxes/${w.A.mailbox.address}`, `/domains/${w.A.domain.name}`]) {
      for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
        const res = await c.get(`${url}?notice=${key}`);
        expect(res.statusCode, `${url} ${key}`).toBe(200);
        expect(res.body, `${url} ${key}`).not.toMatch(/function |\[native code\]/);
      }
    }
  });

  it('request logs keep no query values but harmless ones, and no tokens in paths', () => {
    expect(maskUrl('/api/v1/domains/a.example/mailboxes?q=alice&page=2&token=abc')).toBe(
      '/api/v1/domains/a.example/mailboxes?q=[redacted]&page=2&token=[redacted]',
    );
    expect(maskUrl('/setup/SECRETTOKEN1234?x=1')).toBe('/setup/[redacted]?x=[redacted]');
    expect(maskUrl('/reset/SECRETTOKEN1234')).toBe('/reset/[redacted]');
  });

  it('a request with a secret in its query leaves no trace of it in the log', async () => {
    const c = new PanelClient(t.app);
    await c.login(w.A.customerUser.email);
    await c.get(`/domains/${w.A.domain.name}?q=s3cr3t-search-term&page=1`);
    await t.app.inject({ url: '/login?next=%2Fsecret-next-value' });
    const all = t.logs.join('\n');
    expect(all).not.toContain('s3cr3t-search-term');
    expect(all).not.toContain('secret-next-value');
  });
});

describe('revoking an API key', () => {
  it('asks first, naming the key, and revokes only when confirmed', async () => {
    const c = new PanelClient(t.app);
    await c.login(w.A.resellerUser.email);
    const list = await c.get('/api-keys');
    expect(list.body).toContain(`href="/api-keys/${w.A.keyId}/revoke"`);
    const ask = await c.get(`/api-keys/${w.A.keyId}/revoke`);
    expect(ask.statusCode).toBe(200);
    expect(ask.body).toContain('key a');
    expect(ask.body).toContain('cannot be used again');
    // A one-click post (an old page, a script) gets the question, not the revocation.
    const oneClick = await c.post(`/api-keys/${w.A.keyId}/revoke`, {});
    expect(oneClick.statusCode).toBe(200);
    expect((await t.db.selectFrom('api_keys').select('revoked_at').where('id', '=', w.A.keyId).executeTakeFirstOrThrow()).revoked_at).toBeNull();
    const done = await c.post(`/api-keys/${w.A.keyId}/revoke`, { confirm: 'true' });
    expect(done.statusCode).toBe(303);
    expect((await t.db.selectFrom('api_keys').select('revoked_at').where('id', '=', w.A.keyId).executeTakeFirstOrThrow()).revoked_at).not.toBeNull();
    expect((await t.app.inject({ url: '/api/v1/customers', headers: bearer(w.A.key) })).statusCode).toBe(401);
  });
});
