import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changedFields } from '../../server/core/audit-change.js';
import { writeUsage } from '../../server/services/usage/store.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';

let t: TestApp;
let w: Tenants;
let reseller: PanelClient;
const MB = 1024 * 1024;
beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  // Measured before the reseller signs in: staff overviews are kept for half a minute.
  await writeUsage(t.db, [{ mailboxId: w.A.mailbox.id, bytes: 2 * 1024 * MB, messages: 3, scannedAt: new Date(), state: null, full: true }]);
  reseller = new PanelClient(t.app);
  await reseller.login(w.A.resellerUser.email);
});
afterAll(() => t.close());

describe('the audit log reads as changes', () => {
  it('names only the fields that changed, sizes in units; objects stored by id by their name', () => {
    expect(changedFields({ quotaBytes: 500 * MB, imap: true, pop3: true }, { quotaBytes: 1024 * MB, imap: true, pop3: false })).toEqual([
      { field: 'quotaBytes', before: '500 MB', after: '1 GB' },
      { field: 'pop3', before: 'yes', after: 'no' },
    ]);
    expect(changedFields(null, { name: 'Key', readOnly: true })).toEqual([
      { field: 'name', after: 'Key' },
      { field: 'readOnly', after: 'yes' },
    ]);
    expect(changedFields(null, null)).toEqual([]);
  });

  it('shows an API key by its name and a quota change as "500 MB → 1 GB", without raw JSON', async () => {
    await reseller.get('/api-keys');
    expect((await reseller.post('/api-keys', { name: 'Billing robot' })).statusCode).toBeLessThan(400);
    const address = w.A.mailbox.address;
    await reseller.get(`/mailboxes/${address}`);
    expect((await reseller.post(`/mailboxes/${address}/quota`, { quota: '1 GB', confirmBelow: 'yes' })).statusCode).toBe(303);
    const page = (await reseller.get('/audit')).body;
    expect(page).toMatch(/Billing robot <span class="muted">\(api key #[0-9a-f]+\)<\/span>/);
    expect(page).toMatch(/<code>quotaBytes<\/code>: \d+ MB → 1 GB/);
    expect(page).not.toContain('{&quot;');
  });
});

describe('the overview cards', () => {
  it('add up, and each opens the mailboxes at its level', async () => {
    const full = w.A.mailbox;
    const page = (await reseller.get('/overview')).body;
    const counts = Object.fromEntries(
      [...page.matchAll(/href="\/overview\?level=(\w+)#list-h"[^>]*><span class="stat">(\d+)<\/span>/g)].map((m) => [m[1], Number(m[2])]),
    );
    expect(Object.keys(counts).sort()).toEqual(['80', '90', '95', 'full', 'ok', 'unmeasured']);
    expect(counts.full).toBe(1);
    const mailboxes = await t.db
      .selectFrom('mailboxes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const own = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(own).toBeLessThanOrEqual(Number(mailboxes.n));
    const fullList = (await reseller.get('/overview?level=full')).body;
    expect(fullList).toContain(`href="/mailboxes/${full.address}"`);
    expect(fullList).toMatch(/Mailboxes full \(1\)/);
    const unmeasured = (await reseller.get('/overview?level=unmeasured')).body;
    expect(unmeasured).not.toContain(`href="/mailboxes/${full.address}"`);
    expect((await reseller.get('/overview?level=bogus')).statusCode).toBe(400);
  });
});
