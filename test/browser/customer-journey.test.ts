import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { clipped, launchBrowser, screenshot, watchPage } from '../support/browser.js';
import { PASSWORD, seedTenants, type Tenants } from '../support/fixtures.js';
import { writeUsage } from '../../server/services/usage/store.js';

let t: TestApp;
let w: Tenants;
let browser: Browser;
let base: string;
beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await t.close();
});

describe('a customer in a real browser', () => {
  it('signs in, creates a mailbox and switches its POP3 off', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems = watchPage(page);

    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(w.A.customerUser.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/overview`);
    await screenshot(page, 'customer-overview');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Domains' }).click();
    await screenshot(page, 'customer-domains');

    await page.getByRole('link', { name: w.A.domain.name }).click();
    await page.getByRole('link', { name: 'Create mailbox' }).click();
    await page.getByLabel(/Address \(before @/).fill('Support');
    await page.getByLabel('Password').fill('a long password');
    await page.getByLabel('Quota').fill('200');
    await page.getByRole('button', { name: 'Create mailbox' }).click();
    await page.waitForURL(/notice=created/);
    await expect.poll(() => page.getByText('The mailbox was created.').isVisible()).toBe(true);
    const address = `support@${w.A.domain.name}`;
    const row = page.locator('tr', { has: page.getByRole('link', { name: address }) });
    await expect.poll(() => row.getByRole('button', { name: /^POP3 .*: on\./ }).isVisible()).toBe(true);
    await screenshot(page, 'customer-domain-created');

    // The switch posts with htmx and swaps its row in place, without a page load.
    await row.getByRole('button', { name: /^POP3 .*: on\./ }).click();
    await expect.poll(() => row.getByRole('button', { name: /^POP3 .*: off\./ }).isVisible()).toBe(true);
    const stored = await t.db
      .selectFrom('mailboxes')
      .select(['pop3_enabled', 'imap_enabled', 'quota_bytes'])
      .where('address', '=', address)
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({ pop3_enabled: false, imap_enabled: true, quota_bytes: 200 * 1024 * 1024 });
    await screenshot(page, 'customer-pop3-off');

    // Two mailboxes at once: ticked in the list, suspended after a page that names them and says what happens.
    await page.getByRole('checkbox', { name: `Select ${address}` }).check();
    await page.getByRole('checkbox', { name: `Select ${w.A.mailbox.address}` }).check();
    await page.getByLabel('With the selected mailboxes').selectOption('suspend');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Suspend 2 mailboxes?' }).isVisible()).toBe(true);
    await screenshot(page, 'customer-bulk-confirm');
    await page.getByRole('button', { name: 'Suspend', exact: true }).click();
    await page.waitForURL(/notice=bulk-suspend/);
    const suspended = await t.db.selectFrom('mailboxes').select(['address', 'active']).where('domain_id', '=', w.A.domain.id).orderBy('address').execute();
    expect(suspended.filter((m) => !m.active).map((m) => m.address)).toEqual([w.A.mailbox.address, address].sort());
    await page.getByRole('checkbox', { name: `Select ${address}` }).check();
    await page.getByRole('checkbox', { name: `Select ${w.A.mailbox.address}` }).check();
    await page.getByLabel('With the selected mailboxes').selectOption('resume');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await page.waitForURL(/notice=bulk-resume/);

    // Phone width: the page still works and nothing overflows sideways.
    // At 390×844 the list is cards: the first screen shows a mailbox with its switches, usage and
    // status, nothing off to the right.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    expect((await clipped(page)).join('\n')).toBe('');
    const phoneRow = page.locator('tr', { has: page.getByRole('link', { name: address }) });
    for (const part of [
      phoneRow.getByRole('link', { name: address }),
      phoneRow.getByRole('button', { name: /^IMAP / }),
      phoneRow.locator('.usage'),
      phoneRow.locator('td.opt'),
    ]) {
      const box = await part.boundingBox();
      expect(box).not.toBeNull();
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
      expect(box!.y + box!.height).toBeLessThanOrEqual(844);
    }
    await screenshot(page, 'customer-domain-phone');

    expect(problems).toEqual([]);
    await context.close();
  });
});

describe('a customer who reads German, in Berlin', () => {
  it('gets every message in German, numbers and sizes in German notation, dates in local time, and may type "1,5 GB"', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'de-DE', timezoneId: 'Europe/Berlin' });
    const page = await context.newPage();
    const problems = watchPage(page);
    const MB = 1024 * 1024;
    const address = w.A.mailbox.address;
    await t.db
      .updateTable('plans')
      .set({ max_quota_bytes: 1.5 * 1024 * MB })
      .where('id', '=', w.A.planId)
      .execute();
    await t.db.updateTable('customers').set({ plan_id: w.A.planId }).where('id', '=', w.A.customer.id).execute();

    await page.goto(`${base}/login`);
    await page.locator('#email').fill(w.A.customerUser.email);
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL(`${base}/overview`);

    // The first page told the panel the browser's time zone: dates are Berlin time from now on.
    await page.goto(`${base}/mailboxes/${address}`);
    expect(await page.locator('main').textContent()).toMatch(/\d{1,2}\. \w+\.? \d{4}, \d\d:\d\d MEZ/);

    const quota = page.locator('section[aria-labelledby="quota-h"]');
    await quota.locator('#quota').fill('2 GB');
    await quota.getByRole('button', { name: 'Speicherplatz ändern' }).click();
    await expect.poll(() => page.locator('#quota-error').textContent()).toBe('Der Tarif erlaubt höchstens 1,5 GB pro Postfach.');
    await page.locator('#quota').fill('1,5 GB');
    await page.getByRole('button', { name: 'Speicherplatz ändern' }).click();
    await page.waitForURL(/notice=/);
    expect((await t.db.selectFrom('mailboxes').select('quota_bytes').where('address', '=', address).executeTakeFirstOrThrow()).quota_bytes).toBe(
      1.5 * 1024 * MB,
    );
    expect(await page.locator('#quota').inputValue()).toBe('1,5 GB');

    await page.locator('#quota').fill('10 MB');
    await page.getByRole('button', { name: 'Speicherplatz ändern' }).click();
    await page.waitForURL(/notice=/);
    await writeUsage(t.db, [{ mailboxId: w.A.mailbox.id, bytes: Math.round(10.03 * MB), messages: 1234, scannedAt: new Date(), state: null, full: true }]);
    await page.reload();
    const figures = await page.locator('main').textContent();
    expect(figures).toContain('10,0 MB von 10 MB');
    expect(figures).toContain('100,3 %');
    expect(figures).toContain('1.234');

    await page.locator('#password').fill('short');
    await page.getByRole('button', { name: 'Passwort ändern' }).click();
    await expect.poll(() => page.locator('#password-error').textContent()).toBe('Das Passwort muss mindestens 10 Zeichen lang sein.');

    await page.goto(`${base}/domains/${w.A.domain.name}/mailboxes/new`);
    await page.locator('#localPart').fill(address.split('@')[0]);
    await page.locator('#password').fill('a long password for this test');
    await page.getByRole('button', { name: 'Postfach anlegen' }).click();
    await expect.poll(() => page.locator('#localPart-error').textContent()).toBe(`Das Postfach ${address} gibt es bereits.`);
    await screenshot(page, 'customer-german');

    // 400s of the refused forms are expected; nothing else went wrong.
    expect(problems.filter((p) => !p.startsWith('HTTP 400') && !p.startsWith('HTTP 409') && !p.startsWith('HTTP 422'))).toEqual([]);
    await context.close();
  });
});
