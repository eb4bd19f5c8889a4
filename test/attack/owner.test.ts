// The mailbox owner's session against everything else: every panel route naming an object (its own
// tenant's and the other tenant's), every API route, and its own pages probed for other mailboxes.
// An owner signs in with a mailbox password only; it must reach nothing but /my, change nothing else,
// and see no other mailbox, not even of its own customer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailbox } from '../../server/services/mailboxes/service.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { PASSWORD, resellerPrincipal, seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';
import { apiRoutes, formBody, panelObjectRoutes, sampleBody, urlFor } from './routes.js';

let t: TestApp;
let w: Tenants;
let owner: PanelClient;
let sibling: string;
beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  sibling = (await createMailbox(t.db, resellerPrincipal(w.A.reseller.id), w.A.domain.name, { localPart: 'sibling', password: PASSWORD }, 10)).address;
  owner = new PanelClient(t.app);
  expect((await owner.loginOwner(w.A.mailbox.address)).statusCode).toBe(303);
});
afterAll(() => t.close());

async function snapshot() {
  const tables = ['resellers', 'plans', 'customers', 'domains', 'mailboxes', 'users', 'api_keys', 'mailbox_imports', 'deleted_mailboxes', 'cleanups'] as const;
  const rows = await Promise.all(
    tables.map((tbl) =>
      t.db
        .selectFrom(tbl)
        .selectAll()
        .orderBy('id' as never)
        .execute(),
    ),
  );
  return JSON.stringify(rows, (k, v) => (k === 'last_used_at' || k === 'last_login_at' ? undefined : v));
}

describe("a mailbox owner's session", () => {
  it('reaches no staff page naming an object, of its own tenant or another: each asks for a staff sign-in', async () => {
    const routes = panelObjectRoutes(t.app).filter((r) => !r.url.startsWith('/my'));
    expect(routes.length).toBeGreaterThanOrEqual(15);
    const before = await snapshot();
    let cases = 0;
    for (const victim of [w.A, w.B]) {
      for (const route of routes) {
        const url = urlFor(route, victim);
        const res = route.method === 'GET' ? await owner.get(url) : await owner.post(url, formBody(route));
        expect([303, 401, 403], `${route.method} ${url} → ${res.statusCode}`).toContain(res.statusCode);
        if (res.statusCode === 303) expect(res.headers.location).toMatch(/^\/login/);
        cases++;
      }
    }
    expect(await snapshot()).toBe(before);
    console.log(`owner attack cases: ${cases} panel routes`);
  });

  it('is no key to the API', async () => {
    for (const route of apiRoutes(t.app)) {
      const url = urlFor(route, w.A);
      const res = await t.app.inject({
        method: route.method as 'GET',
        url,
        headers: { cookie: owner.cookieHeader() },
        ...(sampleBody(route) && { payload: sampleBody(route) }),
      });
      expect(res.statusCode, `${route.method} ${url}`).toBe(401);
    }
  });

  it('sees nothing of another mailbox on its own pages, and cannot confirm a preview of another mailbox', async () => {
    for (const url of ['/my', '/my?notice=cleanup', '/my/login']) {
      const res = await owner.get(url);
      for (const other of [sibling, w.B.mailbox.address, w.A.customer.contact_email, w.A.resellerUser.email]) expect(res.body, url).not.toContain(other);
    }
    // A preview row of the sibling mailbox, confirmed from the owner's page: not found, nothing queued.
    const siblingId = (await t.db.selectFrom('mailboxes').select('id').where('address', '=', sibling).executeTakeFirstOrThrow()).id;
    const row = await t.db
      .insertInto('cleanups')
      .values({ mailbox_id: siblingId, folder: 'Trash', status: 'preview', preview_messages: 1, preview_bytes: 1, uid_set: '1' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await owner.get('/my');
    const res = await owner.post('/my/cleanup', { previewId: String(row.id) });
    expect(res.statusCode).toBe(409);
    expect((await t.db.selectFrom('cleanups').select('status').where('id', '=', row.id).executeTakeFirstOrThrow()).status).toBe('preview');
  });
});
