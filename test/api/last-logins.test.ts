import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';

// The rows are written here as Dovecot's last_login plugin writes them (test/e2e-mail/protocol-access.test.ts
// proves the real Dovecot does): seconds since the epoch, per address, protocol and client address.
let t: TestApp;
let w: Tenants;
const DAY = 86_400;
beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  const now = Math.floor(Date.now() / 1000);
  await sql`UPDATE mailboxes SET created_at = now() - interval '400 days'`.execute(t.db);
  await t.db
    .insertInto('mailbox_last_logins')
    .values([
      { address: w.A.mailbox.address, protocol: 'imap', ip: '192.0.2.7', at_epoch: now - 120 * DAY },
      { address: w.A.mailbox.address, protocol: 'pop3', ip: '192.0.2.8', at_epoch: now - 100 * DAY },
      { address: w.B.mailbox.address, protocol: 'imap', ip: '198.51.100.1', at_epoch: now - DAY },
    ])
    .execute();
});
afterAll(() => t.close());

const get = (key: string, url: string) => t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: bearer(key) });

describe('last sign-ins', () => {
  it('the API gives the latest per protocol and the latest of all; another tenant gets 404', async () => {
    const logins = await get(w.A.key, `/mailboxes/${w.A.mailbox.address}/logins`);
    expect(logins.json().items).toEqual([
      { protocol: 'imap', ip: '192.0.2.7', at: expect.any(String) },
      { protocol: 'pop3', ip: '192.0.2.8', at: expect.any(String) },
    ]);
    const m = (await get(w.A.key, `/mailboxes/${w.A.mailbox.address}`)).json();
    expect(Date.now() - Date.parse(m.lastLoginAt)).toBeGreaterThan(99 * DAY * 1000);
    expect(Date.now() - Date.parse(m.lastLoginAt)).toBeLessThan(101 * DAY * 1000);
    expect((await get(w.B.key, `/mailboxes/${w.A.mailbox.address}/logins`)).statusCode).toBe(404);
  });

  it('the report lists mailboxes unused for N days, of the caller only; the panel shows it', async () => {
    const addresses = async (key: string, days: number) =>
      (await get(key, `/reports/unused-mailboxes?days=${days}`)).json().items.map((m: { address: string }) => m.address);
    expect(await addresses(w.A.key, 90)).toEqual([w.A.mailbox.address]);
    expect(await addresses(w.A.key, 110)).toEqual([]);
    // B's mailbox was used yesterday; A's is not B's business.
    expect(await addresses(w.B.key, 90)).toEqual([]);
    expect(await addresses(w.operatorKey, 30)).toEqual([w.A.mailbox.address]);
    expect((await get(w.A.key, '/reports/unused-mailboxes?days=0')).statusCode).toBe(400);

    const panel = new PanelClient(t.app);
    await panel.login(w.A.resellerUser.email);
    const page = await panel.get('/unused-mailboxes?days=90');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`href="/mailboxes/${w.A.mailbox.address}"`);
    expect(page.body).not.toContain(w.B.mailbox.address);
    expect((await panel.get(`/mailboxes/${w.A.mailbox.address}`)).body).toMatch(/IMAP [^<]*\(192\.0\.2\.7\)/);
  });
});
