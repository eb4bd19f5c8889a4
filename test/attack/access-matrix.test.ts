import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';
import { WRITES, apiRoutes, formBody, panelObjectRoutes, sampleBody, urlFor } from './routes.js';

let t: TestApp;
let w: Tenants;
beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
});
afterAll(() => t.close());

/** Every row that a tenant could own, to prove a refused request changed nothing. */
async function snapshot() {
  const tables = [
    'resellers',
    'plans',
    'customers',
    'domains',
    'mailboxes',
    'users',
    'api_keys',
    'mailbox_imports',
    'deleted_mailboxes',
    'space_requests',
    'app_passwords',
  ] as const;
  const rows = await Promise.all(
    tables.map((tbl) =>
      t.db
        .selectFrom(tbl)
        .selectAll()
        .orderBy('id' as never)
        .execute(),
    ),
  );
  // last_used_at moves with every authenticated request; it is not tenant data.
  return JSON.stringify(rows, (k, v) => (k === 'last_used_at' || k === 'last_login_at' ? undefined : v));
}

/** Requests made, and requests planned (routes × principals): every planned case must have run. */
const counts = { api: 0, panel: 0, apiPlanned: 0, panelPlanned: 0 };

describe('access matrix: every API route × every principal × another tenant', () => {
  it('answers 404 (403 for a read-only key writing) and changes nothing', async () => {
    const routes = apiRoutes(t.app).filter((r) => /:(id|domain|address)/.test(r.url));
    expect(routes.length).toBeGreaterThanOrEqual(12);
    const principals = [
      ['reseller A key', w.A.key, w.B],
      ['reseller B key', w.B.key, w.A],
      ['customer A1 key', w.A.customerKey, w.B],
      ['customer B1 key', w.B.customerKey, w.A],
      ['read-only key of A', w.A.readOnlyKey, w.B],
      ['key narrowed to the domain of A1', w.A.domainKey, w.B],
    ] as const;
    counts.apiPlanned = routes.length * principals.length;
    const before = await snapshot();
    for (const route of routes) {
      for (const [who, key, victim] of principals) {
        const body = sampleBody(route);
        const res = await t.app.inject({ method: route.method as 'GET', url: urlFor(route, victim), headers: bearer(key), ...(body && { payload: body }) });
        const expected = who.startsWith('read-only') && WRITES.has(route.method) ? [403, 404] : [404];
        expect(expected, `${who}: ${route.method} ${route.url} → ${res.statusCode} ${res.body.slice(0, 120)}`).toContain(res.statusCode);
        counts.api++;
      }
    }
    const after = await snapshot();
    if (after !== before) {
      const a = JSON.parse(before) as unknown[][];
      const b = JSON.parse(after) as unknown[][];
      for (const [i, rows] of a.entries()) expect(b[i], `table ${i}`).toEqual(rows);
    }
  });

  it('a narrowed key reaches no sibling object of its own reseller either', async () => {
    const other = await t.app.inject({
      method: 'POST',
      url: `/api/v1/customers/${w.A.customer.id}/domains`,
      headers: bearer(w.A.key),
      payload: { name: 'sibling-a.example' },
    });
    expect(other.statusCode).toBe(201);
    for (const url of ['/api/v1/domains/sibling-a.example', '/api/v1/domains/sibling-a.example/mailboxes']) {
      expect((await t.app.inject({ method: 'GET', url, headers: bearer(w.A.domainKey) })).statusCode).toBe(404);
    }
    for (const key of [w.A.customerKey, w.A.domainKey]) {
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/customers', headers: bearer(key) })).json().items.map((c: { id: number }) => c.id)).toEqual([
        w.A.customer.id,
      ]);
    }
  });
});

describe('access matrix: every panel route naming an object × every panel user × another tenant', () => {
  it('answers 404 and changes nothing', async () => {
    const routes = panelObjectRoutes(t.app);
    expect(routes.length).toBeGreaterThanOrEqual(15);
    const users = [
      ['reseller A', w.A.resellerUser.email, w.B],
      ['reseller B', w.B.resellerUser.email, w.A],
      ['customer A1', w.A.customerUser.email, w.B],
      ['customer B1', w.B.customerUser.email, w.A],
    ] as const;
    counts.panelPlanned = routes.length * users.length;
    // Routes over plans and imports are probed with real objects of the other tenant (fixtures.ts).
    expect(routes.some((r) => r.url.startsWith('/plans/:id'))).toBe(true);
    expect(routes.some((r) => r.url.startsWith('/imports/:id'))).toBe(true);
    const before = await snapshot();
    for (const [who, email, victim] of users) {
      const client = new PanelClient(t.app);
      await client.login(email);
      await client.get('/domains');
      for (const route of routes) {
        const url = urlFor(route, victim);
        const res = route.method === 'GET' ? await client.get(url) : await client.post(url, formBody(route));
        expect(res.statusCode, `${who}: ${route.method} ${route.url} → ${res.statusCode}`).toBe(404);
        counts.panel++;
      }
    }
    expect(await snapshot()).toBe(before);
  });

  it('covered so many cases', () => {
    console.log(`access matrix: ${counts.api} API cases, ${counts.panel} panel cases`);
    expect(counts.apiPlanned).toBeGreaterThanOrEqual(12 * 6);
    expect(counts.panelPlanned).toBeGreaterThanOrEqual(15 * 4);
    expect(counts).toMatchObject({ api: counts.apiPlanned, panel: counts.panelPlanned });
  });
});
