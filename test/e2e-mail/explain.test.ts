// The lookups Dovecot and Postfix make at every login and every RCPT must stay index lookups on a
// realistically sized database: the queries are read from deploy/ exactly as the servers get them
// (placeholders rendered, Dovecot/Postfix variables expanded and escaped), run under EXPLAIN ANALYZE
// as the mail servers' own role, and must reach mailboxes (domains) through an index, never a Seq Scan.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeScans, expandDovecot, expandPostfix, explainQuery, indexedOn, mailQueryTemplates, type MailQueries } from '../../bench/mail-queries.js';
import { seedLarge, type Seeded } from '../../bench/seed-large.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let tdb: TestDatabase;
let client: pg.Client;
let q: MailQueries;
let seeded: Seeded;
let small: string;
let big: string;

beforeAll(async () => {
  tdb = await createTestDatabase();
  // 5,000 mailboxes: one domain of 2,000 and 3,000 over 999 small domains (1,000 customers); VACUUM ANALYZEd by the seeder.
  seeded = await seedLarge(tdb.db, { resellers: 2, customers: 1000, domains: 1000, mailboxes: 5000, bigDomains: 1, bigDomainSize: 2000 });
  q = await mailQueryTemplates();
  client = new pg.Client({ connectionString: tdb.url });
  await client.connect();
  // Run as the mail servers do, when the role exists (the migration creates it given CREATEROLE).
  const role = await client.query(`SELECT 1 FROM pg_roles WHERE rolname = 'mailpanel_mail'`);
  if (role.rowCount) await client.query('SET ROLE mailpanel_mail');
  const pick = async (like: string) =>
    (await client.query<{ address: string }>(`SELECT address FROM mail_accounts WHERE imap AND pop3 AND address LIKE $1 ORDER BY address LIMIT 1`, [like]))
      .rows[0].address;
  small = await pick('%@d%.example.net');
  big = await pick(`%@${seeded.bigDomains[0]}`);
}, 120_000);

afterAll(async () => {
  await client?.end();
  await tdb?.drop();
});

async function lookup(sqlText: string) {
  const plan = await explainQuery(client, sqlText);
  const rows = (await client.query(sqlText)).rows;
  return { plan, rows, scans: describeScans(plan.scans) };
}

describe('variable expansion as the servers do it', () => {
  it('Dovecot: %Lu/%Ls lower-case, %{lport}, %% is a percent sign, quotes are doubled; unknown variables are refused', () => {
    expect(expandDovecot(`x '%Lu' '%u' '%Ls' '%{lport}' '%n' '%d' 100%%`, { user: "O'Brien@Example.TEST", service: 'IMAP', lport: 143 })).toBe(
      `x 'o''brien@example.test' 'O''Brien@Example.TEST' 'imap' '143' 'O''Brien' 'Example.TEST' 100%`,
    );
    expect(() => expandDovecot(`'%Lz'`, { user: 'a@b', service: 'imap' })).toThrow(/unknown Dovecot variable/);
  });

  it('Postfix: %s, %u, %d, %%; quotes are doubled', () => {
    expect(expandPostfix(`lower('%s') '%u' '%d' 5%%`, "It's@Example.Net")).toBe(`lower('It''s@Example.Net') 'It''s' 'Example.Net' 5%`);
  });

  it('reads every query from the templates, with no placeholder or line continuation left', () => {
    for (const text of Object.values(q)) {
      expect(text).not.toMatch(/@[A-Z_]+@|\\$/);
      expect(text).toMatch(/^SELECT /);
    }
  });
});

describe('the mail servers look accounts up by index', () => {
  for (const service of ['imap', 'pop3']) {
    it(`Dovecot password_query (${service}) finds the account through an index on mailboxes`, async () => {
      for (const address of [small, big]) {
        const r = await lookup(expandDovecot(q.passwordQuery, { user: address.toUpperCase(), service, lport: 143 }));
        expect(indexedOn(r.plan.scans, 'mailboxes'), r.scans).toBe(true);
        expect(r.plan.scans.find((s) => s.relation === 'mailboxes')?.index).toBe('mailboxes_address_key');
        expect(r.rows).toEqual([{ user: address, password: seeded.passwordHash }]);
      }
    });
  }

  it('Dovecot user_query finds the account through an index on mailboxes', async () => {
    for (const address of [small, big]) {
      const r = await lookup(expandDovecot(q.userQuery, { user: address, service: 'imap', lport: 143 }));
      expect(indexedOn(r.plan.scans, 'mailboxes'), r.scans).toBe(true);
      expect(r.rows).toHaveLength(1);
      expect(r.rows[0].quota_rule).toMatch(/^\*:bytes=\d+$/);
    }
  });

  it('an unknown address is answered from the index too (no row, no Seq Scan)', async () => {
    const r = await lookup(expandDovecot(q.passwordQuery, { user: `nobody@${seeded.bigDomains[0]}`, service: 'imap' }));
    expect(indexedOn(r.plan.scans, 'mailboxes'), r.scans).toBe(true);
    expect(r.rows).toEqual([]);
  });

  it('Postfix virtual_mailbox_maps (mailpanel-accounts.cf) uses the index on mailboxes, for mixed-case input too', async () => {
    for (const key of [small, big.toUpperCase()]) {
      const r = await lookup(expandPostfix(q.postfixAccounts, key));
      expect(indexedOn(r.plan.scans, 'mailboxes'), r.scans).toBe(true);
      expect(r.rows).toHaveLength(1);
    }
  });

  it('Postfix virtual_mailbox_domains (mailpanel-domains.cf) uses the index on domains', async () => {
    const r = await lookup(expandPostfix(q.postfixDomains, seeded.bigDomains[0].toUpperCase()));
    expect(indexedOn(r.plan.scans, 'domains'), r.scans).toBe(true);
    expect(r.rows).toEqual([{ name: seeded.bigDomains[0] }]);
  });
});
