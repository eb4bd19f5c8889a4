// The main journey of every role in Debian's Chromium, with screenshots kept in test-artifacts/
// and no console error, failed request or error response on the way.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../jobs/worker.js';
import { insertUser } from '../../db/repositories/users.js';
import { hashPassword } from '../../server/platform/passwords.js';
import { loadConfig } from '../../server/platform/config.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { accessibilityProblems, clipped, launchBrowser, screenshot, watchPage } from '../support/browser.js';
import { PASSWORD } from '../support/fixtures.js';

let t: TestApp;
let browser: Browser;
let base: string;
let tmp: string;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  t = await createTestApp();
  await insertUser(t.db, { email: 'ops@host.example', password_hash: await hashPassword(PASSWORD), role: 'operator', reseller_id: null, customer_id: null });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'mp-journeys-'));
  const config = loadConfig({ DATABASE_URL: t.database.url, REDIS_PREFIX: t.config.redisPrefix, MAIL_ROOT: tmp });
  const workers = await startWorkers(
    config,
    t.db,
    pino(
      { level: 'silent' },
      new Writable({
        write(_c, _e, cb) {
          cb();
        },
      }),
    ),
    { maintenance: true },
  );
  stops.push(workers.stop);
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  for (const s of stops) await s();
  await t.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function signIn(email: string) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/overview`);
  return { page, problems, done: () => context.close() };
}
/** A screenshot for the artifacts, and the page's basic accessibility checked on the way. */
async function shot(page: Page, name: string) {
  expect(await accessibilityProblems(page), name).toEqual([]);
  await screenshot(page, name);
}
const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();

describe('journeys in a real browser', () => {
  it('the operator creates a reseller with a login', async () => {
    const { page, problems, done } = await signIn('ops@host.example');
    await shot(page, 'operator-overview');
    await nav(page, 'Resellers');
    await page.getByLabel('Name').fill('Acme Hosting');
    await page.getByLabel('Contact email').fill('billing@acme.example');
    await page.getByLabel('Login email').fill('reseller@acme.example');
    await page.getByLabel('Login password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create reseller' }).click();
    await page.waitForURL(/\/resellers\/\d+$/);
    await expect.poll(() => page.getByRole('heading', { name: 'Acme Hosting' }).isVisible()).toBe(true);
    await shot(page, 'operator-reseller-created');
    // The queue board, opened as typed without the trailing slash, shows its queues (not "Loading").
    await page.goto(`${base}/admin/queues`);
    await page.waitForURL(`${base}/admin/queues/`);
    await expect.poll(() => page.getByText('maintenance', { exact: true }).first().isVisible(), { timeout: 15_000 }).toBe(true);
    await screenshot(page, 'operator-queues');
    // The board asks for Google's web fonts; our CSP keeps them out (the page falls back to local fonts).
    expect(problems.filter((p) => !p.includes('fonts.googleapis.com'))).toEqual([]);
    await done();
  });

  it('the reseller creates a plan and a customer on it, with a login', async () => {
    const { page, problems, done } = await signIn('reseller@acme.example');
    await nav(page, 'Plans');
    await page.getByLabel('Name', { exact: true }).fill('Business');
    await page.getByLabel('Default quota').fill('1 GB');
    await page.getByLabel('Most mailboxes').fill('50');
    await page.getByRole('button', { name: 'Create plan' }).click();
    await page.waitForURL(/\/plans\/\d+$/);
    await expect.poll(() => page.getByRole('heading', { name: 'Business' }).isVisible()).toBe(true);
    // Warnings at 85 % and 95 %, to the customer's contact and the reseller.
    await page.getByLabel('Warn at (percent)').fill('85, 95');
    await page.getByLabel("the customer's contact address").check();
    await page.getByLabel('my own contact address').check();
    await page.getByLabel('the mailbox itself').uncheck();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByText('The plan was saved.').isVisible()).toBe(true);
    await shot(page, 'reseller-plan-warnings');
    await nav(page, 'Customers');
    await page.getByLabel('Name', { exact: true }).fill('Bäckerei Müller');
    await page.getByLabel('Contact email').fill('info@baeckerei.example');
    await page.getByLabel('Plan').selectOption({ label: 'Business' });
    await page.getByLabel('Login email').fill('owner@baeckerei.example');
    await page.getByLabel('Login password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create customer' }).click();
    await page.waitForURL(/\/customers\/\d+/);
    await expect.poll(() => page.getByText('The customer was created.').isVisible()).toBe(true);
    await shot(page, 'reseller-customer-created');
    // The customer list pages and searches (by name, case aside).
    await nav(page, 'Customers');
    await page.getByLabel('Search customers').fill('bäckerei');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/\/customers\?q=/);
    await expect.poll(() => page.getByRole('link', { name: 'Bäckerei Müller' }).isVisible()).toBe(true);
    await expect.poll(() => page.getByText(/^1 customer ·/).isVisible()).toBe(true);
    await shot(page, 'reseller-customer-search');
    expect(problems).toEqual([]);
    await done();
  });

  it('the customer adds a domain and mailboxes, imports a CSV with its report, and sees the history chart', async () => {
    const { page, problems, done } = await signIn('owner@baeckerei.example');
    await nav(page, 'Domains');
    await shot(page, 'customer-domains');
    await page.getByLabel('Domain name').fill('bäckerei-müller.example');
    await page.getByRole('button', { name: 'Add domain' }).click();
    await page.waitForURL(/notice=domain/);
    await page.getByRole('link', { name: 'Create mailbox' }).click();
    await page.getByLabel(/Address \(before @/).fill('info');
    await page.getByLabel('Password').fill('a long password');
    await page.getByRole('button', { name: 'Create mailbox' }).click();
    await page.waitForURL(/notice=created/);
    await shot(page, 'customer-domain');

    const csv = path.join(tmp, 'mailboxes.csv');
    writeFileSync(
      csv,
      'address,password,quota,imap,pop3\nanna,a long password,500 MB,yes,no\nbernd,,1 GB,yes,yes\nbad..name,a long password,,yes,yes\ninfo,a long password,,yes,yes\n',
    );
    await page.getByRole('link', { name: 'Import CSV' }).click();
    await page.locator('input[type=file]').setInputFiles(csv);
    await page.getByLabel(/Dry run/).check();
    await page.getByRole('button', { name: 'Upload' }).click();
    await expect.poll(() => page.getByText(/2 of 4 rows can be imported/).isVisible()).toBe(true);
    await shot(page, 'customer-import-dry-run');
    await page.locator('input[type=file]').setInputFiles(csv);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.waitForURL(/\/imports\/\d+/);
    // The status box follows the job live (htmx polling) until it says it has finished.
    await expect.poll(() => page.getByText('Import finished.').isVisible(), { timeout: 30_000 }).toBe(true);
    expect(await page.locator('progress').first().getAttribute('value')).toBe(await page.locator('progress').first().getAttribute('max'));
    await expect.poll(() => page.getByText(/4 of 4 rows: 2 created, 2 failed/).isVisible()).toBe(true);
    await shot(page, 'customer-import-done');

    // History: the scanner's samples of the last weeks, drawn on the server as SVG.
    const mb = await t.db
      .selectFrom('mailboxes')
      .select(['id', 'address'])
      .where('local_part', '=', 'info')
      .where('address', 'like', '%xn--%')
      .executeTakeFirstOrThrow();
    const days = 14;
    await t.db
      .insertInto('usage_samples')
      .values(
        Array.from({ length: days }, (_, i) => ({
          mailbox_id: mb.id,
          at: new Date(Date.now() - (days - i) * 86400_000),
          used_bytes: (400 + i * 40) * 1024 * 1024,
          messages: 100 + i,
        })),
      )
      .execute();
    // (The new mailbox was measured at once, empty: this figure replaces that one.)
    const usage = { used_bytes: (400 + 13 * 40) * 1024 * 1024, messages: 113, scanned_at: new Date(), level: '80' };
    await t.db
      .insertInto('mailbox_usage')
      .values({ mailbox_id: mb.id, ...usage })
      .onConflict((oc) => oc.column('mailbox_id').doUpdateSet(usage))
      .execute();
    await page.goto(`${base}/mailboxes/${mb.address}`);
    await expect.poll(() => page.locator('svg.chart').isVisible()).toBe(true);
    await expect.poll(() => page.getByText(/full in about \d+ days/).isVisible()).toBe(true);
    await expect.poll(() => page.getByText(/Use POP3 on one computer/).isVisible()).toBe(true);
    // At desktop width too, the mail client settings are not cut ("SSL/T", "STAR" before).
    expect(await clipped(page)).toEqual([]);
    await shot(page, 'customer-mailbox-history');
    expect(problems).toEqual([]);
    await done();
  });

  it('works with the keyboard alone', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    // Tab order: the skip link first, then the brand link, then the form; Enter submits.
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate<string>('document.activeElement.id || document.activeElement.textContent.trim()'));
    }
    expect(order).toEqual(['Skip to content', 'mailpanel', 'email', 'password']);
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.type('owner@baeckerei.example');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/overview`);
    await context.close();
  });

  it('the panel speaks German to a German browser', async () => {
    const context = await browser.newContext({ locale: 'de-DE', extraHTTPHeaders: { 'accept-language': 'de-DE,de;q=0.9' } });
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await expect.poll(() => page.getByRole('button', { name: 'Anmelden' }).isVisible()).toBe(true);
    await shot(page, 'login-de');
    await context.close();
  });
});
