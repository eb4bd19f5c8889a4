// Panel pages are compressed for clients that accept it, and their CSRF token is masked afresh in
// every response, so compression cannot leak it (BREACH) and every masked copy is still accepted.
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';

let t: TestApp;
let w: Tenants;
let c: PanelClient;
beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  c = new PanelClient(t.app);
  await c.login(w.A.customerUser.email);
});
afterAll(() => t.close());

const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1];

describe('compressed panel pages', () => {
  it('are gzip or brotli when the browser accepts it, and plain otherwise', async () => {
    const url = `/domains/${w.A.domain.name}`;
    const plain = await c.get(url);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const gz = await t.app.inject({ method: 'GET', url, headers: { cookie: c.cookieHeader(), 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    const html = gunzipSync(gz.rawPayload).toString();
    expect(html).toContain(w.A.mailbox.address);
    const br = await t.app.inject({ method: 'GET', url, headers: { cookie: c.cookieHeader(), 'accept-encoding': 'br, gzip' } });
    expect(br.headers['content-encoding']).toBe('br');
  });

  it('never carry the session CSRF token itself, a different mask each time, each accepted', async () => {
    const session = await t.db.selectFrom('sessions').select('csrf_token').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    const first = await c.get('/account');
    const second = await c.get('/account');
    expect(first.body).not.toContain(session.csrf_token);
    const [a, b] = [csrfOf(first.body), csrfOf(second.body)];
    expect(a).not.toBe(b);
    for (const token of [a, b]) {
      const res = await c.post(`/mailboxes/${w.A.mailbox.address}/protocols`, { imap: 'on', pop3: 'on' }, { csrf: token });
      expect(res.statusCode).toBe(303);
    }
  });

  it("refuse the bare token, a tampered mask and another session's mask", async () => {
    const session = await t.db.selectFrom('sessions').select('csrf_token').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    const page = await c.get('/account');
    const masked = csrfOf(page.body);
    const [pad, x] = masked.split('.');
    const tampered = `${pad}.${x.startsWith('A') ? 'B' : 'A'}${x.slice(1)}`;
    const other = new PanelClient(t.app);
    await other.login(w.B.customerUser.email);
    for (const token of [session.csrf_token, tampered, other.csrf]) {
      const res = await c.post(`/mailboxes/${w.A.mailbox.address}/protocols`, { imap: 'on' }, { csrf: token });
      expect(res.statusCode).toBe(403);
    }
  });
});
