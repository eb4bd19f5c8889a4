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

const ownLimits = async (address: string) =>
  (await t.db.selectFrom('mailboxes').select('send_limits').where('address', '=', address).executeTakeFirstOrThrow()).send_limits;

describe('send limits in the panel', () => {
  it("the reseller sets a plan's limits and a mailbox's own; the mailbox page shows which apply", async () => {
    const reseller = new PanelClient(t.app);
    await reseller.login(w.A.resellerUser.email);
    const plan = await reseller.get(`/plans/${w.A.planId}`);
    const version = /name="version" value="([^"]+)"/.exec(plan.body)![1];
    const saved = await reseller.post(`/plans/${w.A.planId}/limits`, {
      name: `Plan A`,
      defaultQuota: '100 MB',
      sendPerHour: '100',
      sendPerDay: '',
      sendRecipients: 'lots',
      version,
    });
    // A figure that is not a whole number is refused next to its field; nothing is saved.
    expect(saved.statusCode).toBe(400);
    expect(saved.body).toContain('Enter a whole number from 1 to 1,000,000, or leave it empty for no limit.');
    expect((await t.db.selectFrom('plans').select('send_per_hour').where('id', '=', w.A.planId).executeTakeFirstOrThrow()).send_per_hour).toBeNull();
    const ok = await reseller.post(`/plans/${w.A.planId}/limits`, {
      name: 'Plan A',
      defaultQuota: '100 MB',
      sendPerHour: '100',
      sendPerDay: '',
      sendRecipients: '50',
      version,
    });
    expect(ok.statusCode).toBe(303);
    await t.db.updateTable('customers').set({ plan_id: w.A.planId }).where('id', '=', w.A.customer.id).execute();

    const address = w.A.mailbox.address;
    const page = await reseller.get(`/mailboxes/${address}`);
    expect(page.body).toMatch(/The plan(&#39;|')s limits apply\./);
    expect(page.body).toMatch(/Messages per hour: <strong>100<\/strong>/);
    expect(page.body).toMatch(/Messages per day: <strong>no limit<\/strong>/);
    const own = await reseller.post(`/mailboxes/${address}/send-limits`, { perHour: '5', perDay: '20', recipients: '' });
    expect(own.statusCode).toBe(303);
    expect(await ownLimits(address)).toEqual({ perHour: 5, perDay: 20, recipientsPerMessage: null });
    expect((await reseller.get(`/mailboxes/${address}`)).body).toContain('This mailbox has limits of its own.');
    expect((await reseller.post(`/mailboxes/${address}/send-limits`, { usePlan: 'on', perHour: '', perDay: '', recipients: '' })).statusCode).toBe(303);
    expect(await ownLimits(address)).toBeNull();
  });

  it('customers see the limits but cannot change them, in the panel or the API', async () => {
    const customer = new PanelClient(t.app);
    await customer.login(w.A.customerUser.email);
    const address = w.A.mailbox.address;
    const page = await customer.get(`/mailboxes/${address}`);
    expect(page.body).toContain('Send limits');
    expect(page.body).not.toContain(`action="/mailboxes/${address}/send-limits"`);
    const tried = await customer.post(`/mailboxes/${address}/send-limits`, { perHour: '100000', perDay: '', recipients: '' });
    expect(tried.statusCode).toBe(403);
    expect(await ownLimits(address)).toBeNull();
    const api = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/mailboxes/${address}`,
      headers: bearer(w.A.customerKey),
      payload: { sendLimits: { perHour: 100000, perDay: null, recipientsPerMessage: null } },
    });
    expect(api.statusCode).toBe(403);
    expect(await ownLimits(address)).toBeNull();
  });
});
