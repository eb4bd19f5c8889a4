import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';

let t: TestApp;
let w: Tenants;
let reseller: PanelClient;
beforeAll(async () => {
  // The operator allows this name, so no lookup is needed for it.
  t = await createTestApp({ WEBHOOK_ALLOW_HOSTS: 'billing.reseller-a.example' });
  w = await seedTenants(t.db);
  reseller = new PanelClient(t.app);
  await reseller.login(w.A.resellerUser.email);
});
afterAll(() => t.close());

describe('webhooks in the panel', () => {
  it('a reseller adds one, sees its secret once, switches it off and on, and deletes it after confirming', async () => {
    await reseller.get('/webhooks');
    const bad = await reseller.post('/webhooks', { url: 'http://10.0.0.1/hook', events: ['quota.full'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/id="url-error">The URL must point to a public address/);
    const none = await reseller.post('/webhooks', { url: 'https://billing.reseller-a.example/hook', events: [] });
    expect(none.body).toContain('Choose at least one event.');
    const created = await reseller.post('/webhooks', { url: 'https://billing.reseller-a.example/hook', events: ['quota.full', 'quota.recovered'] });
    expect(created.statusCode).toBe(201);
    const secret = /<code id="new-secret">(whsec_[A-Za-z0-9+/=]+)<\/code>/.exec(created.body)?.[1];
    expect(secret).toBeTruthy();
    const list = await reseller.get('/webhooks');
    expect(list.body).not.toContain(secret!);
    const id = Number(/href="\/webhooks\/(\d+)">https:\/\/billing\.reseller-a\.example\/hook/.exec(list.body)![1]);
    expect((await reseller.get(`/webhooks/${id}`)).body).toContain('Delivery log');
    expect((await reseller.post(`/webhooks/${id}/switch`, { enabled: 'false' })).headers.location).toBe(`/webhooks/${id}?notice=disabled`);
    expect((await t.db.selectFrom('webhooks').select('enabled').where('id', '=', id).executeTakeFirstOrThrow()).enabled).toBe(false);
    await reseller.post(`/webhooks/${id}/switch`, { enabled: 'true' });
    const ask = await reseller.post(`/webhooks/${id}/delete`, {});
    expect(ask.statusCode).toBe(200);
    expect(await t.db.selectFrom('webhooks').select('id').where('id', '=', id).executeTakeFirst()).toBeTruthy();
    expect((await reseller.post(`/webhooks/${id}/delete`, { confirm: 'true' })).statusCode).toBe(303);
    expect(await t.db.selectFrom('webhooks').select('id').where('id', '=', id).executeTakeFirst()).toBeUndefined();
  });

  it('is not for customers, nor for another reseller', async () => {
    const customer = new PanelClient(t.app);
    await customer.login(w.A.customerUser.email);
    expect((await customer.get('/webhooks')).statusCode).toBe(404);
    expect((await customer.get(`/webhooks/${w.A.webhookId}`)).statusCode).toBe(404);
    expect((await reseller.get(`/webhooks/${w.B.webhookId}`)).statusCode).toBe(404);
    expect((await reseller.get(`/webhooks/${w.A.webhookId}`)).statusCode).toBe(200);
  });
});
