import { english, type Text } from '../../server/core/message.js';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../server/core/imports/csv.js';
import { checkAgainstDomain } from '../../server/services/imports/limits.js';
import { checkRows, detectLayout, parseQuota, parseSwitch } from '../../server/services/imports/rows.js';

/** A result with its message in English, as the API gives it. */
const plain = <T>(r: T) => (r && typeof r === 'object' && 'message' in r ? { ...r, message: english(r.message as Text) } : r);

const DOMAIN = 'example.com';
const MB = 1024 * 1024;

function check(csv: string, min = 10) {
  const parsed = parseCsv(csv);
  if (!parsed.ok) throw new Error(english(parsed.message));
  return checkRows(parsed.records, DOMAIN, min);
}
function rowsOf(csv: string) {
  const r = check(csv);
  if (!r.ok) throw new Error(english(r.message));
  return r.rows;
}

describe('the header line', () => {
  it('is recognised in its variants, in any order, with unknown columns ignored', () => {
    expect(detectLayout(['E-Mail', 'Quota Bytes', 'POP3', 'used_bytes', 'Passwort'])).toEqual({
      hasHeader: true,
      index: { address: 0, quota: 1, pop3: 2, password: 4 },
      ignored: ['used_bytes'],
    });
    expect(detectLayout(['address'])).toMatchObject({ hasHeader: true, index: { address: 0 } });
    expect(detectLayout(['local_part', 'password'])).toMatchObject({ hasHeader: true, index: { address: 0, password: 1 } });
  });

  it('is absent when the first line holds data: columns are then positional', () => {
    expect(detectLayout(['info@example.com', 'password'])).toMatchObject({ hasHeader: false, index: { address: 0, password: 1, quota: 2, imap: 3, pop3: 4 } });
    expect(detectLayout(['email', 'a long password'])).toMatchObject({ hasHeader: false });
    const rows = rowsOf('info,a long password,1 GB,no,yes');
    expect(rows[0]).toMatchObject({ ok: true, line: 1, localPart: 'info', quotaBytes: 1024 * MB, imap: false, pop3: true });
  });

  it('must name the address column', () => {
    expect(plain(check('password,quota\r\na long password,1 GB'))).toEqual({
      ok: false,
      message: 'The header line has no address column; name one "address".',
    });
    expect(plain(check('address,password\r\n'))).toEqual({ ok: false, message: 'The file has no rows to import.' });
  });

  it('an export of ours reads back: bytes, yes/no, extra columns ignored', () => {
    const r = check(
      'address,quota_bytes,imap,pop3,active,used_bytes,messages,level,scanned_at\r\ninfo@example.com,524288000,yes,no,yes,1234,5,ok,2026-01-01T00:00:00.000Z\r\n',
    );
    expect(r).toMatchObject({ ok: true, layout: { ignored: ['active', 'used_bytes', 'messages', 'level', 'scanned_at'] } });
    expect(r.ok && r.rows[0]).toEqual({
      ok: true,
      line: 2,
      localPart: 'info',
      address: 'info@example.com',
      password: null,
      quotaBytes: 524288000,
      imap: true,
      pop3: false,
    });
  });
});

describe('one row', () => {
  it('takes an address or a local part, normalised to lower case, with defaults for empty cells', () => {
    const rows = rowsOf('address,password,quota,imap,pop3\r\n Sales ,,,,\r\nINFO@Example.COM,a long password,500 MB,0,FALSE\r\n');
    expect(rows).toEqual([
      { ok: true, line: 2, localPart: 'sales', address: 'sales@example.com', password: null, quotaBytes: null, imap: true, pop3: true },
      { ok: true, line: 3, localPart: 'info', address: 'info@example.com', password: 'a long password', quotaBytes: 500 * MB, imap: false, pop3: false },
    ]);
  });

  it('names every column at fault', () => {
    const [row] = rowsOf('address,password,quota,imap,pop3\r\nbad..name,short,lots,maybe,2\r\n');
    expect(row).toMatchObject({ ok: false, line: 2, address: 'bad..name' });
    expect(row.ok ? [] : row.errors.map((e) => e.field)).toEqual(['address', 'password', 'quota', 'imap', 'pop3']);
    expect(row.ok ? '' : english(row.errors[0].message)).toContain('two dots');
    expect(row.ok ? '' : english(row.errors[1].message)).toContain('at least 10');
  });

  it('refuses addresses of another domain and missing addresses', () => {
    const rows = rowsOf('address,password\r\ninfo@other.example\r\n"",a long password\r\nx@bücher.example\r\n');
    expect(rows.map((r) => (r.ok ? 'ok' : english(r.errors[0].message)))).toEqual([
      'The address belongs to other.example, not to example.com.',
      'The address is missing.',
      'The address belongs to bücher.example, not to example.com.',
    ]);
  });

  it('reads quotas as bytes or sizes with a unit', () => {
    expect(parseQuota('')).toEqual({ ok: true, bytes: null });
    expect(parseQuota('1048576')).toEqual({ ok: true, bytes: MB });
    expect(parseQuota('1.5 GB')).toEqual({ ok: true, bytes: 1.5 * 1024 * MB });
    expect(parseQuota('500mb')).toEqual({ ok: true, bytes: 500 * MB });
    expect(plain(parseQuota('500'))).toMatchObject({ ok: false, message: expect.stringContaining('write "500 MB" for megabytes') });
    expect(plain(parseQuota('1.5'))).toMatchObject({ ok: false, message: expect.stringContaining('is not a size') });
    expect(parseQuota('-5 MB')).toMatchObject({ ok: false });
    expect(parseQuota('99999999999 TB')).toMatchObject({ ok: false });
  });

  it('reads switches as yes/no/true/false/1/0, empty meaning yes', () => {
    expect(['yes', 'YES', 'true', '1', '', ' y '].map(parseSwitch)).toEqual([true, true, true, true, true, true]);
    expect(['no', 'False', '0', 'n'].map(parseSwitch)).toEqual([false, false, false, false]);
    expect(parseSwitch('maybe')).toBeNull();
  });

  it('keeps spaces around a password, which are part of it', () => {
    expect(rowsOf('info,  a long password  ')[0]).toMatchObject({ ok: true, password: '  a long password  ' });
  });
});

describe('the file as a whole', () => {
  it('marks the second row naming an address as the duplicate, even if the first is wrong otherwise', () => {
    const rows = rowsOf('address,password\r\ninfo,a long password\r\nINFO@example.com,another password\r\nsales,short\r\nsales,a long password\r\n');
    expect(rows.map((r) => (r.ok ? 'ok' : r.errors.map((e) => `${e.field}: ${english(e.message)}`).join(' | ')))).toEqual([
      'ok',
      'address: The address is already on line 2 of this file.',
      'password: The password must be at least 10 characters long.',
      'address: The address is already on line 4 of this file.',
    ]);
  });

  it('refuses more rows than the limit, counting data rows only', () => {
    const csv = 'address\r\n' + Array.from({ length: 5 }, (_, i) => `u${i}`).join('\r\n');
    const parsed = parseCsv(csv, { maxRows: 5 });
    expect(parsed.ok && checkRows(parsed.records, DOMAIN, 10, 5)).toMatchObject({ ok: true });
    expect(plain(parsed.ok && checkRows(parsed.records, DOMAIN, 10, 4))).toMatchObject({ ok: false, message: expect.stringContaining('at most 4') });
  });
});

describe('against the domain and its plan', () => {
  const limits = { defaultQuotaBytes: 100 * MB, maxQuotaBytes: 1024 * MB, maxMailboxes: 4, maxStorageBytes: 500 * MB };

  it('refuses existing mailboxes and what would exceed the plan, in file order', () => {
    const rows = rowsOf('address,quota\r\ninfo,\r\na,2 GB\r\nb,200 MB\r\nc,300 MB\r\nd,\r\ne,\r\nf,10 MB\r\n');
    const checked = checkAgainstDomain(rows, { existing: new Set(['info@example.com']), limits, footprint: { mailboxes: 1, allocatedBytes: 50 * MB } });
    expect(checked.map((r) => (r.ok ? 'ok' : `${r.errors[0].field}: ${english(r.errors[0].message)}`))).toEqual([
      'address: The mailbox info@example.com already exists.',
      'quota: The plan allows at most 1 GB per mailbox.',
      'ok',
      'quota: The plan allows at most 500 MB of storage in total.',
      'ok',
      'ok',
      'address: The plan allows at most 4 mailboxes.',
    ]);
  });
});
