import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../jobs/worker.js';
import { insertWebhook } from '../../db/repositories/webhooks.js';
import { addressAllowed, parseAllowList } from '../../server/core/webhooks/targets.js';
import { loadConfig } from '../../server/platform/config.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { until } from '../support/wait.js';
import { startReceiver } from '../support/webhook-receiver.js';

// No WEBHOOK_ALLOW_HOSTS here: only public addresses may receive webhooks.
let t: TestApp;
let w: Tenants;
const stops: (() => Promise<void>)[] = [];
beforeAll(async () => {
  t = await createTestApp({ WEBHOOK_TIMEOUT_MS: '500' });
  w = await seedTenants(t.db);
});
afterAll(async () => {
  for (const s of stops) await s();
  await t.close();
});

describe('webhook targets (SSRF)', () => {
  it('classifies addresses: loopback, private, link-local, metadata, mapped and NAT64 forms are not public', () => {
    const none = parseAllowList('')!;
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '64:ff9b::7f00:1',
      '224.0.0.1',
    ])
      expect(addressAllowed(ip, none), ip).toBe(false);
    for (const ip of ['93.184.215.14', '1.1.1.1', '2606:4700:4700::1111', '::ffff:93.184.215.14']) expect(addressAllowed(ip, none), ip).toBe(true);
    const allow = parseAllowList('hooks.internal, 10.1.2.0/24, 127.0.0.1')!;
    expect(allow).toEqual({ hosts: ['hooks.internal'], cidrs: ['10.1.2.0/24', '127.0.0.1/32'] });
    expect(addressAllowed('10.1.2.9', allow)).toBe(true);
    expect(addressAllowed('10.1.3.9', allow)).toBe(false);
    expect(parseAllowList('not a host!')).toBeNull();
  });

  it('refuses private, loopback, link-local and metadata targets, by address or by a name resolving to one, and changes nothing', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://10.0.0.1/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://localhost/hook',
      'http://0.0.0.0/hook',
      'ftp://hooks.example.net/x',
      'https://user:pw@hooks.example.net/x',
      'not a url',
    ]) {
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: bearer(w.A.key), payload: { url, events: ['quota.full'] } });
      expect(r.statusCode, url).toBe(400);
      expect(r.json().field, url).toBe('url');
    }
    expect(await t.db.selectFrom('webhooks').select('id').where('url', 'like', '%hook%').where('enabled', '=', true).execute()).toEqual([]);
  });

  it('checks again at delivery time: a target that became private gets nothing', async () => {
    // As if its name had resolved to a public address when it was added and to loopback now.
    const inside = await startReceiver();
    stops.push(inside.close);
    const row = await insertWebhook(
      t.db,
      { resellerId: w.A.reseller.id },
      { url: inside.url, events: ['mailbox.created'], secret: `whsec_${Buffer.from('x'.repeat(24)).toString('base64')}` },
    );
    const config = loadConfig({ DATABASE_URL: t.database.url, REDIS_PREFIX: t.config.redisPrefix, MAIL_ROOT: '/nonexistent', WEBHOOK_RETRY_BASE_MS: '100' });
    const workers = await startWorkers(config, t.db, pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() })), { maintenance: true });
    stops.unshift(workers.stop);
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/domains/${w.A.domain.name}/mailboxes`,
          headers: bearer(w.A.key),
          payload: { localPart: 'inside', password: 'a long password 123' },
        })
      ).statusCode,
    ).toBe(201);
    const d = await until(
      'refused at delivery',
      async () => t.db.selectFrom('webhook_deliveries').select(['status', 'last_error']).where('webhook_id', '=', row.id).executeTakeFirst(),
      (x) => x?.last_error != null,
    );
    expect(d!.last_error).toContain('not a public address');
    expect(inside.received).toEqual([]);
  });
});
