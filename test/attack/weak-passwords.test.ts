// Weak passwords are refused by a real estimator (zxcvbn-ts), for mailboxes and panel logins,
// through the API and the panel alike; what the forms generate passes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePassword, passwordProblem } from '../../server/platform/passwords.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';

let t: TestApp;
let w: Tenants;
beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
});
afterAll(() => t.close());

const WEAK = (address: string) => [
  '            ',
  'aaaaaaaaaa',
  address,
  `${address}1`,
  'password1234',
  'qwertyuiop12',
  'Sommer2024!',
  '1234567890',
  'abcdefghijkl',
];

describe('password strength', () => {
  it('the estimator refuses what is easy to guess and accepts generated passwords', () => {
    for (const p of WEAK('weakpw@alpha.example'))
      expect(passwordProblem(p, 10, ['weakpw@alpha.example']), JSON.stringify(p)).toMatch(/too easy to guess|at least/);
    for (let i = 0; i < 20; i++) expect(passwordProblem(generatePassword(), 10)).toBeNull();
  });

  it('the API refuses weak mailbox passwords, on create and on change, and stores nothing', async () => {
    const address = `weakpw@${w.A.domain.name}`;
    for (const password of WEAK(address)) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/domains/${w.A.domain.name}/mailboxes`,
        headers: bearer(w.A.key),
        payload: { localPart: 'weakpw', password },
      });
      expect(res.statusCode, JSON.stringify(password)).toBe(400);
      expect(res.json().field).toBe('password');
    }
    expect(await t.db.selectFrom('mailboxes').select('id').where('address', '=', address).executeTakeFirst()).toBeUndefined();
    const change = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/mailboxes/${w.A.mailbox.address}`,
      headers: bearer(w.A.key),
      payload: { password: w.A.mailbox.address },
    });
    expect(change.statusCode).toBe(400);
  });

  it('the panel refuses them next to the field and offers a generator', async () => {
    const c = new PanelClient(t.app);
    await c.login(w.A.customerUser.email);
    const form = await c.get(`/domains/${w.A.domain.name}/mailboxes/new`);
    expect(form.body).toMatch(/data-generate-for="password"/);
    const res = await c.post(`/domains/${w.A.domain.name}/mailboxes`, { localPart: 'weakpw', password: 'aaaaaaaaaa', imap: 'on' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/id="password-error">[^<]*too easy to guess/);
  });

  it('panel logins too: a reseller login that is its own email is refused', async () => {
    const operator = new PanelClient(t.app);
    await operator.login(w.operator.email);
    const page = await operator.get('/resellers');
    expect(page.statusCode).toBe(200);
    const res = await operator.post('/resellers', {
      name: 'Weak Reseller',
      contactEmail: 'weak@example.org',
      loginEmail: 'weaklogin@example.org',
      loginPassword: 'weaklogin@example.org',
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('too easy to guess');
  });
});
