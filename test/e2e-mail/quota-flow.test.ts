// End to end with every real part: the panel's API, our policy service, the scanner and alert
// workers, Postfix delivering to Dovecot, and the mailbox read back over IMAP.
import { Writable } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../jobs/worker.js';
import { loadConfig } from '../../server/platform/config.js';
import { startPolicyServer } from '../../server/policy/server.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { type MailStack, makeMessage, sendMail, startMailStack } from '../support/mail-stack.js';
import { withImap as imap } from '../support/imap.js';

const PASSWORD = 'a long mailbox password';
let t: TestApp;
let w: Tenants;
let stack: MailStack;
let policy: Awaited<ReturnType<typeof startPolicyServer>>;
const stops: (() => Promise<void>)[] = [];
const logger = pino(
  { level: 'silent' },
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  }),
);

let user: string;
let owner: string;

const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: bearer(w.A.key), ...(payload && { payload }) });

async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: last value ${JSON.stringify(v)}\n${await stack.logs()}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function scanned(address: string) {
  const before = (await api('GET', `/mailboxes/${address}/usage`)).json().scannedAt;
  expect((await api('POST', `/mailboxes/${address}/scan`)).statusCode).toBe(202);
  return until(
    'scan result',
    async () => (await api('GET', `/mailboxes/${address}/usage`)).json(),
    (u) => u.scannedAt !== null && u.scannedAt !== before,
  );
}

async function inboxCount(c: ImapFlow): Promise<number> {
  const status = await c.status('INBOX', { messages: true });
  return status ? (status.messages ?? 0) : 0;
}

const withImap = <T>(address: string, fn: (c: ImapFlow) => Promise<T>) => imap(stack, address, PASSWORD, fn);

/** One message through Postfix; ok when the recipient and the data were both accepted. */
async function send(to: string, subject: string, padTo: number, size?: number) {
  const r = await sendMail({
    port: stack.ports.smtp,
    from: 'sender@outside.test',
    to: [to],
    message: makeMessage({ from: 'sender@outside.test', to, subject, padTo }),
    size,
  });
  return { ok: r.rcpt[0]?.code === 250 && r.data[0]?.code === 250, rcpt: r.rcpt[0], text: `${r.rcpt[0]?.code} ${r.rcpt[0]?.text}` };
}

beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  policy = await startPolicyServer({ db: t.db, databaseUrl: t.database.url, host: '127.0.0.1', port: 0, logger });
  stops.push(() => policy.close());
  // Dovecot's notice listener on the port deploy/ gives it, so the worker below runs with the default
  // NOTICE_LMTP_URL: the default path must bring the full notice into a full mailbox.
  stack = await startMailStack({ databaseName: t.database.name, policyPort: policy.port, ports: { lmtpNotice: 2424 } });
  stops.push(() => stack.stop());
  const config = loadConfig({
    DATABASE_URL: t.database.url,
    REDIS_PREFIX: t.config.redisPrefix,
    MAIL_ROOT: stack.mailRoot,
    SMTP_URL: `smtp://127.0.0.1:${stack.ports.smtp}`,
    ALERT_RETRY_BASE_MS: '100',
    ALERT_FROM: 'Panel <postmaster@outside.test>',
    PUBLIC_URL: 'https://panel.example.net',
  });
  const workers = await startWorkers(config, t.db, logger, { maintenance: true });
  stops.unshift(workers.stop);

  user = `user@${w.A.domain.name}`;
  owner = `owner@${w.A.domain.name}`;
  expect((await api('POST', `/domains/${w.A.domain.name}/mailboxes`, { localPart: 'user', password: PASSWORD, quotaBytes: 60_000 })).statusCode).toBe(201);
  expect((await api('POST', `/domains/${w.A.domain.name}/mailboxes`, { localPart: 'owner', password: PASSWORD })).statusCode).toBe(201);
  // The customer's contact address is a mailbox of ours, so its warnings can be read back over IMAP.
  expect((await api('PATCH', `/customers/${w.A.customer.id}`, { contactEmail: owner })).statusCode).toBe(200);
});

afterAll(async () => {
  for (const stop of stops) await stop();
  await t.close();
});

describe('mail, the scanner and the policy service together', () => {
  it('mail sent through Postfix lands in the Maildir, the scanner counts it, IMAP shows it', async () => {
    const r = await send(user, 'first', 20_000);
    expect(r.ok).toBe(true);
    const usage = await until(
      'delivery counted',
      () => scanned(user),
      (u) => u.messages === 1,
    );
    expect(usage.usedBytes).toBeGreaterThan(20_000);
    expect(await withImap(user, async (c) => inboxCount(c))).toBe(1);
  });

  it('a full mailbox gets 552 from our policy service at RCPT; after deleting over IMAP and a rescan, mail is accepted again', async () => {
    await send(user, 'second', 20_000);
    await until(
      'second counted',
      () => scanned(user),
      (u) => u.messages === 2,
    );
    // A lower quota makes the mailbox full at once (no rescan), and the policy service hears of it.
    expect((await api('PATCH', `/mailboxes/${user}`, { quotaBytes: 30_000 })).json().usage.level).toBe('full');
    const refused = await until(
      'policy refusal',
      () => send(user, 'refused', 1_000),
      (res) => !res.ok,
    );
    expect(refused.rcpt.code).toBe(552);
    expect(refused.text).toContain('Mailbox full');
    expect(policy.counters.reject).toBeGreaterThan(0);

    // The full notice still reaches the mailbox (through the quota-exempt path) and the contact.
    const notice = await until(
      'full notice in the full mailbox',
      () =>
        withImap(user, async (c) => {
          await c.mailboxOpen('INBOX');
          const found = [];
          for await (const m of c.fetch('1:*', { headers: ['x-mailpanel-alert', 'subject'] })) found.push(m.headers?.toString() ?? '');
          return found.filter((h) => /X-Mailpanel-Alert: full/i.test(h));
        }),
      (list) => list.length === 1,
    );
    expect(notice[0]).toMatch(/Subject:/);
    await until(
      'full notice for the contact',
      () => withImap(owner, inboxCount),
      (n) => n >= 1,
    );

    await withImap(user, async (c) => {
      await c.mailboxOpen('INBOX');
      await c.messageDelete('1:*');
    });
    const after = await until(
      'emptied and rescanned',
      () => scanned(user),
      // Emptied, though the recovery notice may already be in it: it is sent as soon as usage drops under the line.
      (u) => u.messages <= 1 && u.usedBytes !== null && u.usedBytes < 10_000,
    );
    expect(after.level).toBe('ok');
    const accepted = await until(
      'accepted again',
      () => send(user, 'welcome back', 1_000),
      (res) => res.ok,
    );
    expect(accepted.ok).toBe(true);
  });

  it('the policy service counts the declared SIZE against what is left', async () => {
    await until(
      'small mail counted',
      () => scanned(user),
      (u) => u.usedBytes !== null && u.usedBytes < 30_000,
    );
    const big = await send(user, 'too big for what is left', 100, 50_000);
    expect(big.ok).toBe(false);
    expect(big.text).toMatch(/^552 .*Mailbox full/);
  });
});
