import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateAlerts } from '../../server/services/alerts/evaluate.js';
import { writeUsage } from '../../server/services/usage/store.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';

let t: TestApp;
let w: Tenants;
let reseller: PanelClient;
beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  reseller = new PanelClient(t.app);
  await reseller.login(w.A.resellerUser.email);
});
afterAll(() => t.close());

describe('a plan decides when warnings go out, to whom and in which words', () => {
  it('refuses bad settings next to their fields and changes nothing', async () => {
    await reseller.get('/plans');
    const created = await reseller.post('/plans', { name: 'Warned', defaultQuota: '100 MB' });
    expect(created.statusCode).toBe(303);
    const url = created.headers.location as string;
    await reseller.get(url);
    const bad = await reseller.post(`${url}/alerts`, {
      warnPercents: '80, 120',
      reminderDays: '3',
      recipients: 'mailbox',
      subject_en: '',
      text_en: '',
      subject_de: '',
      text_de: '',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/id="warnPercents-error">[^<]*1 to 99/);
    const none = await reseller.post(`${url}/alerts`, { warnPercents: '80', reminderDays: '3', subject_en: '', text_en: '', subject_de: '', text_de: '' });
    expect(none.body).toContain('Choose at least one recipient');
    const plan = await t.db.selectFrom('plans').select(['warn_percents', 'alert_recipients']).where('name', '=', 'Warned').executeTakeFirstOrThrow();
    expect(plan).toEqual({ warn_percents: [80, 90, 95], alert_recipients: ['mailbox', 'contact'] });
  });

  it('its limits can be changed later, with errors next to the fields', async () => {
    const { id } = await t.db.selectFrom('plans').select('id').where('name', '=', 'Warned').executeTakeFirstOrThrow();
    await reseller.get(`/plans/${id}`);
    const bad = await reseller.post(`/plans/${id}/limits`, { name: 'Warned', defaultQuota: '2 GB', maxQuota: '1 GB', maxMailboxes: '', maxStorage: '' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/id="defaultQuota-error">[^<]*may not exceed/);
    const ok = await reseller.post(`/plans/${id}/limits`, { name: 'Warned', defaultQuota: '200 MB', maxQuota: '1 GB', maxMailboxes: '25', maxStorage: '' });
    expect(ok.statusCode).toBe(303);
    expect(
      await t.db
        .selectFrom('plans')
        .select(['default_quota_bytes', 'max_quota_bytes', 'max_mailboxes', 'max_storage_bytes'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow(),
    ).toEqual({ default_quota_bytes: 200 * 1024 * 1024, max_quota_bytes: 1024 ** 3, max_mailboxes: 25, max_storage_bytes: null });
    const other = new PanelClient(t.app);
    await other.login(w.B.resellerUser.email);
    expect((await other.post(`/plans/${id}/limits`, { name: 'x', defaultQuota: '1 MB' })).statusCode).toBe(404);
  });

  it('custom thresholds and recipients drive the warnings of its customers', async () => {
    const { id: planId } = await t.db.selectFrom('plans').select('id').where('name', '=', 'Warned').executeTakeFirstOrThrow();
    await reseller.get(`/plans/${planId}`);
    const ok = await reseller.post(`/plans/${planId}/alerts`, {
      warnPercents: '70',
      minFree: '',
      reminderDays: '0',
      recipients: 'reseller',
      subject_en: 'Heads up: {address} at {percent}',
      text_en: 'Clean up please.',
      subject_de: '',
      text_de: '',
    });
    expect(ok.statusCode).toBe(303);
    await t.db.updateTable('customers').set({ plan_id: planId }).where('id', '=', w.A.customer.id).execute();
    const { id } = await t.db.selectFrom('mailboxes').select('id').where('address', '=', w.A.mailbox.address).executeTakeFirstOrThrow();
    await writeUsage(t.db, [{ mailboxId: id, bytes: Math.round(524288000 * 0.72), messages: 1, scannedAt: new Date(), state: null, full: true }]);
    const deliveries = await evaluateAlerts(t.db, [id], new Date());
    expect(deliveries).toHaveLength(1);
    const d = await t.db
      .selectFrom('alert_deliveries as d')
      .innerJoin('alerts as a', 'a.id', 'd.alert_id')
      .select(['a.level', 'd.recipient', 'd.address'])
      .executeTakeFirstOrThrow();
    expect(d).toEqual({ level: '70', recipient: 'reseller', address: 'reseller-a@example.net' });
    const page = await reseller.get(`/plans/${planId}`);
    expect(page.body).toContain('value="Heads up: {address} at {percent}"');
  });
});

describe('room to delete', () => {
  it('a plan sets the extra room for Trash (and Junk); Dovecot reads it from mail_accounts; the mailbox page says it in plain words', async () => {
    const { id } = await t.db.selectFrom('plans').select('id').where('id', '=', w.A.planId).executeTakeFirstOrThrow();
    const limits = { name: 'Plan a', defaultQuota: '100 MB', maxQuota: '', maxMailboxes: '', maxStorage: '' };
    await reseller.get(`/plans/${id}`);
    const bad = await reseller.post(`/plans/${id}/limits`, { ...limits, trashRoomPercent: '150' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/id="trashRoomPercent-error">[^<]*0 \(no extra room\) to 100/);
    expect(await t.db.selectFrom('plans').select(['trash_room_percent', 'junk_room']).where('id', '=', id).executeTakeFirstOrThrow()).toEqual({
      trash_room_percent: 10,
      junk_room: false,
    });
    expect((await reseller.post(`/plans/${id}/limits`, { ...limits, trashRoomPercent: '20 %', junkRoom: 'on' })).statusCode).toBe(303);
    const page = await reseller.get(`/plans/${id}`);
    expect(page.body).toMatch(/id="trashRoomPercent"[^>]*value="20"/);
    expect(page.body).toMatch(/name="junkRoom" value="on" checked/);

    // The customer on this plan: Dovecot's view gives Trash and Junk 20 % of the quota.
    await t.db.updateTable('customers').set({ plan_id: id }).where('id', '=', w.A.customer.id).execute();
    const view = await t.db
      .selectFrom('mail_accounts' as never)
      .select(['quota_bytes', 'trash_room_bytes', 'junk_room_bytes'] as never[])
      .where('address' as never, '=', w.A.mailbox.address as never)
      .executeTakeFirstOrThrow();
    const quota = Number((view as { quota_bytes: number }).quota_bytes);
    expect(view).toMatchObject({ trash_room_bytes: quota / 5, junk_room_bytes: quota / 5 });

    // A nearly full mailbox's page tells the owner about the room.
    const m = await t.db.selectFrom('mailboxes').select('id').where('address', '=', w.A.mailbox.address).executeTakeFirstOrThrow();
    await writeUsage(t.db, [{ mailboxId: m.id, bytes: quota, messages: 10, scannedAt: new Date(), state: null, full: true }]);
    const customer = new PanelClient(t.app);
    await customer.login(w.A.customerUser.email);
    const box = await customer.get(`/mailboxes/${w.A.mailbox.address}`);
    expect(box.body).toContain(`Even when full, up to ${quota / 5 / 1024 / 1024} MB more can be moved to Trash or Junk, so mail can always be deleted.`);
  });
});

describe('the plan page promises what the notice path keeps', () => {
  it("says a full mailbox gets its notice only when Dovecot's notice listener is configured", async () => {
    const url = (await reseller.post('/plans', { name: 'Promise', defaultQuota: '100 MB' })).headers.location as string;
    expect((await reseller.get(url)).body).toContain('A full mailbox still receives its own notice');
    const smtpOnly = await createTestApp({ NOTICE_LMTP_URL: 'none' });
    try {
      const v = await seedTenants(smtpOnly.db);
      const other = new PanelClient(smtpOnly.app);
      await other.login(v.A.resellerUser.email);
      const page = (await other.get(`/plans/${v.A.planId}`)).body;
      expect(page).not.toContain('A full mailbox still receives its own notice');
      expect(page).toContain('A full mailbox does not receive its &quot;full&quot; notice');
    } finally {
      await smtpOnly.close();
    }
  });
});

describe('a stale plan page', () => {
  it('cannot undo a change made meanwhile: refused with the plan as it is now; a refused field keeps the version the page was shown with', async () => {
    const url = (await reseller.post('/plans', { name: 'Shared', defaultQuota: '100 MB' })).headers.location as string;
    const page = await reseller.get(url);
    const version = /name="version" value="([^"]+)"/.exec(page.body)![1];
    const alerts = { warnPercents: '80, 90', reminderDays: '3', recipients: 'mailbox', subject_en: '', text_en: '', subject_de: '', text_de: '' };
    // A colleague, in another tab, raises the default quota.
    expect((await reseller.post(`${url}/limits`, { name: 'Shared', defaultQuota: '200 MB', version })).statusCode).toBe(303);
    // The old page's limits form would put 100 MB back; its alerts form would overwrite settings it never showed.
    const limits = await reseller.post(`${url}/limits`, { name: 'Shared', defaultQuota: '100 MB', version });
    expect(limits.statusCode).toBe(409);
    expect(limits.body).toContain('This plan was changed by someone else in the meantime');
    expect(limits.body).toContain('value="200 MB"');
    expect((await reseller.post(`${url}/alerts`, { ...alerts, version })).statusCode).toBe(409);
    const plan = await t.db
      .selectFrom('plans')
      .select(['default_quota_bytes', 'warn_percents', 'updated_at'])
      .where('name', '=', 'Shared')
      .executeTakeFirstOrThrow();
    expect(plan).toMatchObject({ default_quota_bytes: 200 * 1024 ** 2, warn_percents: [80, 90, 95] });
    // A field error shows the form again with the version it was first shown with, not the newest one.
    const bad = await reseller.post(`${url}/alerts`, { ...alerts, warnPercents: '120', version });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain(`name="version" value="${version}"`);
    const fresh = /name="version" value="([^"]+)"/.exec((await reseller.get(url)).body)![1];
    expect(fresh).toBe(plan.updated_at.toISOString());
    expect((await reseller.post(`${url}/alerts`, { ...alerts, version: fresh })).statusCode).toBe(303);
  });
});
