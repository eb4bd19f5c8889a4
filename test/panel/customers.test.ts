import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('a customer created with its panel login', () => {
  it('is created together with the login, or not at all, even when two requests race for one login', async () => {
    const a = new PanelClient(t.app);
    const b = new PanelClient(t.app);
    await a.login(w.A.resellerUser.email);
    await b.login(w.A.resellerUser.email);
    await a.get('/customers');
    await b.get('/customers');
    const form = (name: string) => ({ name, contactEmail: 'shop@example.org', loginEmail: 'shop-owner@example.org', loginPassword: PASSWORD });
    const results = await Promise.all([a.post('/customers', form('Shop One')), b.post('/customers', form('Shop Two'))]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([303, 409]);
    const loser = results.find((r) => r.statusCode === 409)!;
    expect(loser.body).toMatch(/id="loginEmail-error">[^<]*already exists/);
    const shops = await t.db.selectFrom('customers').select('name').where('name', 'like', 'Shop %').execute();
    expect(shops).toHaveLength(1);
    const login = await t.db.selectFrom('users').select('customer_id').where('email', '=', 'shop-owner@example.org').executeTakeFirstOrThrow();
    const owner = await t.db.selectFrom('customers').select('name').where('id', '=', login.customer_id!).executeTakeFirstOrThrow();
    expect(owner.name).toBe(shops[0].name);
  });
});

describe('the overview', () => {
  it('shows staff the fullest mailboxes of their customers only, with counts per level', async () => {
    const ids = await t.db.selectFrom('mailboxes').select(['id', 'address']).execute();
    await t.db
      .insertInto('mailbox_usage')
      .values(
        ids.map((m, i) => ({ mailbox_id: m.id, used_bytes: (i + 1) * 200 * 1024 * 1024, messages: 1, scanned_at: new Date(), level: i === 0 ? '80' : '95' })),
      )
      .execute();
    const reseller = new PanelClient(t.app);
    await reseller.login(w.B.resellerUser.email);
    const page = await reseller.get('/overview');
    expect(page.body).toContain(w.B.mailbox.address);
    expect(page.body).not.toContain(w.A.mailbox.address);
    expect(page.body).toContain('Nearest to full');
    expect(page.body).toMatch(/lvl-95" href="\/overview\?level=95#list-h"><span class="stat">1<\/span>/);
    const customer = new PanelClient(t.app);
    await customer.login(w.A.customerUser.email);
    const own = await customer.get('/overview');
    expect(own.body).toContain(w.A.mailbox.address);
    expect(own.body).not.toContain(w.B.mailbox.address);
  });
});

describe('long input', () => {
  it('comes back as an error beside the field with everything typed kept, and the inputs carry their limits', async () => {
    const r = new PanelClient(t.app);
    await r.login(w.A.resellerUser.email);
    const page = await r.get('/customers');
    expect(page.body).toMatch(/id="name"[^>]*maxlength="200"/);
    expect(page.body).toMatch(/id="contactEmail"[^>]*maxlength="254"/);
    const long = 'N'.repeat(201);
    const res = await r.post('/customers', { name: long, contactEmail: 'kept@example.org' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/id="name-error">[^<]*at most 200 characters/);
    expect(res.body).toContain(`value="${long}"`);
    expect(res.body).toContain('value="kept@example.org"');
    // Plans and API keys alike (100 characters).
    await r.get('/plans');
    const plan = await r.post('/plans', { name: 'P'.repeat(101), defaultQuota: '500 MB' });
    expect(plan.statusCode).toBe(400);
    expect(plan.body).toMatch(/id="name-error">[^<]*at most 100 characters/);
    const keys = await r.get('/api-keys');
    expect(keys.body).toMatch(/id="name"[^>]*maxlength="100"/);
  });
});

describe('a stale customer page', () => {
  it('cannot undo a change made meanwhile: refused with the current state shown; long names on the edit form come back beside the field', async () => {
    const r = new PanelClient(t.app);
    await r.login(w.A.resellerUser.email);
    const page = await r.get(`/customers/${w.A.customer.id}`);
    const version = /name="version" value="([^"]+)"/.exec(page.body)![1];
    // Someone else renames the customer through the API.
    const api = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/customers/${w.A.customer.id}`,
      headers: { authorization: `Bearer ${w.A.key}` },
      payload: { name: 'Renamed Meanwhile' },
    });
    expect(api.statusCode).toBe(200);
    const stale = await r.post(`/customers/${w.A.customer.id}/update`, { name: 'Old Page Name', contactEmail: 'x@example.org', version });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('changed by someone else in the meantime');
    expect(stale.body).toContain('value="Renamed Meanwhile"');
    expect((await t.db.selectFrom('customers').select('name').where('id', '=', w.A.customer.id).executeTakeFirstOrThrow()).name).toBe('Renamed Meanwhile');
    const long = await r.post(`/customers/${w.A.customer.id}/update`, { name: 'L'.repeat(201), contactEmail: 'x@example.org' });
    expect(long.statusCode).toBe(400);
    expect(long.body).toMatch(/id="name-error">[^<]*at most 200 characters/);
  });
});
