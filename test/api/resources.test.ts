import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';

let t: TestApp;
let w: Tenants;
beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
});
afterAll(() => t.close());

const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, key: string, payload?: unknown) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: bearer(key), ...(payload !== undefined && { payload: payload as object }) });

describe('customers', () => {
  it('creates, reads, updates, lists and deletes a customer', async () => {
    const created = await api('POST', '/customers', w.A.key, { name: 'Carla GmbH', contactEmail: 'Carla@Example.org', language: 'de' });
    expect(created.statusCode).toBe(201);
    const c = created.json();
    expect(c).toMatchObject({ name: 'Carla GmbH', contactEmail: 'carla@example.org', language: 'de', resellerId: w.A.reseller.id, active: true });

    expect((await api('GET', `/customers/${c.id}`, w.A.key)).json().name).toBe('Carla GmbH');
    const patched = await api('PATCH', `/customers/${c.id}`, w.A.key, { name: 'Carla AG' });
    expect(patched.json().name).toBe('Carla AG');

    const list = (await api('GET', '/customers?limit=1&offset=0', w.A.key)).json();
    expect(list.total).toBe(2);
    expect(list.items).toHaveLength(1);
    expect(list.limit).toBe(1);

    expect((await api('DELETE', `/customers/${c.id}`, w.A.key)).statusCode).toBe(204);
    expect((await api('GET', `/customers/${c.id}`, w.A.key)).statusCode).toBe(404);
  });

  it('refuses bad input with a JSON error and stores nothing', async () => {
    const before = (await api('GET', '/customers', w.A.key)).json().total;
    for (const body of [
      { name: '', contactEmail: 'x@example.org' },
      { name: 'X', contactEmail: 'not-an-email' },
      { name: 'X\r\nBcc: evil@example.org', contactEmail: 'x@example.org' },
      { name: 'X', contactEmail: 'x@example.org', resellerId: w.B.reseller.id },
      { name: 'X', contactEmail: 'x@example.org', extra: 1 },
      { name: 'X', contactEmail: 'x@example.org', planId: 999999 },
    ]) {
      const res = await api('POST', '/customers', w.A.key, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json()).toEqual({ error: 'validation', message: expect.any(String), field: expect.any(String) });
    }
    expect((await api('GET', '/customers', w.A.key)).json().total).toBe(before);
  });

  it('refuses to delete a customer that still has domains', async () => {
    const res = await api('DELETE', `/customers/${w.A.customer.id}`, w.A.key);
    expect(res.statusCode).toBe(409);
  });
});

describe('domains and mailboxes', () => {
  it('creates a domain in punycode and a mailbox with the 500 MB default', async () => {
    const d = await api('POST', `/customers/${w.A.customer.id}/domains`, w.A.key, { name: 'Bücher.example' });
    expect(d.statusCode).toBe(201);
    expect(d.json()).toMatchObject({ name: 'xn--bcher-kva.example', displayName: 'bücher.example', mailboxes: 0 });

    const m = await api('POST', '/domains/bücher.example/mailboxes', w.A.key, { localPart: 'Anna.Schmidt', password: 'a long password', pop3: false });
    expect(m.statusCode).toBe(201);
    const body = m.json();
    expect(body).toMatchObject({ address: 'anna.schmidt@xn--bcher-kva.example', quotaBytes: 524288000, imap: true, pop3: false, active: true });
    expect(body).not.toHaveProperty('password');
    expect(JSON.stringify(body)).not.toMatch(/argon|passwordHash|password_hash/i);

    const row = await t.db.selectFrom('mailboxes').selectAll().where('address', '=', body.address).executeTakeFirstOrThrow();
    expect(row.maildir).toBe('xn--bcher-kva.example/anna.schmidt');
    expect(row.password_hash).toMatch(/^\{ARGON2ID\}\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);

    const usage = (await api('GET', `/mailboxes/${body.address}/usage`, w.A.key)).json();
    expect(usage).toEqual({
      usedBytes: null,
      messages: null,
      quotaBytes: 524288000,
      percent: null,
      level: null,
      scannedAt: null,
      source: null,
      diskBytes: null,
      diskScannedAt: null,
      drift: null,
    });
  });

  it('lets only the operator choose the storage node of a domain, which its mailboxes inherit', async () => {
    const refused = await api('POST', `/customers/${w.A.customer.id}/domains`, w.A.key, { name: 'remote.example', node: 'mx2' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().field).toBe('node');
    expect((await api('POST', `/customers/${w.A.customer.id}/domains`, w.operatorKey, { name: 'remote.example', node: 'Bad Node' })).statusCode).toBe(400);
    const d = await api('POST', `/customers/${w.A.customer.id}/domains`, w.operatorKey, { name: 'remote.example', node: 'mx2' });
    expect(d.statusCode).toBe(201);
    expect(d.json().node).toBe('mx2');
    const m = await api('POST', '/domains/remote.example/mailboxes', w.A.key, { localPart: 'far', password: 'a long password' });
    expect(m.json().node).toBe('mx2');
    expect((await api('POST', '/mailboxes/far@remote.example/scan', w.A.key)).statusCode).toBe(202);
    const waiting = await t.app.queues.get('scan-mx2').getWaiting();
    expect(waiting.map((j) => j.data.mailboxId)).toHaveLength(1);
  });

  it('answers 409 for a duplicate domain or mailbox', async () => {
    expect((await api('POST', `/customers/${w.A.customer.id}/domains`, w.A.key, { name: w.B.domain.name })).statusCode).toBe(409);
    const dup = await api('POST', `/domains/${w.A.domain.name}/mailboxes`, w.A.key, { localPart: 'INFO', password: 'a long password' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error).toBe('conflict');
  });

  it('updates password, quota, protocols and status', async () => {
    const addr = w.A.mailbox.address;
    const res = await api('PATCH', `/mailboxes/${addr}`, w.A.key, { quotaBytes: 1048576000, imap: false, pop3: true, active: false });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ quotaBytes: 1048576000, imap: false, pop3: true, active: false });
    const before = await t.db.selectFrom('mailboxes').select('password_hash').where('address', '=', addr).executeTakeFirstOrThrow();
    expect((await api('PATCH', `/mailboxes/${addr}`, w.A.key, { password: 'another long one' })).statusCode).toBe(200);
    const after = await t.db.selectFrom('mailboxes').select('password_hash').where('address', '=', addr).executeTakeFirstOrThrow();
    expect(after.password_hash).not.toBe(before.password_hash);
    await api('PATCH', `/mailboxes/${addr}`, w.A.key, { imap: true, active: true });
  });

  it.each([
    [{ localPart: 'a'.repeat(65), password: 'a long password' }, 'localPart'],
    [{ localPart: 'a..b', password: 'a long password' }, 'localPart'],
    [{ localPart: 'ü', password: 'a long password' }, 'localPart'],
    [{ localPart: 'ok', password: 'short' }, 'password'],
    [{ localPart: 'ok', password: 'a long password', quotaBytes: -1 }, 'quotaBytes'],
    [{ localPart: 'ok', password: 'a long password', quotaBytes: '500MB' }, 'quotaBytes'],
    [{ localPart: 'ok', password: 'a long password', quotaBytes: 500.5 }, 'quotaBytes'],
    [{ localPart: 'ok', password: 'a long password', quotaBytes: 2 ** 53 + 2 }, 'quotaBytes'],
    [{ localPart: 'ok', password: 'a long password', usedBytes: 5 }, 'usedBytes'],
    [{ localPart: 'ok', password: 'a long password', passwordHash: 'x' }, 'passwordHash'],
  ])('refuses mailbox %j naming field %s, storing nothing', async (body, field) => {
    const res = await api('POST', `/domains/${w.A.domain.name}/mailboxes`, w.A.key, body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'validation', field });
    expect(await t.db.selectFrom('mailboxes').select('id').where('local_part', '=', 'ok').executeTakeFirst()).toBeUndefined();
  });

  it('refuses quota 1e309 (Infinity after JSON parsing)', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/mailboxes/${w.A.mailbox.address}`,
      headers: { ...bearer(w.A.key), 'content-type': 'application/json' },
      payload: '{"quotaBytes": 1e309}',
    });
    expect(res.statusCode).toBe(400);
  });

  it('enforces the plan: largest quota, most mailboxes, total storage (422 naming the limit)', async () => {
    const plan = await t.db
      .insertInto('plans')
      .values({
        reseller_id: w.A.reseller.id,
        name: 'Small',
        default_quota_bytes: 100 * 1024 * 1024,
        max_quota_bytes: 200 * 1024 * 1024,
        max_mailboxes: 3,
        max_storage_bytes: 350 * 1024 * 1024,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const c = (await api('POST', '/customers', w.A.key, { name: 'Planned', contactEmail: 'p@example.org', planId: plan.id })).json();
    await api('POST', `/customers/${c.id}/domains`, w.A.key, { name: 'planned.example' });
    const mk = (localPart: string, quotaBytes?: number) =>
      api('POST', '/domains/planned.example/mailboxes', w.A.key, { localPart, password: 'a long password', ...(quotaBytes && { quotaBytes }) });

    expect((await mk('one')).json().quotaBytes).toBe(100 * 1024 * 1024);
    const tooBig = await mk('big', 201 * 1024 * 1024);
    expect(tooBig.statusCode).toBe(422);
    expect(tooBig.json()).toMatchObject({ error: 'limit_exceeded', limit: 'max_quota_bytes' });
    expect((await mk('two', 200 * 1024 * 1024)).statusCode).toBe(201);
    const storage = await mk('three', 51 * 1024 * 1024);
    expect(storage.json()).toMatchObject({ error: 'limit_exceeded', limit: 'max_storage_bytes' });
    expect((await mk('three', 50 * 1024 * 1024)).statusCode).toBe(201);
    const count = await mk('four', 1024 * 1024);
    expect(count.json()).toMatchObject({ error: 'limit_exceeded', limit: 'max_mailboxes' });
    const raise = await api('PATCH', '/mailboxes/one@planned.example', w.A.key, { quotaBytes: 150 * 1024 * 1024 });
    expect(raise.json()).toMatchObject({ limit: 'max_storage_bytes' });
  });

  it('keeps the plan limits under concurrent creation', async () => {
    const plan = await t.db
      .insertInto('plans')
      .values({ reseller_id: w.A.reseller.id, name: 'Two', default_quota_bytes: 1024 * 1024, max_mailboxes: 2 })
      .returning('id')
      .executeTakeFirstOrThrow();
    const c = (await api('POST', '/customers', w.A.key, { name: 'Racer', contactEmail: 'r@example.org', planId: plan.id })).json();
    await api('POST', `/customers/${c.id}/domains`, w.A.key, { name: 'race.example' });
    const results = await Promise.all(
      ['a', 'b', 'c', 'd', 'e'].map((l) => api('POST', '/domains/race.example/mailboxes', w.A.key, { localPart: l, password: 'a long password' })),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(2);
    expect(results.filter((r) => r.statusCode === 422)).toHaveLength(3);
  });

  it('paginates, searches and sorts by allow-listed columns only', async () => {
    for (let i = 0; i < 12; i++)
      await api('POST', `/domains/${w.B.domain.name}/mailboxes`, w.B.key, { localPart: `user${String(i).padStart(2, '0')}`, password: 'a long password' });
    const page = (await api('GET', `/domains/${w.B.domain.name}/mailboxes?limit=5&offset=5&sort=address`, w.B.key)).json();
    expect(page.total).toBe(13);
    expect(page.items.map((m: { localPart: string }) => m.localPart)).toEqual(['user04', 'user05', 'user06', 'user07', 'user08']);
    const found = (await api('GET', `/domains/${w.B.domain.name}/mailboxes?q=er1`, w.B.key)).json();
    expect(found.items.map((m: { localPart: string }) => m.localPart)).toEqual(['user10', 'user11']);
    const desc = (await api('GET', `/domains/${w.B.domain.name}/mailboxes?sort=address&order=desc&limit=1`, w.B.key)).json();
    expect(desc.items[0].localPart).toBe('user11');
    for (const bad of ['sort=password_hash', 'sort=address;drop', 'order=sideways', 'limit=0', 'limit=100000', 'offset=-1']) {
      expect((await api('GET', `/domains/${w.B.domain.name}/mailboxes?${bad}`, w.B.key)).statusCode, bad).toBe(400);
    }
  });

  it('refuses a domain with mailboxes, deletes an empty one', async () => {
    expect((await api('DELETE', `/domains/${w.B.domain.name}`, w.B.key)).statusCode).toBe(409);
    await api('POST', `/customers/${w.B.customer.id}/domains`, w.B.key, { name: 'empty.example' });
    expect((await api('DELETE', '/domains/empty.example', w.B.key)).statusCode).toBe(204);
    expect((await api('GET', '/domains/empty.example', w.B.key)).statusCode).toBe(404);
  });

  it('records every change in the audit log without secrets', async () => {
    const rows = await t.db.selectFrom('audit_log').selectAll().execute();
    const actions = new Set(rows.map((r) => r.action));
    for (const a of ['customer.create', 'customer.update', 'customer.delete', 'domain.create', 'domain.delete', 'mailbox.create', 'mailbox.update'])
      expect(actions).toContain(a);
    const update = rows.find((r) => r.action === 'mailbox.update' && (r.after as { passwordChanged?: boolean }).passwordChanged);
    expect(update?.actor).toMatch(/^api-key:/);
    expect(JSON.stringify(rows)).not.toMatch(/argon2|a long password|another long one/);
  });

  it('answers 401 without a valid key and never accepts a session cookie', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/customers' })).statusCode).toBe(401);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/customers', headers: { authorization: 'Bearer mp_000000000000_' + 'x'.repeat(43) } })).statusCode,
    ).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/customers', headers: { cookie: '__Host-mailpanel=whatever' } })).statusCode).toBe(401);
  });

  it('serves the OpenAPI document', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json().paths);
    for (const p of [
      '/api/v1/customers',
      '/api/v1/customers/{id}',
      '/api/v1/customers/{id}/domains',
      '/api/v1/domains/{domain}',
      '/api/v1/domains/{domain}/mailboxes',
      '/api/v1/mailboxes/{address}',
      '/api/v1/mailboxes/{address}/usage',
      '/api/v1/mailboxes/{address}/folders',
      '/api/v1/mailboxes/{address}/cleanup',
      '/api/v1/mailboxes/{address}/cleanup/{id}',
      '/api/v1/mailboxes/{address}/large-messages',
    ]) {
      expect(paths).toContain(p);
    }
    // Only the API: no panel page (nor a setup link) is listed.
    expect(paths.filter((p) => !p.startsWith('/api/v1/'))).toEqual([]);
  });
});

describe('questions to a mailbox node whose worker is down', () => {
  it('a cleanup preview and the largest messages answer 503 at once, and nothing is recorded', async () => {
    const started = Date.now();
    const preview = await api('POST', `/mailboxes/${w.A.mailbox.address}/cleanup`, w.A.key, { folder: 'Junk', preview: true });
    expect(preview.statusCode).toBe(503);
    expect(preview.json().message).toContain('did not answer');
    expect((await api('GET', `/mailboxes/${w.A.mailbox.address}/large-messages`, w.A.key)).statusCode).toBe(503);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await t.db.selectFrom('cleanups').selectAll().execute()).toEqual([]);
  });
});
