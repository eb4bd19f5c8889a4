// Every string a schema accepts, in every route (API and panel, query and body), with a NUL or
// another control character: 400 everywhere, never a 500, nothing stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';
import { apiRoutes, formBody, sampleBody, urlFor, type RouteInfo } from './routes.js';

let t: TestApp;
let w: Tenants;
let operator: PanelClient;
beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  operator = new PanelClient(t.app);
  await operator.login(w.operator.email);
});
afterAll(() => t.close());

const BAD = ['\u0000', '\u0001', '\u001b[31m', '\u007f'];
type Props = Record<string, { type?: string; anyOf?: unknown[] }>;
const stringFields = (props: Props | undefined) =>
  Object.entries(props ?? {})
    .filter(([k, v]) => k !== '_csrf' && (v.type === 'string' || v.type === undefined))
    .map(([k]) => k);
const querySchema = (r: RouteInfo) => (r.schema as { querystring?: { properties?: Props } } | undefined)?.querystring?.properties;
const snapshot = async () =>
  JSON.stringify(
    await Promise.all(
      ['customers', 'domains', 'mailboxes', 'plans'].map((tb) =>
        t.db
          .selectFrom(tb as 'customers')
          .selectAll()
          .execute(),
      ),
    ),
  );

describe('control characters in every string field', () => {
  it('the API answers 400 for each, and stores nothing', async () => {
    const before = await snapshot();
    let cases = 0;
    for (const route of apiRoutes(t.app)) {
      const url = urlFor(route, w.A);
      for (const field of stringFields(querySchema(route))) {
        for (const bad of BAD) {
          const res = await t.app.inject({
            method: route.method as 'GET',
            url: `${url}${url.includes('?') ? '&' : '?'}${field}=${encodeURIComponent(`a${bad}b`)}`,
            headers: bearer(w.operatorKey),
          });
          expect(res.statusCode, `${route.method} ${route.url}?${field} ${JSON.stringify(bad)}`).toBe(400);
          cases++;
        }
      }
      const props = route.schema?.body?.properties as Props | undefined;
      for (const field of stringFields(props)) {
        for (const bad of BAD) {
          const body = { ...sampleBody(route), [field]: `a${bad}b` };
          const res = await t.app.inject({ method: route.method as 'POST', url, headers: bearer(w.operatorKey), payload: body });
          expect(res.statusCode, `${route.method} ${route.url} ${field} ${JSON.stringify(bad)}`).toBe(400);
          cases++;
        }
      }
    }
    expect(cases).toBeGreaterThan(50);
    expect(await snapshot()).toBe(before);
  });

  it('the panel answers 400 for each form field and search, and stores nothing', async () => {
    const before = await snapshot();
    let cases = 0;
    const routes = (t.app.routeTable as RouteInfo[]).filter(
      (r) =>
        !r.url.startsWith('/api/') &&
        !r.url.startsWith('/docs') &&
        !r.url.startsWith('/admin/queues') &&
        !r.url.startsWith('/static') &&
        !r.url.startsWith('/vendor'),
    );
    // The owner's pages (/my) take the mailbox owner's session, not the operator's.
    const owner = new PanelClient(t.app);
    expect((await owner.loginOwner(w.A.mailbox.address)).statusCode).toBe(303);
    for (const route of routes) {
      const url = urlFor(route, w.A).replace(/:[a-z]+/gi, 'x');
      const client = route.url.startsWith('/my') && route.url !== '/my/login' ? owner : operator;
      for (const field of stringFields(querySchema(route))) {
        const res = await client.get(`${url}?${field}=${encodeURIComponent('a\u0000b')}`);
        expect(res.statusCode, `GET ${route.url}?${field}`).toBe(400);
        cases++;
      }
      if (route.method !== 'POST') continue;
      const props = route.schema?.body?.properties as Props | undefined;
      for (const field of stringFields(props)) {
        await client.get(client === owner ? '/my' : '/');
        const res = await client.post(url, { ...formBody(route), [field]: 'a\u0000b' });
        expect(res.statusCode, `POST ${route.url} ${field}`).toBe(400);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(30);
    expect(await snapshot()).toBe(before);
  });

  it('the sign-in form with a NUL in the email is a 400, not a database error', async () => {
    const anon = new PanelClient(t.app);
    await anon.get('/login');
    const res = await anon.post('/login', { email: 'a\u0000@example.org', password: 'whatever it is' });
    expect(res.statusCode).toBe(400);
  });
});
