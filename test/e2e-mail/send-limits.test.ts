// End to end: send limits enforced by our policy service at Postfix's submission service, counted in
// Redis over sliding windows; breaches reach the worker, which tells the customer and the reseller
// and, at SEND_LIMIT_SUSPEND_AFTER breaches in a day, suspends the mailbox's outgoing mail.
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../jobs/worker.js';
import { loadConfig } from '../../server/platform/config.js';
import { createRedis } from '../../server/platform/redis.js';
import { startPolicyServer, type PolicyServer } from '../../server/policy/server.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { type MailStack, makeMessage, sendMail, stackWorkerEnv, startMailStack } from '../support/mail-stack.js';
import { startSink } from '../support/smtp-sink.js';
import { until } from '../support/wait.js';

const PASSWORD = 'a long mailbox password';
const silent = pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));
let t: TestApp;
let w: Tenants;
let stack: MailStack;
let policy: PolicyServer;
let sink: Awaited<ReturnType<typeof startSink>>;
const stops: (() => Promise<void>)[] = [];
// The policy service's clock: moved forward to leave a window without waiting an hour.
let shift = 0;
let sender: string;
let inbox: string;

const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: bearer(w.A.key), ...(payload && { payload }) });

/** A message through submission as the sender: the RCPT answers (code and text) and the DATA answer. */
async function submit(to: string[] = [inbox], user = sender) {
  const r = await sendMail({
    port: stack.ports.submission,
    auth: { user, pass: PASSWORD },
    from: user,
    to,
    message: makeMessage({ from: user, to: to[0], subject: 'sent' }),
  });
  return { auth: r.auth!.code, rcpt: r.rcpt.map((x) => `${x.code} ${x.text}`), data: r.data[0]?.code ?? null };
}

/** The message as read: quoted-printable soft line breaks joined. */
const body = (m: { raw: string }) => m.raw.replace(/=\r?\n/g, '');
const limitsInCache = (address: string) => policy.cache.get(address)?.sendLimits;

beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  sink = await startSink();
  const counters = createRedis(t.config.redisUrl, { name: 'test-send-limits', commandTimeoutMs: 500 });
  await counters.connect();
  stops.push(async () => counters.disconnect());
  policy = await startPolicyServer({
    db: t.db,
    databaseUrl: t.database.url,
    host: '127.0.0.1',
    port: 0,
    logger: silent,
    sendLimits: {
      redis: counters,
      prefix: t.config.redisPrefix,
      redisDown: 'open',
      onBreach: async (b) => {
        await t.app.queues.enqueue('send-limit-breach', { ...b, at: b.at.getTime() }, {});
      },
      now: () => Date.now() + shift,
    },
  });
  stops.push(() => policy.close());
  stack = await startMailStack({ databaseName: t.database.name, policyPort: policy.port });
  stops.push(() => stack.stop());
  const config = loadConfig({
    ...stackWorkerEnv(t, stack),
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    SEND_LIMIT_SUSPEND_AFTER: '2',
    PUBLIC_URL: 'https://panel.example.net',
  });
  const workers = await startWorkers(config, t.db, silent, { maintenance: true });
  stops.unshift(workers.stop);
  const domain = w.A.domain.name;
  for (const localPart of ['sender', 'inbox', 'other'])
    expect((await api('POST', `/domains/${domain}/mailboxes`, { localPart, password: PASSWORD })).statusCode).toBe(201);
  sender = `sender@${domain}`;
  inbox = `inbox@${domain}`;
  await until('mailboxes in the policy cache', async () => policy.cache.get(sender), Boolean);
}, 90_000);
afterAll(async () => {
  for (const s of stops) await s();
  await sink?.close();
  await t?.close();
});

describe('send limits at submission', () => {
  it("take the plan's limits, a mailbox's own over them, and none without either", async () => {
    expect(limitsInCache(sender)).toEqual({ perHour: null, perDay: null, recipientsPerMessage: null });
    // The customer is put on a plan, then the plan gets limits: both reach the policy service at once.
    await t.db.updateTable('customers').set({ plan_id: w.A.planId }).where('id', '=', w.A.customer.id).execute();
    await t.db.updateTable('plans').set({ send_per_hour: 50, send_per_day: 200, send_recipients: 20 }).where('id', '=', w.A.planId).execute();
    await until(
      'plan limits in the cache',
      async () => limitsInCache(sender)?.perHour,
      (v) => v === 50,
    );
    const read = (await api('GET', `/mailboxes/${sender}`)).json();
    expect(read.sendLimits).toBeNull();
    expect(read.effectiveSendLimits).toEqual({ perHour: 50, perDay: 200, recipientsPerMessage: 20 });
    const own = { perHour: 2, perDay: 100, recipientsPerMessage: 3 };
    const r = await api('PATCH', `/mailboxes/${sender}`, { sendLimits: own });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ sendLimits: own, effectiveSendLimits: own });
    await until(
      'own limits in the cache',
      async () => limitsInCache(sender)?.perHour,
      (v) => v === 2,
    );
    // The other mailboxes keep the plan's.
    expect(limitsInCache(inbox)?.perHour).toBe(50);
    // Bad figures change nothing.
    for (const bad of [{ perHour: 0, perDay: null, recipientsPerMessage: null }, { perHour: 1.5, perDay: null, recipientsPerMessage: null }, { perHour: 1 }])
      expect((await api('PATCH', `/mailboxes/${sender}`, { sendLimits: bad })).statusCode).toBe(400);
    expect((await api('GET', `/mailboxes/${sender}`)).json().sendLimits).toEqual(own);
  });

  it('defers the (N+1)th message of the hour with our reason, tells the customer and the reseller, and lets it through after the window', async () => {
    // One message now and one half an hour later: the hour's two places are taken.
    expect(await submit()).toMatchObject({ auth: 235, data: 250 });
    // Sending is a sign-in too: the policy service records it beside Dovecot's IMAP and POP3 ones.
    const logins = await until(
      'SMTP sign-in recorded',
      async () => (await api('GET', `/mailboxes/${sender}/logins`)).json().items,
      (l) => l.length > 0,
    );
    expect(logins).toMatchObject([{ protocol: 'smtp', ip: '127.0.0.1' }]);
    shift = 1800_000;
    expect(await submit()).toMatchObject({ auth: 235, data: 250 });
    const third = await submit();
    expect(third.rcpt[0]).toMatch(/^450 4\.7\.1 .*Sending limit reached: this mailbox may send 2 messages an hour/);
    expect(third.data).toBeNull();
    // Deferred again while the window lasts; the breach is told once.
    expect((await submit()).rcpt[0]).toMatch(/^450 /);
    const told = await until(
      'breach notices',
      async () => sink.received.filter((m) => m.raw.includes('reached its send limit')),
      (m) => m.length >= 2,
    );
    expect(told.flatMap((m) => m.to).sort()).toEqual([w.A.customer.contact_email, w.A.reseller.contact_email].sort());
    expect(body(told[0])).toContain('2 messages an hour');
    // An hour after the first message (a sliding window, not the clock's hour), its place is free again:
    // exactly one goes through.
    shift = 3600_000 + 1000;
    expect(await submit()).toMatchObject({ data: 250 });
    expect((await submit()).rcpt[0]).toMatch(/^450 /);
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.received.filter((m) => m.raw.includes('reached its send limit'))).toHaveLength(2);
    const breaches = await t.db.selectFrom('send_limit_breaches').selectAll().execute();
    expect(breaches).toMatchObject([{ kind: 'perHour', limit_value: 2, suspended: false, notified: true }]);
  });

  it('refuses recipients beyond the per-message limit (452, to be sent in another message); a second breach in a day suspends sending only', async () => {
    shift += 3 * 3600_000;
    const domain = w.A.domain.name;
    const r = await submit([inbox, `other@${domain}`, `sender@${domain}`, `postmaster@${domain}`]);
    expect(r.rcpt.slice(0, 3).every((x) => x.startsWith('250'))).toBe(true);
    expect(r.rcpt[3]).toMatch(/^452 4\.5\.3 .*Too many recipients: this mailbox may send a message to 3 recipients at most/);
    expect(r.data).toBe(250);
    // Two breaches within a day (SEND_LIMIT_SUSPEND_AFTER=2): outgoing mail is suspended; the rest goes on.
    await until(
      'suspended',
      async () => (await api('GET', `/mailboxes/${sender}`)).json().suspended,
      (s) => s.outgoing === true,
    );
    const m = (await api('GET', `/mailboxes/${sender}`)).json();
    expect(m).toMatchObject({ active: true, smtp: true, suspended: { login: false, incoming: false, outgoing: true } });
    expect((await submit()).auth).toBe(535);
    const incoming = await sendMail({
      port: stack.ports.smtp,
      from: 'someone@outside.test',
      to: [sender],
      message: makeMessage({ from: 'someone@outside.test', to: sender, subject: 'in' }),
    });
    expect(incoming.rcpt[0].code).toBe(250);
    const suspended = await until(
      'suspension notices',
      async () => sink.received.filter((m) => m.raw.includes('was suspended')),
      (x) => x.length >= 2,
    );
    expect(body(suspended[0])).toContain('3 recipients per message');
    // Only staff lift a suspension the limits set: the customer cannot, the reseller can.
    expect(m.outgoingLocked).toBe(true);
    const lift = { suspended: { outgoing: false } };
    const byCustomer = await t.app.inject({ method: 'PATCH', url: `/api/v1/mailboxes/${sender}`, headers: bearer(w.A.customerKey), payload: lift });
    expect(byCustomer.statusCode).toBe(403);
    expect((await api('GET', `/mailboxes/${sender}`)).json().suspended.outgoing).toBe(true);
    const audit = await t.db
      .selectFrom('audit_log')
      .select(['actor', 'after'])
      .where('object_id', '=', sender)
      .where('action', '=', 'mailbox.update')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(audit.actor).toBe('system');
    expect(JSON.stringify(audit.after)).toContain('send-limit breaches');
    const byReseller = (await api('PATCH', `/mailboxes/${sender}`, lift)).json();
    expect(byReseller).toMatchObject({ suspended: { outgoing: false }, outgoingLocked: false });
    // The customer's notice points to the provider; the reseller's to the mailbox page.
    const toCustomer = suspended.find((x) => x.to.includes(w.A.customer.contact_email!))!;
    expect(body(toCustomer)).toContain('ask your provider to lift the suspension');
  });
});
