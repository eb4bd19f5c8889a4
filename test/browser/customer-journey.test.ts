import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { clipped, launchBrowser, screenshot, watchPage } from '../support/browser.js';
import { PASSWORD, seedTenants, type Tenants } from '../support/fixtures.js';

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
