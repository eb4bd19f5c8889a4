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

const call = (method: string, url: string, key: string, payload?: object) =>
  t.app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers: bearer(key), ...(payload && { payload }) });

/** Everything stored, to prove a refused request changed nothing. */
const snapshot = async () =>
  JSON.stringify(
    await Promise.all([
      t.db.selectFrom('customers').selectAll().orderBy('id').execute(),
      t.db.selectFrom('domains').selectAll().orderBy('id').execute(),
      t.db.selectFrom('mailboxes').selectAll().orderBy('id').execute(),
    ]),
  );

describe("a reseller's key never reaches another reseller's objects", () => {
  // Every route of the API, aimed at reseller B's objects; A's key must get 404 and change nothing.
  const foreign = () =>
    [
      ['GET', `/customers/${w.B.customer.id}`],
      ['PATCH', `/customers/${w.B.customer.id}`, { name: 'pwned' }],
      ['DELETE', `/customers/${w.B.customer.id}`],
      ['GET', `/customers/${w.B.customer.id}/domains`],
      ['POST', `/customers/${w.B.customer.id}/domains`, { name: 'stolen.example' }],
      ['GET', `/domains/${w.B.domain.name}`],
      ['DELETE', `/domains/${w.B.domain.name}`],
      ['GET', `/domains/${w.B.domain.name}/mailboxes`],
      ['POST', `/domains/${w.B.domain.name}/mailboxes`, { localPart: 'evil', password: 'a long password' }],
      ['GET', `/mailboxes/${w.B.mailbox.address}`],
      ['PATCH', `/mailboxes/${w.B.mailbox.address}`, { password: 'taken over!!' }],
      ['DELETE', `/mailboxes/${w.B.mailbox.address}`],
      ['GET', `/mailboxes/${w.B.mailbox.address}/usage`],
    ] as const;

  it('answers 404 on every route and method, for full and domain-narrowed keys', async () => {
    const before = await snapshot();
    for (const key of [w.A.key, w.A.domainKey]) {
      for (const [method, url, body] of foreign()) {
        const res = await call(method, url, key, body);
        expect(res.statusCode, `${method} ${url}`).toBe(404);
        expect(res.json().error).toBe('not_found');
      }
    }
    expect(await snapshot()).toBe(before);
  });

  it('lists only its own customers and domains', async () => {
    const customers = (await call('GET', '/customers', w.A.key)).json();
    expect(customers.items.map((c: { id: number }) => c.id)).toEqual([w.A.customer.id]);
    const domains = (await call('GET', '/domains', w.A.key)).json();
    expect(domains.items.map((d: { name: string }) => d.name)).toEqual([w.A.domain.name]);
  });

  it('the operator key sees both resellers', async () => {
    const customers = (await call('GET', '/customers', w.operatorKey)).json();
    expect(customers.total).toBe(2);
    expect((await call('GET', `/mailboxes/${w.B.mailbox.address}`, w.operatorKey)).statusCode).toBe(200);
  });
});

describe('narrowed and read-only keys', () => {
  it('a read-only key reads but every write is 403 and changes nothing', async () => {
    const before = await snapshot();
    expect((await call('GET', `/mailboxes/${w.A.mailbox.address}`, w.A.readOnlyKey)).statusCode).toBe(200);
    for (const [method, url, body] of [
      ['POST', '/customers', { name: 'x', contactEmail: 'x@example.org' }],
      ['PATCH', `/customers/${w.A.customer.id}`, { name: 'x' }],
      ['POST', `/domains/${w.A.domain.name}/mailboxes`, { localPart: 'x', password: 'a long password' }],
      ['PATCH', `/mailboxes/${w.A.mailbox.address}`, { pop3: false }],
      ['DELETE', `/mailboxes/${w.A.mailbox.address}`],
    ] as const) {
      const res = await call(method, url, w.A.readOnlyKey, body);
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }
    expect(await snapshot()).toBe(before);
  });

  it('a key narrowed to one domain sees only that domain and cannot create domains or customers', async () => {
    await call('POST', `/customers/${w.A.customer.id}/domains`, w.A.key, { name: 'second-a.example' });
    const domains = (await call('GET', '/domains', w.A.domainKey)).json();
    expect(domains.items.map((d: { name: string }) => d.name)).toEqual([w.A.domain.name]);
    expect((await call('GET', '/domains/second-a.example', w.A.domainKey)).statusCode).toBe(404);
    expect((await call('POST', `/customers/${w.A.customer.id}/domains`, w.A.domainKey, { name: 'third-a.example' })).statusCode).toBe(403);
    expect((await call('POST', '/customers', w.A.domainKey, { name: 'x', contactEmail: 'x@example.org' })).statusCode).toBe(404);
    expect((await call('PATCH', `/mailboxes/${w.A.mailbox.address}`, w.A.domainKey, { pop3: false })).statusCode).toBe(200);
  });

  it('a revoked key and a key of a suspended reseller stop working at once', async () => {
    const keyRow = await t.db.selectFrom('api_keys').select('id').where('name', '=', 'ro b').executeTakeFirstOrThrow();
    expect((await call('GET', '/customers', w.B.readOnlyKey)).statusCode).toBe(200);
    await t.db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', keyRow.id).execute();
    expect((await call('GET', '/customers', w.B.readOnlyKey)).statusCode).toBe(401);

    expect((await call('GET', '/customers', w.B.key)).statusCode).toBe(200);
    await t.db.updateTable('resellers').set({ active: false }).where('id', '=', w.B.reseller.id).execute();
    expect((await call('GET', '/customers', w.B.key)).statusCode).toBe(401);
    await t.db.updateTable('resellers').set({ active: true }).where('id', '=', w.B.reseller.id).execute();
  });

  it('stores only a hash of each key and records when it was used', async () => {
    const rows = await t.db.selectFrom('api_keys').selectAll().execute();
    for (const r of rows) {
      expect(w.A.key).not.toContain(r.secret_hash);
      expect(r.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    }
    await new Promise((r) => setTimeout(r, 50));
    const used = rows.find((r) => w.A.key.includes(r.prefix));
    const after = await t.db.selectFrom('api_keys').select('last_used_at').where('id', '=', used!.id).executeTakeFirstOrThrow();
    expect(after.last_used_at).not.toBeNull();
  });
});
