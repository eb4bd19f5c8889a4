// Dovecot's change feed end to end: real Postfix and Dovecot (quota_clone through its dict service
// into dovecot_quota), the central worker applying it, our policy service answering from it.
import { copyFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ImapFlow } from 'imapflow';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../jobs/worker.js';
import { loadConfig } from '../../server/platform/config.js';
import { registry } from '../../server/platform/metrics.js';
import { PolicyClient } from '../../server/policy/client.js';
import { startPolicyServer } from '../../server/policy/server.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { type MailStack, freePorts, makeMessage, sendMail, stackWorkerEnv, startMailStack } from '../support/mail-stack.js';

const PASSWORD = 'a long mailbox password';
// Large enough that the panel's own notices (~4 KB each) cannot cascade across lines.
const QUOTA = 1_000_000;
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
let firstSize = 0;

const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: bearer(w.A.key), ...(payload && { payload }) });
const usage = async () => (await api('GET', `/mailboxes/${user}/usage`)).json();

/** Polls fast and returns the value and how long it took from `since`. */
async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, since = Date.now(), timeoutMs = 15_000): Promise<{ value: T; ms: number }> {
  for (;;) {
    const value = await fn();
    if (ok(value)) return { value, ms: Date.now() - since };
    if (Date.now() - since > timeoutMs) throw new Error(`${what}: last value ${JSON.stringify(value)}\n${await stack.logs()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function send(subject: string, padTo: number, size?: number) {
  const r = await sendMail({
    port: stack.ports.smtp,
    from: 'sender@outside.test',
    to: [user],
    size,
    message: makeMessage({ from: 'sender@outside.test', to: user, subject, padTo }),
  });
  return { ok: r.rcpt[0]?.code === 250 && r.data[0]?.code === 250, code: r.rcpt[0]?.code, text: `${r.rcpt[0]?.code} ${r.rcpt[0]?.text}` };
}

/** Postfix queues and then delivers: the delivery has ended when Dovecot's file is in new/. */
async function delivered(count: number) {
  return until(
    'delivered',
    () => readdir(join(stack.maildirOf(user), 'new')).catch(() => []),
    (l) => l.length >= count,
  );
}

/**
 * Every notice to this mailbox delivered, and the usage row caught up with Dovecot, for half a
 * second in a row: a notice takes room too (3-4 % of this small quota) and can cross the next line,
 * which brings the next notice.
 */
async function settled() {
  const state = async () => {
    const pending = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM alert_deliveries WHERE address = ${user} AND status <> 'sent'`.execute(t.db))
      .rows[0].n;
    const [u, d] = [await usage(), await dovecotRow()];
    return { pending, used: u.usedBytes as number, dovecot: d.bytes };
  };
  let last = '';
  let since = Date.now();
  await until('settled', state, (s) => {
    const key = JSON.stringify(s);
    if (key !== last) [last, since] = [key, Date.now()];
    return s.pending === 0 && s.used === s.dovecot && Date.now() - since >= 500;
  });
  return usage();
}

const dovecotRow = async () =>
  (await sql<{ bytes: number; messages: number }>`SELECT bytes::int, messages::int FROM dovecot_quota WHERE username = ${user}`.execute(t.db)).rows[0];

beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  policy = await startPolicyServer({ db: t.db, databaseUrl: t.database.url, host: '127.0.0.1', port: 0, logger });
  stops.push(() => policy.close());
  const [eventsPort] = await freePorts(1);
  stack = await startMailStack({ databaseName: t.database.name, policyPort: policy.port, vars: { EVENTS_PORT: String(eventsPort) } });
  stops.push(() => stack.stop());
  const config = loadConfig({
    ...stackWorkerEnv(t, stack),
    PUBLIC_URL: 'https://panel.example.net',
    DRIFT_THRESHOLD_BYTES: '10000',
    DOVECOT_EVENTS_PORT: String(eventsPort),
  });
  const workers = await startWorkers(config, t.db, logger, { maintenance: true });
  stops.unshift(workers.stop);
  user = `feed@${w.A.domain.name}`;
  expect((await api('POST', `/domains/${w.A.domain.name}/mailboxes`, { localPart: 'feed', password: PASSWORD, quotaBytes: QUOTA })).statusCode).toBe(201);
});

afterAll(async () => {
  for (const stop of stops) await stop();
  await t.close();
});

describe("Dovecot's change feed", () => {
  it('every delivery reaches the usage row within a second, with Dovecot as its source', async () => {
    const lags: number[] = [];
    for (let i = 1; i <= 3; i++) {
      expect((await send(`m${i}`, 100_000)).ok).toBe(true);
      const { ms: deliveredAt } = await delivered(i);
      const start = Date.now() - 0;
      const { value, ms } = await until('usage follows', usage, (u) => u.messages === i, start);
      lags.push(ms);
      expect(value.source).toBe('dovecot');
      expect(deliveredAt).toBeGreaterThanOrEqual(0);
    }
    expect(Math.max(...lags)).toBeLessThan(1000);
    firstSize = (await usage()).usedBytes / 3;
    const row = await dovecotRow();
    expect(row.messages).toBe(3);
    expect((await usage()).usedBytes).toBe(row.bytes);
  });

  it('crossing 80 % queues the warning within a second, without any scan', async () => {
    const before = (await usage()).usedBytes;
    expect(before).toBeLessThan(0.8 * QUOTA);
    expect((await send('to 80', 0.85 * QUOTA - before)).ok).toBe(true);
    const since = Date.now();
    await delivered(4);
    const { ms } = await until(
      'warning queued',
      async () =>
        (
          await sql<{
            n: number;
          }>`SELECT count(*)::int AS n FROM alerts a JOIN mailboxes m ON m.id = a.mailbox_id WHERE m.address = ${user} AND a.kind = 'warning'`.execute(t.db)
        ).rows[0].n,
      (n) => n >= 1,
      since,
    );
    expect(ms).toBeLessThan(1000 + 500); // delivery wait included
    const scans = (
      await sql<{ n: number }>`SELECT count(*)::int AS n FROM usage_samples s JOIN mailboxes m ON m.id = s.mailbox_id WHERE m.address = ${user}`.execute(t.db)
    ).rows[0].n;
    expect(scans).toBeLessThanOrEqual(1); // history is rate-limited: one sample for all four deliveries
  });

  it('the message that fills the mailbox makes the next RCPT refused by our policy within a second, never bounced', async () => {
    const before = (await settled()).usedBytes;
    // What Postfix and Dovecot add to a message (Received, Return-Path, Delivered-To), measured above.
    const overhead = firstSize - 100_000;
    expect((await send('fills it', QUOTA - before - overhead - 15_000)).ok).toBe(true);
    await delivered(5);
    const since = Date.now();
    // Asked as Postfix asks it at RCPT; senders declare the SIZE (RFC 1870), and what would not fit is refused.
    const asked = await PolicyClient.connect('127.0.0.1', policy.port);
    const { ms } = await until(
      'policy refuses',
      () => asked.request({ request: 'smtpd_access_policy', protocol_state: 'RCPT', recipient: user, size: 30_000 }),
      (a) => a.startsWith('552'),
      since,
    );
    asked.close();
    expect(ms).toBeLessThan(1000);
    const refused = await send('one more', 30_000, 30_000);
    expect(refused.code).toBe(552);
    const logs = await stack.logs();
    expect(logs).toMatch(/reject: RCPT from .*552 5\.2\.2/);
    expect(logs).not.toMatch(/status=bounced/);
  });

  it('an IMAP expunge back under the lines is applied and brings the recovery notice', async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port: stack.ports.imap, secure: false, doSTARTTLS: false, auth: { user, pass: PASSWORD }, logger: false });
    client.on('error', () => {});
    await client.connect();
    await client.mailboxOpen('INBOX');
    await client.messageDelete('1:*');
    await client.logout();
    const since = Date.now();
    // (The recovery notice may land right after: it adds one small message.)
    const { value, ms } = await until('expunge applied', usage, (u) => u.messages <= 1 && u.usedBytes < 20_000, since);
    expect(ms).toBeLessThan(1000);
    expect(value.level).toBe('ok');
    await until(
      'recovery recorded',
      async () =>
        (
          await sql<{
            n: number;
          }>`SELECT count(*)::int AS n FROM alerts a JOIN mailboxes m ON m.id = a.mailbox_id WHERE m.address = ${user} AND a.kind = 'recovered'`.execute(t.db)
        ).rows[0].n,
      (n) => n >= 1,
    );
    // Every notice delivered before the next test looks at the disk.
    await settled();
  });

  it("an expunge in an IMAP session that stays open is visible within a second too (Dovecot's event, not the 10 s flush)", async () => {
    expect((await send('keep one', 20_000)).ok).toBe(true);
    const before = await settled();
    const client = new ImapFlow({ host: '127.0.0.1', port: stack.ports.imap, secure: false, doSTARTTLS: false, auth: { user, pass: PASSWORD }, logger: false });
    client.on('error', () => {});
    await client.connect();
    try {
      await client.mailboxOpen('INBOX');
      const last = (client.mailbox as { exists: number }).exists;
      await client.messageDelete(String(last));
      const since = Date.now();
      const { value, ms } = await until('open-session expunge applied', usage, (u) => u.messages === before.messages - 1, since);
      expect(ms).toBeLessThan(1000);
      expect(value.usedBytes).toBeLessThan(before.usedBytes - 19_000);
    } finally {
      await client.logout().catch(() => client.close());
    }
  });

  it("a file copied into cur/ behind Dovecot's back: the scan reports the drift and Dovecot recounts", async () => {
    const cur = join(stack.maildirOf(user), 'cur');
    const file = join(cur, `1700000000.M1P1.restored,S=40000:2,S`);
    await writeFile(file, `Subject: restored\r\n\r\n${'r'.repeat(40000 - 21)}`);
    const { chown } = await import('node:fs/promises');
    await chown(file, 5000, 5000);
    expect((await api('POST', `/mailboxes/${user}/scan`)).statusCode).toBe(202);
    const { value } = await until('drift recorded', usage, (u) => u.drift !== null && u.drift?.bytes >= 39_000);
    expect(value.drift.bytes).toBeGreaterThanOrEqual(39_000);
    await until('Dovecot agrees', dovecotRow, (r) => r.messages === (value.messages as number) && Math.abs(r.bytes - (value.diskBytes as number)) < 10_000);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/mailpanel_usage_drift_total [1-9]/);
    expect(metrics).toMatch(/mailpanel_quota_recalcs_total\{result="ok"\} [1-9]/);
    void copyFile;
  });

  it('with the feed path down, mail still flows and scans keep usage right', async () => {
    await sql`REVOKE INSERT, UPDATE ON dovecot_quota FROM mailpanel_mail`.execute(t.db);
    try {
      const before = await usage();
      const files = (await readdir(join(stack.maildirOf(user), 'new'))).length;
      const driftsBefore = Number(/mailpanel_usage_drift_total (\d+)/.exec(await registry.metrics())?.[1] ?? 0);
      expect((await send('while down', 20_000)).ok).toBe(true);
      await until(
        'delivered while down',
        () => readdir(join(stack.maildirOf(user), 'new')),
        (l) => l.length === files + 1,
      );
      expect((await api('POST', `/mailboxes/${user}/scan`)).statusCode).toBe(202);
      const { value } = await until('scan counted it', usage, (u) => u.messages === before.messages + 1);
      expect(value.source).toBe('scan');
      expect(await stack.logs()).toMatch(/quota_clone_dict: Failed to write value/);
      // The gap shows: the disk is ahead of what Dovecot could report, as drift in the usage and in /metrics.
      expect(value.drift?.bytes).toBeGreaterThan(10_000);
      // (Counted right after the row commits.)
      await until(
        'drift counted',
        async () => Number(/mailpanel_usage_drift_total (\d+)/.exec(await registry.metrics())?.[1]),
        (n) => n > driftsBefore,
      );
    } finally {
      await sql`GRANT INSERT, UPDATE ON dovecot_quota TO mailpanel_mail`.execute(t.db);
    }
  });
});
