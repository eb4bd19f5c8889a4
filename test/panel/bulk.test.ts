import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox } from '../../server/services/mailboxes/service.js';
import { writeUsage } from '../../server/services/usage/store.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { PASSWORD, resellerPrincipal, seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';

let t: TestApp;
let w: Tenants;
let customer: PanelClient;
let domain: string;
let boxes: string[];
const MB = 1024 * 1024;
beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  domain = w.A.domain.name;
  const rp = resellerPrincipal(w.A.reseller.id);
  boxes = [];
  for (const local of ['one', 'two', 'three'])
    boxes.push((await createMailbox(t.db, rp, domain, { localPart: local, password: PASSWORD, quotaBytes: 100 * MB }, 10)).address);
  customer = new PanelClient(t.app);
  await customer.login(w.A.customerUser.email);
});
afterAll(() => t.close());

const state = async () =>
  Object.fromEntries(
    (await t.db.selectFrom('mailboxes').select(['address', 'active', 'quota_bytes']).where('address', 'in', boxes).execute()).map((m) => [
      m.address,
      { active: m.active, quota: m.quota_bytes },
    ]),
  );

describe('several mailboxes at once', () => {
  it('the list offers a checkbox per mailbox and the actions', async () => {
    const page = (await customer.get(`/domains/${domain}`)).body;
    expect(page).toContain(`<form id="bulk-form" class="bulk" method="post" action="/domains/${domain}/mailboxes/bulk">`);
    for (const a of boxes) expect(page).toContain(`name="address" value="${a}" form="bulk-form"`);
  });

  it('suspends after a confirmation that lists them and says what happens; resumes the same way', async () => {
    const before = await state();
    const ask = await customer.post(`/domains/${domain}/mailboxes/bulk`, { action: 'suspend', address: boxes.slice(0, 2) });
    expect(ask.statusCode).toBe(200);
    expect(ask.body).toContain('Suspend 2 mailboxes?');
    expect(ask.body).toContain('stop receiving mail');
    expect(await state()).toEqual(before);
    const done = await customer.post(`/domains/${domain}/mailboxes/bulk`, { action: 'suspend', address: boxes.slice(0, 2), confirm: 'yes' });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe(`/domains/${domain}?notice=bulk-suspend`);
    const after = await state();
    expect([after[boxes[0]].active, after[boxes[1]].active, after[boxes[2]].active]).toEqual([false, false, true]);
    await customer.get(`/domains/${domain}`);
    expect((await customer.post(`/domains/${domain}/mailboxes/bulk`, { action: 'resume', address: boxes, confirm: 'yes' })).statusCode).toBe(303);
    expect(Object.values(await state()).every((m) => m.active)).toBe(true);
  });

  it('asks for one quota, names the mailboxes it would make full, then changes all', async () => {
    await writeUsage(t.db, [
      {
        mailboxId: Number((await t.db.selectFrom('mailboxes').select('id').where('address', '=', boxes[0]).executeTakeFirstOrThrow()).id),
        bytes: 60 * MB,
        messages: 1,
        scannedAt: new Date(),
        state: null,
        full: true,
      },
    ]);
    const ask = await customer.post(`/domains/${domain}/mailboxes/bulk`, { action: 'quota', address: boxes });
    expect(ask.body).toContain('id="quota"');
    const bad = await customer.post(`/domains/${domain}/mailboxes/bulk`, { action: 'quota', address: boxes, quota: 'lots' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/id="quota-error">Enter the quota/);
    const review = await customer.post(`/domains/${domain}/mailboxes/bulk`, { action: 'quota', address: boxes, quota: '50 MB' });
    expect(review.body).toContain('New quota: 50 MB');
    expect(review.body).toMatch(/One of them already holds more than that[^<]*one@/);
    expect((await customer.post(`/domains/${domain}/mailboxes/bulk`, { action: 'quota', address: boxes, quota: '50 MB', confirm: 'yes' })).statusCode).toBe(
      303,
    );
    expect(Object.values(await state()).map((m) => m.quota)).toEqual([50 * MB, 50 * MB, 50 * MB]);
  });

  it("changes none when one of them breaks the plan or is not the user's", async () => {
    const before = await state();
    // Room for two of the three raises (50 MB → 200 MB each), not for the third.
    const quotas = await t.db.selectFrom('mailboxes').select('quota_bytes').where('address', 'like', `%@${domain}`).execute();
    const limit = quotas.reduce((a, m) => a + m.quota_bytes, 0) + 2 * 150 * MB + 75 * MB;
    await t.db.updateTable('plans').set({ max_storage_bytes: limit }).where('id', '=', w.A.planId).execute();
    await t.db.updateTable('customers').set({ plan_id: w.A.planId }).where('id', '=', w.A.customer.id).execute();
    await customer.get(`/domains/${domain}`);
    const over = await customer.post(`/domains/${domain}/mailboxes/bulk`, { action: 'quota', address: boxes, quota: '200 MB', confirm: 'yes' });
    expect(over.statusCode).toBe(422);
    expect(over.body).toMatch(/id="quota-error">The plan allows at most [\d.]+ [MG]B of storage in total/);
    expect(await state()).toEqual(before);
    const foreign = await customer.post(`/domains/${domain}/mailboxes/bulk`, { action: 'suspend', address: [boxes[0], w.B.mailbox.address], confirm: 'yes' });
    expect(foreign.statusCode).toBe(404);
    expect(await state()).toEqual(before);
    expect((await t.db.selectFrom('mailboxes').select('active').where('address', '=', w.B.mailbox.address).executeTakeFirstOrThrow()).active).toBe(true);
  });

  it('deletes after a confirmation that says how long they stay restorable', async () => {
    await customer.get(`/domains/${domain}`);
    const ask = await customer.post(`/domains/${domain}/mailboxes/bulk`, { action: 'delete', address: boxes.slice(1) });
    expect(ask.body).toContain('Delete 2 mailboxes?');
    expect(ask.body).toMatch(/kept for \d+ days/);
    expect((await customer.post(`/domains/${domain}/mailboxes/bulk`, { action: 'delete', address: boxes.slice(1), confirm: 'yes' })).statusCode).toBe(303);
    expect(Object.keys(await state())).toEqual([boxes[0]]);
    expect((await customer.get(`/domains/${domain}?notice=bulk-delete`)).body).toContain('The selected mailboxes were deleted.');
    const none = await customer.post(`/domains/${domain}/mailboxes/bulk`, { action: 'delete' });
    expect(none.headers.location).toBe(`/domains/${domain}?notice=bulk-none`);
  });
});
