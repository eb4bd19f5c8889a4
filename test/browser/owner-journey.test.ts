// From a warning email's link to a freed mailbox, in a real browser, against the real Dovecot: the
// full notice reaches the full mailbox, its button ("Empty Junk: frees …") leads through the owner's
// sign-in to its page, the preview and the confirmation; Dovecot expunges Junk, and the page shows the
// mailbox no longer full. In English and German, each at desktop and at phone width.
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import type { Browser } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../jobs/worker.js';
import { scanNode } from '../../server/cli/scan.js';
import { loadConfig } from '../../server/platform/config.js';
import { silentLogger } from '../../server/policy/logger.js';
import { startPolicyServer } from '../../server/policy/server.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { clipped, launchBrowser, screenshot, watchPage } from '../support/browser.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { freePorts, type MailStack, makeMessage, startMailStack, stackWorkerEnv } from '../support/mail-stack.js';
import { withImap as imap } from '../support/imap.js';

const PASSWORD = 'a long mailbox password';
let t: TestApp;
let w: Tenants;
let stack: MailStack;
let browser: Browser;
let base: string;
const stops: (() => Promise<void>)[] = [];
const logger = pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));

const withImap = <T>(address: string, fn: (c: ImapFlow) => Promise<T>) => imap(stack, address, PASSWORD, fn);

/** A full mailbox of the tenant with mail in Junk; returns the cleanup link of the notice it received. */
async function fullMailbox(tenant: Tenants['A'], local: string): Promise<{ address: string; link: string; label: string }> {
  const api = (method: 'POST' | 'PATCH' | 'GET', url: string, payload?: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: bearer(tenant.key), ...(payload && { payload }) });
  const address = `${local}@${tenant.domain.name}`;
  expect(
    (await api('POST', `/domains/${tenant.domain.name}/mailboxes`, { localPart: local, password: PASSWORD, quotaBytes: 10 * 1024 * 1024 })).statusCode,
  ).toBe(201);
  await withImap(address, async (c) => {
    for (let i = 0; i < 4; i++) await c.append('Junk', makeMessage({ from: 'spam@outside.test', to: address, subject: `offer ${i}`, padTo: 30_000 }));
    await c.append('INBOX', makeMessage({ from: 'friend@outside.test', to: address, subject: 'keep me', padTo: 20_000 }));
  });
  await scanNode(t.db, { node: 'local', mailRoot: stack.mailRoot, fullScanHours: 24 }, { full: true, total: 1 });
  const used = (await api('GET', `/mailboxes/${address}/usage`)).json().usedBytes as number;
  expect((await api('PATCH', `/mailboxes/${address}`, { quotaBytes: used })).statusCode).toBe(200);
  // The full notice arrives in the mailbox itself (past its quota).
  const deadline = Date.now() + 20_000;
  for (;;) {
    const source = await withImap(address, async (c) => {
      const lock = await c.getMailboxLock('INBOX');
      try {
        for await (const m of c.fetch('1:*', { envelope: true, source: true }))
          if (m.envelope?.from?.[0]?.address === 'postmaster@outside.test') return m.source?.toString('utf8') ?? '';
        return '';
      } finally {
        lock.release();
      }
    });
    // The text part is quoted-printable once it holds umlauts.
    const text = Buffer.from(
      source.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
      'latin1',
    ).toString('utf8');
    const m = /\n([^\n]*(?:Empty Junk|Spam-Ordner leeren)[^\n]*):\r?\n(http\S+)/.exec(text);
    if (m) return { address, label: m[1].trim(), link: m[2] };
    if (Date.now() > deadline) throw new Error(`no notice with a cleanup link in ${address}:\n${text.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  const policy = await startPolicyServer({ db: t.db, databaseUrl: t.database.url, host: '127.0.0.1', port: 0, logger: silentLogger });
  stops.push(() => policy.close());
  const [eventsPort] = await freePorts(1);
  stack = await startMailStack({ databaseName: t.database.name, policyPort: policy.port, vars: { EVENTS_PORT: String(eventsPort) } });
  stops.push(() => stack.stop());
  const config = loadConfig({ ...stackWorkerEnv(t, stack), PUBLIC_URL: base, DOVECOT_EVENTS_PORT: String(eventsPort) });
  const workers = await startWorkers(config, t.db, logger, { maintenance: true });
  stops.unshift(workers.stop);
  // Junk may take mail past the quota in these plans, so the mailboxes can fill it while full.
  for (const tenant of [w.A, w.B]) {
    await t.db.updateTable('plans').set({ junk_room: true }).where('id', '=', tenant.planId).execute();
    await t.db.updateTable('customers').set({ plan_id: tenant.planId }).where('id', '=', tenant.customer.id).execute();
  }
  // The second customer reads German.
  await t.db.updateTable('customers').set({ language: 'de' }).where('id', '=', w.B.customer.id).execute();
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  for (const stop of stops) await stop();
  await t.close();
});

describe('from the warning email to a freed mailbox', () => {
  const EN = { address: 'Email address', password: 'Password', signIn: 'Sign in', delete: /^Delete \d+ messages$/ };
  const DE = { address: 'E-Mail-Adresse', password: 'Passwort', signIn: 'Anmelden', delete: /^\d+ Nachrichten löschen$/ };
  const DESKTOP = { width: 1280, height: 900 };
  const PHONE = { width: 390, height: 844 };
  // English pages and mail for tenant A's customer, German for tenant B's.
  for (const run of [
    { name: 'English, desktop', local: 'journey-desk', tenant: () => w.A, locale: 'en-US', viewport: DESKTOP, words: EN },
    { name: 'English, phone', local: 'journey-phone', tenant: () => w.A, locale: 'en-US', viewport: PHONE, words: EN },
    { name: 'German, desktop', local: 'reise-desk', tenant: () => w.B, locale: 'de-DE', viewport: DESKTOP, words: DE },
    { name: 'German, phone', local: 'reise-phone', tenant: () => w.B, locale: 'de-DE', viewport: PHONE, words: DE },
  ]) {
    it(run.name, async () => {
      const tenant = run.tenant();
      const { address, link, label } = await fullMailbox(tenant, run.local);
      expect(link).toMatch(new RegExp(`^${base}/my\\?suggest=Junk#cleanup-h$`));
      const context = await browser.newContext({ viewport: run.viewport, locale: run.locale, extraHTTPHeaders: { 'accept-language': run.locale } });
      const page = await context.newPage();
      const problems = watchPage(page);

      // Not signed in: the link leads through the owner's sign-in and back to the suggestion.
      await page.goto(link);
      await page.waitForURL(/\/my\/login/);
      await page.getByLabel(run.words.address).fill(address);
      await page.getByLabel(run.words.password, { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: run.words.signIn }).click();
      await page.waitForURL(/\/my\?suggest=Junk/);
      await screenshot(page, `owner-${run.local}-page`);
      // Nothing is cut: not the page, not the mail client settings.
      expect(await clipped(page)).toEqual([]);

      // The suggested cleanup, as the email named it, then its preview and the confirmation.
      await page.getByRole('button', { name: label.replace(/\s+/g, ' ').split(':')[0] }).click();
      await screenshot(page, `owner-${run.local}-preview`);
      await page.getByRole('button', { name: run.words.delete }).click();
      await page.waitForURL(/notice=cleanup/);
      // Dovecot expunges; its count reaches the usage within seconds and the page shows it.
      // (Waited for on the server, then one reload: reloading in a loop would cut the page's own requests.)
      const level = async () =>
        (
          await t.db
            .selectFrom('mailbox_usage as u')
            .innerJoin('mailboxes as m', 'm.id', 'u.mailbox_id')
            .select('u.level')
            .where('m.address', '=', address)
            .executeTakeFirst()
        )?.level;
      await expect.poll(level, { timeout: 15_000 }).not.toBe('full');
      await page.reload();
      expect(await page.locator('#usage-card .usage').getAttribute('class')).not.toContain('lvl-full');
      await screenshot(page, `owner-${run.local}-freed`);
      const junk = await withImap(address, async (c) => (await c.status('Junk', { messages: true })) || { messages: -1 });
      expect(junk.messages).toBe(0);
      expect(problems.join('\n')).toBe('');
      await context.close();
    });
  }
});
