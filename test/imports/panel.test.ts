import { english } from '../../server/core/message.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../server/core/imports/csv.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { PASSWORD, seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';
import { cookieHeader, multipart, upload } from './helpers.js';

let t: TestApp;
let w: Tenants;
let customer: PanelClient;
let domain: string;
const MB = 1024 * 1024;

beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  domain = w.A.domain.name;
  customer = new PanelClient(t.app);
  await customer.login(w.A.customerUser.email);
  await customer.get(`/domains/${domain}/import`);
});
afterAll(() => t.close());

/** Every row an import could touch, to prove a request changed nothing. */
async function snapshot() {
  const [mailboxes, imports, audit] = await Promise.all([
    t.db.selectFrom('mailboxes').select(['address', 'quota_bytes', 'password_hash']).orderBy('id').execute(),
    t.db.selectFrom('mailbox_imports').selectAll().execute(),
    t.db.selectFrom('audit_log').select('id').execute(),
  ]);
  return JSON.stringify({ mailboxes, imports, audit: audit.length, jobs: await t.app.queues.get('imports').count() });
}

describe('the import form', () => {
  it('offers a multipart upload with the dry run ticked, and the format', async () => {
    const page = await customer.get(`/domains/${domain}/import`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('enctype="multipart/form-data"');
    expect(page.body).toMatch(/name="dryRun" value="on" checked/);
    expect(page.body).toContain('name="_csrf"');
    expect(page.body).toContain(`href="/domains/${domain}/export.csv"`);
  });
});

describe('a dry run', () => {
  it('reports every row, naming line, address and the column at fault, and changes nothing', async () => {
    const plan = await t.db
      .insertInto('plans')
      .values({ reseller_id: w.A.reseller.id, name: 'small', default_quota_bytes: 100 * MB, max_quota_bytes: 1024 * MB, max_mailboxes: 3 })
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.db.updateTable('customers').set({ plan_id: plan.id }).where('id', '=', w.A.customer.id).execute();
    const csv = [
      'Address;Password;Quota;IMAP;POP3',
      'sales;a long password;200 MB;yes;no',
      'info;;;;', // exists already (seeded)
      '"bad..name";;;;',
      'quota-bad;;lots;;',
      `support@${domain};;2 GB;;`, // over the plan's largest mailbox
      'SALES;;;;', // the same address as line 2
      'team;short;;;',
      '"multi\nline";;;maybe;',
      'office;;;;',
      'extra;;;;', // the plan's fourth mailbox
    ].join('\r\n');
    const before = await snapshot();
    const res = await upload(t.app, customer, domain, '\uFEFF' + csv, { dryRun: true });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('2 of 10 rows can be imported; 8 have problems. Nothing was changed.');
    const problems = [...res.body.matchAll(/<tr class="import-failed"><td>(\d+)<\/td><td>([^<]*)<\/td><td>([\s\S]*?)<\/td><\/tr>/g)].map((m) => [
      Number(m[1]),
      m[2],
      m[3].replace(/<[^>]+>/g, ''),
    ]);
    expect(problems).toEqual([
      [3, `info@${domain}`, `address: The mailbox info@${domain} already exists.`],
      [4, 'bad..name', 'address: The local part may not contain two dots in a row.'],
      [5, `quota-bad@${domain}`, 'quota: &quot;lots&quot; is not a size: write bytes (524288000) or a size with a unit (500 MB, 2 GB).'],
      [6, `support@${domain}`, 'quota: The plan allows at most 1 GB per mailbox.'],
      [7, `sales@${domain}`, 'address: The address is already on line 2 of this file.'],
      [8, `team@${domain}`, 'password: The password must be at least 10 characters long.'],
      [
        9,
        'multi\nline',
        'address: The local part may contain only letters a-z, digits, &quot;.&quot;, &quot;-&quot; and &quot;_&quot;.imap: &quot;maybe&quot; is not yes or no.',
      ],
      [12, `extra@${domain}`, 'address: The plan allows at most 3 mailboxes.'],
    ]);
    expect(res.body).toMatch(/<tr class="import-ok"><td>2<\/td><td>sales@/);
    expect(res.body).toMatch(/<tr class="import-ok"><td>11<\/td><td>office@/);
    // After a dry run the form is ready for the real upload.
    expect(res.body).not.toMatch(/name="dryRun" value="on" checked/);
    expect(await snapshot()).toBe(before);
    await t.db.updateTable('customers').set({ plan_id: null }).where('id', '=', w.A.customer.id).execute();
  });

  it('escapes whatever the file holds', async () => {
    const res = await upload(t.app, customer, domain, 'address\r\n<script>alert(1)</script>\r\n', { dryRun: true });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('<script>alert(1)');
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('uploads that cannot be read', () => {
  it('explains on the form: no file, not UTF-8, not CSV, too large, no rows', async () => {
    const before = await snapshot();
    const cases: [string | Uint8Array | null, number, RegExp][] = [
      [null, 400, /Choose a CSV file to upload/],
      [Uint8Array.from([0x67, 0x72, 0xfc, 0xdf, 0x65, 0x0a]), 400, /not UTF-8 text/],
      [Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00]), 400, /not a CSV text file/],
      ['address\r\n"open', 400, /Line 2: a quoted field is never closed/],
      ['address,password\r\n', 400, /The file has no rows to import/],
      ['x'.repeat(5 * MB + 100 * 1024), 413, /larger than 5 MB/],
    ];
    for (const [content, status, message] of cases) {
      const res = await upload(t.app, customer, domain, content);
      expect(res.statusCode, String(message)).toBe(status);
      expect(res.body).toMatch(message);
      expect(res.body).toContain('id="file-error"');
    }
    expect(await snapshot()).toBe(before);
  });

  it('takes a file of the maximum number of rows (larger than the global body limit), and refuses one more', async () => {
    const rows = Array.from(
      { length: 20_000 },
      (_, i) => `some-rather-long-mailbox-name-${String(i).padStart(5, '0')},a long enough password ${i},1 GB,yes,no`,
    );
    const csv = ['address,password,quota,imap,pop3', ...rows].join('\r\n');
    expect(csv.length).toBeGreaterThan(1.2 * MB);
    const res = await upload(t.app, customer, domain, csv, { dryRun: true });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('20,000 of 20,000 rows can be imported; 0 have problems.');
    expect(res.body).toContain('The first 1,000 are shown.');
    const over = await upload(t.app, customer, domain, `${csv}\r\none-more`, { dryRun: true });
    expect(over.statusCode).toBe(400);
    expect(over.body).toContain('more than 20000 rows');
    // A url-encoded body keeps the panel's usual limit.
    const form = await t.app.inject({
      method: 'POST',
      url: `/domains/${domain}/import`,
      headers: { cookie: cookieHeader(customer), 'content-type': 'application/x-www-form-urlencoded' },
      payload: `_csrf=${customer.csrf}&file=${'x'.repeat(2 * MB)}`,
    });
    expect(form.statusCode).toBe(413);
  });

  it('refuses a second file and an upload without the CSRF token', async () => {
    const { payload, contentType } = await multipart({ _csrf: customer.csrf, dryRun: 'on' }, [
      { name: 'a.csv', content: 'a' },
      { name: 'b.csv', content: 'b' },
    ]);
    const two = await t.app.inject({
      method: 'POST',
      url: `/domains/${domain}/import`,
      headers: { cookie: cookieHeader(customer), 'content-type': contentType },
      payload,
    });
    expect(two.statusCode).toBe(400);
    expect(two.body).toContain('Upload one file at a time.');
    const before = await snapshot();
    const forged = await upload(t.app, customer, domain, 'address\r\nforged\r\n', { csrf: null });
    expect(forged.statusCode).toBe(403);
    const wrong = await upload(t.app, customer, domain, 'address\r\nforged\r\n', { csrf: 'x'.repeat(32) });
    expect(wrong.statusCode).toBe(403);
    expect(await snapshot()).toBe(before);
  });
});

describe('tenancy', () => {
  it("another tenant's domain and imports are not found, even before a large upload is read", async () => {
    const id = (
      await t.db
        .insertInto('mailbox_imports')
        .values({
          domain_id: w.B.domain.id,
          created_by: w.B.customerUser.id,
          total: 1,
          status: 'done',
          report: '[]',
          generated_passwords: JSON.stringify([{ address: `x@${w.B.domain.name}`, password: 'secret-of-b' }]),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    const before = await snapshot();
    for (const url of [
      `/domains/${w.B.domain.name}/import`,
      `/domains/${w.B.domain.name}/export.csv`,
      `/imports/${id}`,
      `/imports/${id}/report.csv`,
      '/domains/nowhere.example/import',
    ]) {
      const res = await customer.get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('secret-of-b');
    }
    const take = await customer.post(`/imports/${id}/passwords.csv`, {});
    expect(take.statusCode).toBe(404);
    expect(take.body).not.toContain('secret-of-b');
    const big = await upload(t.app, customer, w.B.domain.name, 'x'.repeat(5 * MB + 100 * 1024));
    expect(big.statusCode).toBe(404);
    const res = await upload(t.app, customer, w.B.domain.name, 'address\r\nintruder\r\n');
    expect(res.statusCode).toBe(404);
    // The attack suite posts url-encoded sample forms to every route naming an object: still 404.
    expect((await customer.post(`/domains/${w.B.domain.name}/import`, { dryRun: 'x', file: 'x' })).statusCode).toBe(404);
    expect(await snapshot()).toBe(before);
    const owner = new PanelClient(t.app);
    await owner.login(w.B.customerUser.email, PASSWORD);
    expect((await owner.get(`/imports/${id}`)).statusCode).toBe(200);
  });

  it('needs a session', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/domains/${domain}/export.csv` });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/login/);
  });
});

describe('export', () => {
  it('streams every mailbox with usage, defusing cells a spreadsheet would run', async () => {
    const d = w.A.domain;
    const many = Array.from({ length: 2500 }, (_, i) => {
      const local = `bulk${String(i).padStart(4, '0')}`;
      return {
        domain_id: d.id,
        local_part: local,
        address: `${local}@${d.name}`,
        password_hash: 'x',
        quota_bytes: MB * (1 + (i % 7)),
        maildir: `${d.name}/${local}`,
        imap_enabled: i % 2 === 0,
      };
    });
    await t.db.insertInto('mailboxes').values(many).execute();
    // Rows that only a direct database write (or an older version) could have made.
    await t.db
      .insertInto('mailboxes')
      .values([
        {
          domain_id: d.id,
          local_part: '=hyperlink("http://x")',
          address: `=hyperlink("http://x")@${d.name}`,
          password_hash: 'x',
          quota_bytes: MB,
          maildir: 'x/1',
        },
        {
          domain_id: d.id,
          local_part: '-2+3',
          address: `-2+3@${d.name}`,
          password_hash: 'x',
          quota_bytes: MB,
          maildir: 'x/2',
          pop3_enabled: false,
          active: false,
        },
      ])
      .execute();
    const info = await t.db.selectFrom('mailboxes').select('id').where('address', '=', w.A.mailbox.address).executeTakeFirstOrThrow();
    const scannedAt = new Date('2026-11-20T10:00:00Z');
    await t.db
      .insertInto('mailbox_usage')
      .values({ mailbox_id: info.id, used_bytes: 450 * MB, messages: 321, scanned_at: scannedAt, level: '80' })
      .execute();

    const res = await customer.get(`/domains/${d.name}/export.csv`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(
      new RegExp(`^attachment; filename="mailboxes-${d.name.replace(/\./g, '\\.')}-\\d{4}-\\d{2}-\\d{2}\\.csv"$`),
    );
    const lines = res.body.split('\r\n');
    expect(lines[0]).toBe('address,quota_bytes,imap,pop3,active,used_bytes,messages,level,scanned_at');
    const parsed = parseCsv(res.body);
    if (!parsed.ok) throw new Error(english(parsed.message));
    const count = await t.db
      .selectFrom('mailboxes')
      .where('domain_id', '=', d.id)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(parsed.records.length - 1).toBe(count.n);
    const addresses = parsed.records.slice(1).map((r) => r.cells[0]);
    expect(new Set(addresses).size).toBe(addresses.length);
    expect(res.body).toContain(`"'=hyperlink(""http://x"")@${d.name}",1048576,yes,yes,yes,,,,\r\n`);
    expect(res.body).toContain(`'-2+3@${d.name},1048576,yes,no,no,,,,\r\n`);
    expect(res.body).toContain(`info@${d.name},524288000,yes,yes,yes,${450 * MB},321,80,2026-11-20T10:00:00.000Z\r\n`);
    expect(res.body).toContain(`bulk0001@${d.name},${2 * MB},no,yes,yes,,,,\r\n`);
    expect(res.body).not.toContain(w.B.domain.name);
  });

  it('reads back as an import: every row is an existing mailbox', async () => {
    const csv = (await customer.get(`/domains/${domain}/export.csv`)).body.split('\r\n').slice(0, 50).join('\r\n');
    await customer.get(`/domains/${domain}/import`);
    const res = await upload(t.app, customer, domain, csv, { dryRun: true });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Columns ignored: active, used_bytes, messages, level, scanned_at');
    expect(res.body).toMatch(/0 of 49 rows can be imported/);
    expect(res.body).toContain('already exists.');
  });
});
