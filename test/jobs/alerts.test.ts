import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_QUEUE } from '../../jobs/queue/registry.js';
import { evaluateAndQueue } from '../../server/services/alerts/evaluate.js';
import { sweepAlerts } from '../../server/services/alerts/sweep.js';
import { writeUsage } from '../../server/services/usage/store.js';
import { startWorkers } from '../../jobs/worker.js';
import { loadConfig } from '../../server/platform/config.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { startSink } from '../support/smtp-sink.js';

let t: TestApp;
let w: Tenants;
let sink: Awaited<ReturnType<typeof startSink>>;
// Starts at the real time, which the web's own evaluations (quota changes) use.
let clock = new Date();
let sinkReply: (rcpt: string, n: number) => { code: number; text: string } | null = () => null;
const stops: (() => Promise<void>)[] = [];
let mailboxId: number;
let scanAt = Date.now() - 3600_000;

beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  sink = await startSink(0, (r, n) => sinkReply(r, n));
  mailboxId = (await t.db.selectFrom('mailboxes').select('id').where('address', '=', w.A.mailbox.address).executeTakeFirstOrThrow()).id;
  // The usage here is written by the test, as a scanner would: keep the real scheduled scans away from it.
  await t.db.updateTable('mailboxes').set({ node: 'elsewhere' }).execute();
  const config = loadConfig({
    DATABASE_URL: t.database.url,
    REDIS_PREFIX: t.config.redisPrefix,
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    // Notices to the mailbox too go to this sink, not to Dovecot's notice listener.
    NOTICE_LMTP_URL: 'none',
    ALERT_RETRY_BASE_MS: '50',
    ALERT_FROM: 'Panel <panel@example.net>',
    PUBLIC_URL: 'https://panel.example.net',
  });
  const logger = pino(
    { level: 'silent' },
    new Writable({
      write(_c, _e, cb) {
        cb();
      },
    }),
  );
  const workers = await startWorkers(config, t.db, logger, { maintenance: true, now: () => clock });
  stops.push(workers.stop);
});
afterAll(async () => {
  for (const s of stops) await s();
  await sink.close();
  await t.close();
});

const MB = 1024 * 1024;
/** A scan result arrives (as the scanner writes it), then alerts are decided at the fake clock. */
async function measured(usedBytes: number) {
  scanAt += 60_000;
  await writeUsage(t.db, [{ mailboxId, bytes: usedBytes, messages: 1, scannedAt: new Date(scanAt), state: null, full: true }]);
  return evaluateAndQueue(t.db, t.app.queues, [mailboxId], clock);
}
async function settled() {
  const q = t.app.queues.get(ALERTS_QUEUE);
  for (let i = 0; i < 200; i++) {
    const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    if (Object.values(c).every((n) => n === 0)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('alerts queue did not drain');
}
const kinds = () => t.db.selectFrom('alerts').select(['kind', 'level']).where('mailbox_id', '=', mailboxId).orderBy('id').execute();

describe('quota warnings by email', () => {
  it('sends one warning per crossing to the mailbox and the contact', async () => {
    await measured(420 * MB); // 84 %
    await settled();
    await measured(421 * MB);
    await settled();
    expect(await kinds()).toEqual([{ kind: 'warning', level: '80' }]);
    const mails = sink.received.filter((m) => m.raw.includes('X-Mailpanel-Alert: warning'));
    expect(mails.map((m) => m.to[0]).sort()).toEqual([w.A.mailbox.address, 'customer-a1@example.net'].sort());
    expect(mails[0].raw).toMatch(/Auto-Submitted: auto-generated/);
    // The mailbox itself is sent to its owner's page; the customer's contact to the panel's.
    const to = (a: string) => mails.find((m) => m.to[0] === a)!.raw;
    expect(to(w.A.mailbox.address)).toContain('https://panel.example.net/my');
    expect(to(w.A.mailbox.address)).not.toContain('https://panel.example.net/mailboxes/');
    expect(to('customer-a1@example.net')).toContain('https://panel.example.net/mailboxes/');
    expect(mails[0].raw).toContain('POP3');
  });

  it('a quota lowered in the panel warns at once, without a rescan', async () => {
    const before = sink.received.length;
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/mailboxes/${w.A.mailbox.address}`,
      headers: bearer(w.A.key),
      payload: { quotaBytes: 440 * MB },
    });
    expect(res.statusCode).toBe(200);
    await settled();
    expect((await kinds()).at(-1)).toEqual({ kind: 'warning', level: '95' });
    expect(sink.received.length).toBe(before + 2);
  });

  it('reminds on schedule while the mailbox stays near full', async () => {
    clock = new Date(clock.getTime() + 2 * 86400_000);
    await sweepAlerts(t.db, t.app.queues, clock);
    await settled();
    expect((await kinds()).filter((k) => k.kind === 'reminder')).toHaveLength(0);
    clock = new Date(clock.getTime() + 1 * 86400_000 + 60_000);
    await sweepAlerts(t.db, t.app.queues, clock);
    await settled();
    expect((await kinds()).filter((k) => k.kind === 'reminder')).toHaveLength(1);
  });

  it('sends the full notice, then one recovery notice, then warns again on a new crossing', async () => {
    await measured(440 * MB);
    await settled();
    expect((await kinds()).at(-1)).toEqual({ kind: 'full', level: 'full' });
    await measured(10 * MB);
    await measured(11 * MB);
    await settled();
    expect((await kinds()).filter((k) => k.kind === 'recovered')).toHaveLength(1);
    await measured(400 * MB); // 90 % of 440 MB
    await settled();
    expect((await kinds()).at(-1)).toEqual({ kind: 'warning', level: '90' });
    const api = await t.app.inject({ method: 'GET', url: `/api/v1/mailboxes/${w.A.mailbox.address}/alerts`, headers: bearer(w.A.key) });
    expect(api.json().items.map((a: { kind: string }) => a.kind)).toEqual(['warning', 'recovered', 'full', 'reminder', 'warning', 'warning']);
    for (const a of api.json().items) for (const d of a.deliveries) expect(d.status).toBe('sent');
  });

  it('retries a temporary 4xx and delivers; marks a permanent 5xx failed without retrying', async () => {
    await t.app.inject({ method: 'PATCH', url: `/api/v1/mailboxes/${w.B.mailbox.address}`, headers: bearer(w.B.key), payload: { quotaBytes: 100 * MB } });
    const idB = (await t.db.selectFrom('mailboxes').select('id').where('address', '=', w.B.mailbox.address).executeTakeFirstOrThrow()).id;
    let tempFailures = 0;
    sinkReply = (rcpt) => {
      if (rcpt === w.B.mailbox.address && tempFailures < 2) {
        tempFailures++;
        return { code: 451, text: 'try again later' };
      }
      if (rcpt === 'customer-b1@example.net') return { code: 550, text: 'no such user' };
      return null;
    };
    await writeUsage(t.db, [{ mailboxId: idB, bytes: 85 * MB, messages: 1, scannedAt: new Date(), state: null, full: true }]);
    await evaluateAndQueue(t.db, t.app.queues, [idB], clock);
    await settled();
    sinkReply = () => null;
    const rows = await t.db
      .selectFrom('alert_deliveries as d')
      .innerJoin('alerts as a', 'a.id', 'd.alert_id')
      .select(['d.recipient', 'd.status', 'd.attempts', 'd.last_error'])
      .where('a.mailbox_id', '=', idB)
      .orderBy('d.recipient')
      .execute();
    expect(rows).toEqual([
      { recipient: 'contact', status: 'failed', attempts: 1, last_error: expect.stringContaining('550') },
      { recipient: 'mailbox', status: 'sent', attempts: 3, last_error: null },
    ]);
    const panel = await t.app.inject({ method: 'GET', url: `/api/v1/mailboxes/${w.B.mailbox.address}/alerts`, headers: bearer(w.B.key) });
    expect(panel.json().items[0].deliveries.find((d: { recipient: string }) => d.recipient === 'contact')).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('no such user'),
    });
  });

  it('keeps job data to ids only', async () => {
    const jobs = await t.app.queues.get(ALERTS_QUEUE).getJobs(['completed', 'failed'], 0, 50);
    expect(jobs.length).toBeGreaterThan(0);
    for (const j of jobs) expect(Object.keys(j.data)).toEqual(['deliveryId']);
  });
});
