import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeUsage } from '../../server/services/usage/store.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';

let t: TestApp;
let w: Tenants;
let customer: PanelClient;
beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  customer = new PanelClient(t.app);
  await customer.login(w.A.customerUser.email);
});
afterAll(() => t.close());

const mailbox = (address: string) => t.db.selectFrom('mailboxes').selectAll().where('address', '=', address).executeTakeFirst();

describe('a customer manages mailboxes in the panel', () => {
  it('lists its domain with usage text for each mailbox', async () => {
    const page = await customer.get(`/domains/${w.A.domain.name}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(w.A.mailbox.address);
    expect(page.body).toContain('not measured yet');
    await t.db
      .insertInto('mailbox_usage')
      .values({ mailbox_id: (await mailbox(w.A.mailbox.address))!.id, used_bytes: 123 * 1024 * 1024, messages: 42, scanned_at: new Date(), level: 'ok' })
      .execute();
    const measured = await customer.get(`/domains/${w.A.domain.name}`);
    expect(measured.body).toContain('123 MB of 500 MB');
    expect(measured.body).toMatch(/<progress max="100" value="24\.6"/);
  });

  it('creates a mailbox, showing errors next to the field', async () => {
    const bad = await customer.post(`/domains/${w.A.domain.name}/mailboxes`, { localPart: 'bad..name', password: 'a long password', imap: 'on' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/id="localPart-error">[^<]*two dots/);
    expect(bad.body).toContain('value="bad..name"');
    expect(bad.body).not.toContain('a long password');

    const weak = await customer.post(`/domains/${w.A.domain.name}/mailboxes`, { localPart: 'sales', password: 'short', imap: 'on' });
    expect(weak.body).toMatch(/id="password-error">[^<]*at least 10/);

    const ok = await customer.post(`/domains/${w.A.domain.name}/mailboxes`, { localPart: 'Sales', password: 'a long password', quota: '250', imap: 'on' });
    expect(ok.statusCode).toBe(303);
    expect(await mailbox(`sales@${w.A.domain.name}`)).toMatchObject({ quota_bytes: 250 * 1024 * 1024, imap_enabled: true, pop3_enabled: false });
  });

  it('switches POP3 with an htmx request that returns only the row', async () => {
    const addr = w.A.mailbox.address;
    await customer.get(`/domains/${w.A.domain.name}`);
    const m = (await mailbox(addr))!;
    expect(m.pop3_enabled).toBe(true);
    const res = await customer.post(`/mailboxes/${addr}/protocols`, { imap: 'on' }, { headers: { 'hx-request': 'true', 'hx-target': `row-${m.id}` } });
    expect(res.statusCode).toBe(200);
    expect(res.body.trim()).toMatch(/^<tr id="row-\d+">/);
    expect(res.body).toContain('POP3 off');
    expect((await mailbox(addr))!.pop3_enabled).toBe(false);
    // Without JavaScript the same form redirects back to the mailbox page.
    const plain = await customer.post(`/mailboxes/${addr}/protocols`, { imap: 'on', pop3: 'on' });
    expect(plain.statusCode).toBe(303);
    expect((await mailbox(addr))!.pop3_enabled).toBe(true);
  });

  it('switches sending and ManageSieve, and suspends only sending, only incoming mail or only sign-in', async () => {
    const addr = w.A.mailbox.address;
    await customer.get(`/mailboxes/${addr}`);
    const saved = await customer.post(`/mailboxes/${addr}/protocols`, { imap: 'on', pop3: 'on', sieve: 'on' });
    expect(saved.statusCode).toBe(303);
    expect(await mailbox(addr)).toMatchObject({ imap_enabled: true, pop3_enabled: true, smtp_enabled: false, sieve_enabled: true });
    const hijacked = await customer.post(`/mailboxes/${addr}/suspensions`, { outgoing: 'on' });
    expect(hijacked.headers.location).toBe(`/mailboxes/${addr}?notice=suspensions`);
    expect(await mailbox(addr)).toMatchObject({ active: true, suspend_login: false, suspend_incoming: false, suspend_outgoing: true });
    const page = await customer.get(`/mailboxes/${addr}`);
    expect(page.body).toContain('Sending suspended');
    expect(page.body).toMatch(/name="outgoing" value="on" checked/);
    await customer.post(`/mailboxes/${addr}/suspensions`, { login: 'on', incoming: 'on' });
    expect(await mailbox(addr)).toMatchObject({ suspend_login: true, suspend_incoming: true, suspend_outgoing: false });
    await customer.post(`/mailboxes/${addr}/suspensions`, {});
    await customer.post(`/mailboxes/${addr}/protocols`, { imap: 'on', pop3: 'on', smtp: 'on', sieve: 'on' });
    expect(await mailbox(addr)).toMatchObject({ smtp_enabled: true, suspend_login: false, suspend_incoming: false, suspend_outgoing: false });
  });

  it('changes password and quota, suspends and deletes with confirmation', async () => {
    const addr = `sales@${w.A.domain.name}`;
    await customer.get(`/mailboxes/${addr}`);
    const hash = (await mailbox(addr))!.password_hash;
    expect((await customer.post(`/mailboxes/${addr}/password`, { password: 'a brand new password' })).statusCode).toBe(303);
    expect((await mailbox(addr))!.password_hash).not.toBe(hash);

    const badQuota = await customer.post(`/mailboxes/${addr}/quota`, { quota: 'lots' });
    expect(badQuota.statusCode).toBe(400);
    expect(badQuota.body).toMatch(/id="quota-error"/);
    expect((await customer.post(`/mailboxes/${addr}/quota`, { quota: '1 GB' })).statusCode).toBe(303);
    expect((await mailbox(addr))!.quota_bytes).toBe(1024 ** 3);

    expect((await customer.post(`/mailboxes/${addr}/status`, { active: 'false' })).statusCode).toBe(303);
    expect((await mailbox(addr))!.active).toBe(false);

    const confirm = await customer.get(`/mailboxes/${addr}/delete`);
    expect(confirm.body).toContain('kept for 30 days');
    expect(await mailbox(addr)).toBeDefined();
    expect((await customer.post(`/mailboxes/${addr}/delete`, {})).statusCode).toBe(303);
    expect(await mailbox(addr)).toBeUndefined();
  });

  it('searches and paginates a large domain', async () => {
    const d = await t.db.selectFrom('domains').select('id').where('name', '=', w.A.domain.name).executeTakeFirstOrThrow();
    const rows = Array.from({ length: 120 }, (_, i) => ({
      domain_id: d.id,
      local_part: `bulk${String(i).padStart(3, '0')}`,
      address: `bulk${String(i).padStart(3, '0')}@${w.A.domain.name}`,
      password_hash: 'x',
      quota_bytes: 1024 * 1024,
      maildir: `${w.A.domain.name}/bulk${i}`,
    }));
    await t.db.insertInto('mailboxes').values(rows).execute();
    const page2 = await customer.get(`/domains/${w.A.domain.name}?page=2`);
    expect(page2.body).toContain('Page 2 of 3');
    const search = await customer.get(`/domains/${w.A.domain.name}?q=bulk11`);
    expect(search.body.match(/<tr id="row-/g)).toHaveLength(10);
    const sorted = await customer.get(`/domains/${w.A.domain.name}?sort=fullness&order=desc`);
    expect(sorted.body.indexOf(w.A.mailbox.address)).toBeLessThan(sorted.body.indexOf('bulk000'));
    // The Usage header offers the fullest first, then the other way round.
    expect(page2.body).toContain('href="?sort=fullness&amp;order=desc"');
    expect(sorted.body).toContain('href="?sort=fullness&amp;order=asc"');
    expect(sorted.body).toContain('href="?sort=address&amp;order=asc"');
    expect((await customer.get(`/domains/${w.A.domain.name}?sort=password_hash`)).statusCode).toBe(400);
  });
});

describe('the panel keeps tenants apart', () => {
  it("a customer gets 404 for another customer's domain and mailbox, and cannot change them", async () => {
    expect((await customer.get(`/domains/${w.B.domain.name}`)).statusCode).toBe(404);
    expect((await customer.get(`/mailboxes/${w.B.mailbox.address}`)).statusCode).toBe(404);
    const res = await customer.post(`/mailboxes/${w.B.mailbox.address}/status`, { active: 'false' });
    expect(res.statusCode).toBe(404);
    expect((await mailbox(w.B.mailbox.address))!.active).toBe(true);
    const list = await customer.get('/domains');
    expect(list.body).not.toContain(w.B.domain.name);
  });

  it('a reseller sees its customers only; customers cannot open reseller pages', async () => {
    const reseller = new PanelClient(t.app);
    await reseller.login(w.B.resellerUser.email);
    const list = await reseller.get('/customers');
    expect(list.body).toContain('Customer b1');
    expect(list.body).not.toContain('Customer a1');
    expect((await reseller.get(`/customers/${w.A.customer.id}`)).statusCode).toBe(404);
    expect((await reseller.post(`/customers/${w.A.customer.id}/update`, { active: 'false' })).statusCode).toBe(404);
    expect((await customer.get('/customers')).statusCode).toBe(404);
    expect((await customer.get('/resellers')).statusCode).toBe(404);
    expect((await reseller.get('/resellers')).statusCode).toBe(404);
  });

  it('escapes stored markup on every page', async () => {
    const reseller = new PanelClient(t.app);
    await reseller.login(w.A.resellerUser.email);
    const payload = '<script>alert(1)</script>';
    await reseller.post(`/customers/${w.A.customer.id}/update`, { name: payload });
    const page = await reseller.get(`/customers/${w.A.customer.id}`);
    expect(page.body).not.toContain(payload);
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const audit = await reseller.get('/audit');
    expect(audit.body).not.toContain(payload);
  });
});

describe('the usage card follows a scan asked for on the page', () => {
  it('swaps in waiting, asks again each second, and stops with the new figure', async () => {
    const address = w.A.mailbox.address;
    await customer.get(`/mailboxes/${address}`);
    const asked = await customer.post(`/mailboxes/${address}/scan`, {}, { headers: { 'hx-request': 'true', 'hx-target': 'usage-card' } });
    expect(asked.statusCode).toBe(200);
    expect(asked.body).toMatch(/id="usage-card"[^>]*hx-trigger="every 1s"/);
    const next = /hx-get="([^"]+)"/.exec(asked.body)![1].replaceAll('&amp;', '&');
    const still = await customer.get(next, { 'hx-request': 'true' });
    expect(still.body).toMatch(/hx-trigger="every 1s"/);
    const id = (await mailbox(address))!.id;
    await writeUsage(t.db, [{ mailboxId: id, bytes: 7 * 1024 * 1024, messages: 3, scannedAt: new Date(), state: null, full: true }]);
    const done = await customer.get(next, { 'hx-request': 'true' });
    expect(done.statusCode).toBe(200);
    expect(done.body).not.toMatch(/hx-trigger/);
    expect(done.body).toContain('7 MB of 500 MB');
    // Another tenant's mailbox is not found through the card either.
    expect((await customer.get(next.replace(address, w.B.mailbox.address))).statusCode).toBe(404);
  });
});

describe('folders on the mailbox page', () => {
  it('shows a bar per folder, largest first, with its size and messages, in English and German', async () => {
    const m = (await mailbox(w.A.mailbox.address))!;
    const state = {
      v: 1,
      root: 1,
      folders: [
        ['', 1, 2 * 1024 * 1024, 20, 1, 0, 0],
        ['.Archive.2024', 1, 100 * 1024 * 1024, 900, 1, 0, 0],
        ['.Entw&APw-rfe', 1, 1024, 1, 1, 0, 0],
      ],
    };
    await writeUsage(t.db, [{ mailboxId: m.id, bytes: 102 * 1024 * 1024 + 1024, messages: 921, scannedAt: new Date(), state, full: true }]);
    const page = await customer.get(`/mailboxes/${m.address}`);
    const section = page.body.slice(page.body.indexOf('id="folders-h"'));
    expect(section).toMatch(/Archive\/2024<\/span> <span class="figures">100 MB · 900 messages[\s\S]*Inbox[\s\S]*Entwürfe/);
    expect(section).toMatch(/<progress max="100" value="20" aria-label="Archive\/2024 20 %">/);
    const de = await customer.get(`/mailboxes/${m.address}`, { 'accept-language': 'de' });
    expect(de.body).toContain('Ordner');
    expect(de.body).toMatch(/Posteingang<\/span> <span class="figures">[^<]*20 Nachrichten/);
  });
});

describe('the panel says what a change will do before it happens', () => {
  it('a quota below what the mailbox holds asks for confirmation first; suspending says mail is refused too', async () => {
    const m = (await mailbox(w.A.mailbox.address))!;
    await writeUsage(t.db, [{ mailboxId: m.id, bytes: 10 * 1024 * 1024, messages: 5, scannedAt: new Date(), state: null, full: true }]);
    const page = await customer.get(`/mailboxes/${m.address}`);
    expect(page.body).toContain('refuses all incoming mail');
    const first = await customer.post(`/mailboxes/${m.address}/quota`, { quota: '5 MB' });
    expect(first.statusCode).toBe(409);
    expect(first.body).toMatch(/id="quota-error">This mailbox already holds more than that/);
    expect(first.body).toContain('name="confirmBelow" value="yes"');
    expect(first.body).toContain('Change it anyway');
    expect((await mailbox(m.address))!.quota_bytes).toBe(m.quota_bytes);
    const confirmed = await customer.post(`/mailboxes/${m.address}/quota`, { quota: '5 MB', confirmBelow: 'yes' });
    expect(confirmed.statusCode).toBe(303);
    expect((await mailbox(m.address))!.quota_bytes).toBe(5 * 1024 * 1024);
    // Raising it again needs no confirmation.
    expect((await customer.post(`/mailboxes/${m.address}/quota`, { quota: '500 MB' })).statusCode).toBe(303);
  });
});

describe('an address pasted whole', () => {
  it('is taken as its local part when it is of this domain, and refused next to the field when not', async () => {
    await customer.get(`/domains/${w.A.domain.name}/mailboxes/new`);
    const other = await customer.post(`/domains/${w.A.domain.name}/mailboxes`, { localPart: 'carol@elsewhere.test', password: 'a long password', imap: 'on' });
    expect(other.statusCode).toBe(400);
    expect(other.body).toMatch(/id="localPart-error">Enter the part before the @ only/);
    const ok = await customer.post(`/domains/${w.A.domain.name}/mailboxes`, {
      localPart: `Carol@${w.A.domain.name.toUpperCase()}`,
      password: 'a long password',
      imap: 'on',
    });
    expect(ok.statusCode).toBe(303);
    expect(await mailbox(`carol@${w.A.domain.name}`)).toBeTruthy();
  });
});

describe("a stale page does not undo other people's changes", () => {
  it('a list switch sends only its own protocol with the row version; a row changed meanwhile is refused and shown as it is now', async () => {
    const addr = `stale@${w.A.domain.name}`;
    await customer.get(`/domains/${w.A.domain.name}/mailboxes/new`);
    expect(
      (await customer.post(`/domains/${w.A.domain.name}/mailboxes`, { localPart: 'stale', password: 'a long password', imap: 'on', pop3: 'on' })).statusCode,
    ).toBe(303);
    const list = await customer.get(`/domains/${w.A.domain.name}?q=stale`);
    const row = /<tr id="row-\d+">[\s\S]*?<\/tr>/.exec(list.body.slice(list.body.indexOf(`>${addr}<`) - 200))![0];
    const pop3Form = /<form[^>]*>(?:(?!<\/form>)[\s\S])*name="protocol" value="pop3"(?:(?!<\/form>)[\s\S])*<\/form>/.exec(row)![0];
    const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(pop3Form)![1];
    expect(field('on')).toBe('false');

    // Meanwhile the reseller switches IMAP off through the API.
    await t.app.inject({ method: 'PATCH', url: `/api/v1/mailboxes/${addr}`, headers: { authorization: `Bearer ${w.A.key}` }, payload: { imap: false } });
    // The customer's older page now switches POP3 off: refused, the row comes back as it is now.
    const m = (await mailbox(addr))!;
    const res = await customer.post(
      `/mailboxes/${addr}/switch`,
      { protocol: 'pop3', on: 'false', version: field('version') },
      { headers: { 'hx-request': 'true', 'hx-target': `row-${m.id}` } },
    );
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('changed by someone else in the meantime');
    expect(res.body).toMatch(/IMAP [^<]*: off\./);
    expect(await mailbox(addr)).toMatchObject({ imap_enabled: false, pop3_enabled: true });
    // With the fresh row's version the switch goes through, and touches POP3 only.
    const fresh = await customer.post(
      `/mailboxes/${addr}/switch`,
      { protocol: 'pop3', on: 'false', version: (await mailbox(addr))!.updated_at.toISOString() },
      { headers: { 'hx-request': 'true', 'hx-target': `row-${m.id}` } },
    );
    expect(fresh.body).not.toContain('changed by someone else');
    expect(await mailbox(addr)).toMatchObject({ imap_enabled: false, pop3_enabled: false });
  });

  it('every form on the mailbox page carries the version: a stale quota change is refused and the page shows the current state', async () => {
    const addr = `stale@${w.A.domain.name}`;
    const page = await customer.get(`/mailboxes/${addr}`);
    const version = /name="version" value="([^"]+)"/.exec(page.body)![1];
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/mailboxes/${addr}`,
      headers: { authorization: `Bearer ${w.A.key}` },
      payload: { quotaBytes: 300 * 1024 * 1024 },
    });
    const stale = await customer.post(`/mailboxes/${addr}/quota`, { quota: '200 MB', version });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('changed by someone else in the meantime');
    expect(stale.body).toContain('value="300 MB"');
    expect((await mailbox(addr))!.quota_bytes).toBe(300 * 1024 * 1024);
  });
});
