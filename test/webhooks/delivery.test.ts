import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../jobs/worker.js';
import { loadConfig } from '../../server/platform/config.js';
import { writeUsage } from '../../server/services/usage/store.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { startSink } from '../support/smtp-sink.js';
import { until } from '../support/wait.js';
import { startReceiver } from '../support/webhook-receiver.js';

// The receivers listen on loopback, which the operator allows here (WEBHOOK_ALLOW_HOSTS).
const ALLOW = { WEBHOOK_ALLOW_HOSTS: '127.0.0.1', WEBHOOK_RETRY_BASE_MS: '100', WEBHOOK_TIMEOUT_MS: '500' };
let t: TestApp;
let w: Tenants;
let sink: Awaited<ReturnType<typeof startSink>>;
const stops: (() => Promise<void>)[] = [];
const silent = pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));
const MB = 1024 * 1024;

const api = (key: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: bearer(key), ...(payload && { payload }) });

async function hook(key: string, url: string, events: string[]) {
  const r = await api(key, 'POST', '/webhooks', { url, events });
  expect(r.statusCode).toBe(201);
  return r.json() as { id: number; secret: string };
}

beforeAll(async () => {
  t = await createTestApp(ALLOW);
  w = await seedTenants(t.db);
  sink = await startSink();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'mp-webhooks-'));
  stops.push(async () => rmSync(tmp, { recursive: true, force: true }));
  const config = loadConfig({
    DATABASE_URL: t.database.url,
    REDIS_PREFIX: t.config.redisPrefix,
    MAIL_ROOT: tmp,
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    NOTICE_LMTP_URL: 'none',
    ...ALLOW,
  });
  const workers = await startWorkers(config, t.db, silent, { maintenance: true });
  stops.unshift(workers.stop);
}, 60_000);
afterAll(async () => {
  for (const s of stops) await s();
  await sink.close();
  await t.close();
});

describe('signed webhooks', () => {
  it('delivers every event as documented, verifiable with a Standard Webhooks library, to its own tenant only', async () => {
    const a = await startReceiver();
    const b = await startReceiver();
    const ops = await startReceiver();
    stops.push(a.close, b.close, ops.close);
    const mine = await hook(w.A.key, a.url, ['mailbox.created', 'mailbox.updated', 'mailbox.deleted', 'quota.level_changed', 'quota.full', 'quota.recovered']);
    await hook(w.B.key, b.url, ['mailbox.created', 'quota.full']);
    // The secret is shown once: never again in a list or a read.
    expect((await api(w.A.key, 'GET', `/webhooks/${mine.id}`)).json()).not.toHaveProperty('secret');
    expect(JSON.stringify((await api(w.A.key, 'GET', '/webhooks')).json())).not.toContain(mine.secret);

    const domain = w.A.domain.name;
    expect(
      (await api(w.A.key, 'POST', `/domains/${domain}/mailboxes`, { localPart: 'hooked', password: 'a long password 123', quotaBytes: 10 * MB })).statusCode,
    ).toBe(201);
    const address = `hooked@${domain}`;
    const id = Number((await t.db.selectFrom('mailboxes').select('id').where('address', '=', address).executeTakeFirstOrThrow()).id);
    // Measured at 50 %, then the quota lowered below use: full; then raised again: recovered.
    await writeUsage(t.db, [{ mailboxId: id, bytes: 5 * MB, messages: 2, scannedAt: new Date(), state: null, full: true }]);
    expect((await api(w.A.key, 'PATCH', `/mailboxes/${address}`, { quotaBytes: 4 * MB })).statusCode).toBe(200);
    expect((await api(w.A.key, 'PATCH', `/mailboxes/${address}`, { quotaBytes: 20 * MB })).statusCode).toBe(200);
    expect((await api(w.A.key, 'DELETE', `/mailboxes/${address}`)).statusCode).toBe(204);

    await until(
      'all events at A',
      async () => a.received.length,
      (n) => n >= 8,
    );
    const verifier = new Webhook(mine.secret);
    for (const r of a.received) {
      const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(r.headers[h])]));
      expect(() => verifier.verify(r.body, headers)).not.toThrow();
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.body).not.toMatch(/password|hash|secret|key/i);
    }
    // A tampered body fails verification.
    const first = a.received[0];
    expect(() =>
      verifier.verify(first.body.replace('hooked', 'hacked'), {
        'webhook-id': String(first.headers['webhook-id']),
        'webhook-timestamp': String(first.headers['webhook-timestamp']),
        'webhook-signature': String(first.headers['webhook-signature']),
      }),
    ).toThrow();
    // In order for the mailbox, each with its data.
    expect(a.events().map((e) => e.type)).toEqual([
      'mailbox.created',
      'mailbox.updated',
      'quota.level_changed',
      'quota.full',
      'mailbox.updated',
      'quota.level_changed',
      'quota.recovered',
      'mailbox.deleted',
    ]);
    const created = a.events('mailbox.created')[0];
    expect(created).toMatchObject({ type: 'mailbox.created', data: { mailboxId: id, address, domain, customerId: w.A.customer.id, quotaBytes: 10 * MB } });
    expect(typeof created.timestamp).toBe('string');
    expect(a.events('quota.level_changed')[0].data).toMatchObject({ oldLevel: 'ok', newLevel: 'full', usedBytes: 5 * MB, quotaBytes: 4 * MB });
    expect(a.events('quota.recovered')[0].data).toMatchObject({ oldLevel: 'full', newLevel: 'ok' });
    // The other reseller heard nothing of A's mailbox.
    await new Promise((r) => setTimeout(r, 300));
    expect(b.received.filter((r) => r.body.includes(domain))).toEqual([]);
    // The delivery log says what happened.
    const log = (await api(w.A.key, 'GET', `/webhooks/${mine.id}/deliveries`)).json().items;
    expect(log).toHaveLength(8);
    expect(
      log.every((d: { status: string; responseCode: number; attempts: number }) => d.status === 'delivered' && d.responseCode === 200 && d.attempts === 1),
    ).toBe(true);
    expect((await api(w.B.key, 'GET', `/webhooks/${mine.id}/deliveries`)).statusCode).toBe(404);
  });

  it('retries a receiver that fails (500 three times, then 200) with the same message id; redelivers by hand', async () => {
    const flaky = await startReceiver({ answer: (n) => (n < 3 ? 500 : 200) });
    stops.push(flaky.close);
    const h = await hook(w.A.key, flaky.url, ['mailbox.created']);
    expect((await api(w.A.key, 'POST', `/domains/${w.A.domain.name}/mailboxes`, { localPart: 'flaky', password: 'a long password 123' })).statusCode).toBe(201);
    await until(
      'four attempts',
      async () => flaky.received.length,
      (n) => n >= 4,
      15_000,
    );
    const ids = new Set(flaky.received.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
    const [d] = (await api(w.A.key, 'GET', `/webhooks/${h.id}/deliveries`)).json().items;
    expect(d).toMatchObject({ status: 'delivered', attempts: 4, responseCode: 200 });
    expect(await t.db.selectFrom('webhooks').select('failing_since').where('id', '=', h.id).executeTakeFirstOrThrow()).toEqual({ failing_since: null });
    // Sent again by hand: the same id once more.
    expect((await api(w.A.key, 'POST', `/webhooks/${h.id}/deliveries/${d.id}/redeliver`)).statusCode).toBe(202);
    await until(
      'redelivered',
      async () => flaky.received.length,
      (n) => n >= 5,
    );
    expect(flaky.received[4].headers['webhook-id']).toBe(d.msgId);
  });

  it('a receiver that hangs slows neither the API nor a usage write', async () => {
    const stuck = await startReceiver({ hang: true });
    stops.push(stuck.close);
    await hook(w.A.key, stuck.url, ['mailbox.created', 'quota.level_changed']);
    const started = performance.now();
    for (let i = 0; i < 5; i++)
      expect(
        (await api(w.A.key, 'POST', `/domains/${w.A.domain.name}/mailboxes`, { localPart: `stuck${i}`, password: 'a long password 123' })).statusCode,
      ).toBe(201);
    const apiMs = performance.now() - started;
    const ids = (await t.db.selectFrom('mailboxes').select('id').where('local_part', 'like', 'stuck%').execute()).map((m) => Number(m.id));
    const writeStarted = performance.now();
    await writeUsage(
      t.db,
      ids.map((mailboxId) => ({ mailboxId, bytes: 1024, messages: 1, scannedAt: new Date(), state: null, full: true })),
    );
    const writeMs = performance.now() - writeStarted;
    await until(
      'the receiver is being tried',
      async () => stuck.received.length,
      (n) => n >= 1,
    );
    expect(apiMs).toBeLessThan(2000);
    expect(writeMs).toBeLessThan(500);
  });

  it('never follows a redirect, not even to an allowed address', async () => {
    const target = await startReceiver();
    const bouncer = await startReceiver({ redirectTo: target.url });
    stops.push(target.close, bouncer.close);
    const h = await hook(w.A.key, bouncer.url, ['mailbox.created']);
    expect((await api(w.A.key, 'POST', `/domains/${w.A.domain.name}/mailboxes`, { localPart: 'bounced', password: 'a long password 123' })).statusCode).toBe(
      201,
    );
    const [d] = await until(
      'tried',
      async () => (await api(w.A.key, 'GET', `/webhooks/${h.id}/deliveries`)).json().items,
      (items) => items[0]?.attempts >= 1,
    );
    expect(d).toMatchObject({ status: 'retrying', responseCode: 302, error: 'redirect not followed' });
    expect(target.received).toEqual([]);
  });

  it('disables a webhook that failed for a day and tells its reseller', async () => {
    const down = await startReceiver({ answer: () => 503 });
    stops.push(down.close);
    const h = await hook(w.A.key, down.url, ['mailbox.created']);
    await t.db
      .updateTable('webhooks')
      .set({ failing_since: new Date(Date.now() - 25 * 3600_000) })
      .where('id', '=', h.id)
      .execute();
    await t.db.updateTable('resellers').set({ contact_email: 'billing@reseller-a.example' }).where('id', '=', w.A.reseller.id).execute();
    expect((await api(w.A.key, 'POST', `/domains/${w.A.domain.name}/mailboxes`, { localPart: 'down', password: 'a long password 123' })).statusCode).toBe(201);
    const off = await until(
      'disabled',
      async () => (await api(w.A.key, 'GET', `/webhooks/${h.id}`)).json(),
      (x) => x.enabled === false,
    );
    expect(off.disabledReason).toContain('failed for a day');
    await until(
      'the reseller is told',
      async () => sink.received.filter((m) => m.raw.includes('A webhook was disabled')).length,
      (n) => n === 1,
    );
    // Enabled again by its owner, failures so far forgotten.
    expect((await api(w.A.key, 'PATCH', `/webhooks/${h.id}`, { enabled: true })).json()).toMatchObject({
      enabled: true,
      disabledReason: null,
      failingSince: null,
    });
  });
});
