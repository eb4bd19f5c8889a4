import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';
import { urlFor } from './routes.js';

let t: TestApp;
let w: Tenants;
beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
});
afterAll(() => t.close());

describe('security headers on every response, errors included', () => {
  it.each([
    ['GET', '/login', undefined],
    ['GET', '/no-such-page', undefined],
    ['GET', '/api/v1/customers', undefined],
    ['GET', '/api/v1/nothing-here', 'key'],
    ['POST', '/api/v1/customers', 'key'],
    ['GET', '/static/app.css', undefined],
    ['GET', '/docs/json', undefined],
  ])('%s %s', async (method, url, auth) => {
    const res = await t.app.inject({
      method: method as 'GET',
      url,
      headers: auth ? { ...bearer(w.A.key), 'content-type': 'application/json' } : {},
      ...(method === 'POST' && { payload: '{"bad json' }),
    });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('session lifetimes', () => {
  it('ends an idle session and one past its absolute lifetime', async () => {
    const idle = new PanelClient(t.app);
    await idle.login(w.A.customerUser.email);
    expect((await idle.get('/domains')).statusCode).toBe(200);
    await t.db
      .updateTable('sessions')
      .set({ last_seen_at: new Date(Date.now() - (t.config.sessionIdleSeconds + 5) * 1000) })
      .execute();
    expect((await idle.get('/domains')).statusCode).toBe(303);

    const old = new PanelClient(t.app);
    await old.login(w.A.customerUser.email);
    await t.db
      .updateTable('sessions')
      .set({ created_at: new Date(Date.now() - (t.config.sessionAbsoluteSeconds + 5) * 1000) })
      .execute();
    expect((await old.get('/domains')).statusCode).toBe(303);
  });

  it('no GET route changes state', async () => {
    const c = new PanelClient(t.app);
    await c.login(w.A.resellerUser.email);
    const snapshot = async () =>
      JSON.stringify(
        await Promise.all(
          ['customers', 'domains', 'mailboxes', 'api_keys', 'plans', 'mailbox_imports', 'deleted_mailboxes'].map((tbl) =>
            t.db
              .selectFrom(tbl as 'customers')
              .selectAll()
              .orderBy('id')
              .execute(),
          ),
        ),
      );
    const before = await snapshot();
    const gets = (t.app.routeTable as { method: string; url: string }[]).filter(
      (r) => r.method === 'GET' && !r.url.startsWith('/api') && !r.url.startsWith('/docs') && !r.url.includes('*'),
    );
    // Each route with an object of the user's own tenant (routes.ts urlFor: the plan for /plans/:id, the
    // import for /imports/:id…), signed in as the user who may do the most with it, so that a route
    // reaches its handler rather than a 404. The import's generated password is still there to lose.
    const customer = new PanelClient(t.app);
    await customer.login(w.A.customerUser.email);
    const reached = new Set<number>();
    for (const r of gets) {
      const url = urlFor({ method: 'GET', url: r.url }, w.A).replace(':token', 'x'.repeat(43));
      for (const client of [c, customer]) reached.add((await client.get(url)).statusCode);
    }
    expect(await snapshot()).toBe(before);
    expect(gets.length).toBeGreaterThan(10);
    expect(reached).toContain(200);
  });
});
