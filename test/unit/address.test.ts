import { describe, expect, it } from 'vitest';
import { asciiSearch, checkAddress, checkDomain, checkLocalPart, displayAddress, displayDomain, maildirFor } from '../../server/core/address.js';

describe('local part rules', () => {
  it('accepts letters, digits, dot, hyphen and underscore, lowercased', () => {
    expect(checkLocalPart('John.Doe-1_x')).toEqual({ ok: true, value: 'john.doe-1_x' });
  });
  it('accepts 64 octets and refuses 65', () => {
    expect(checkLocalPart('a'.repeat(64)).ok).toBe(true);
    const r = checkLocalPart('a'.repeat(65));
    expect(r).toEqual({ ok: false, message: expect.stringContaining('64') });
  });
  it.each([
    ['.lead', 'start or end'],
    ['trail.', 'start or end'],
    ['dou..ble', 'two dots'],
    ['mül', 'only letters'],
    ['a+b', 'only letters'],
    ['a/b', 'only letters'],
    ['a\\b', 'only letters'],
    ['a\u0000b', 'only letters'],
    ['', 'required'],
    ['a b', 'only letters'],
  ])('refuses %j naming the rule', (input, rule) => {
    const r = checkLocalPart(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(rule);
  });
});

describe('domain rules', () => {
  it('stores IDNs as punycode and shows them in Unicode', () => {
    expect(checkDomain('Müller.DE')).toEqual({ ok: true, value: 'xn--mller-kva.de' });
    expect(checkDomain('xn--mller-kva.de')).toEqual({ ok: true, value: 'xn--mller-kva.de' });
    expect(displayDomain('xn--mller-kva.de')).toBe('müller.de');
  });
  it('accepts labels of 63 and refuses 64', () => {
    expect(checkDomain(`${'a'.repeat(63)}.example`).ok).toBe(true);
    const r = checkDomain(`${'a'.repeat(64)}.example`);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('63');
  });
  it('accepts 253 characters and refuses 254', () => {
    const name = (last: number) => `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(last)}.com`;
    const d253 = name(57);
    expect(d253.length).toBe(253);
    expect(checkDomain(d253).ok).toBe(true);
    const d254 = name(58);
    const r = checkDomain(d254);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain('253');
  });
  it.each([
    'example.com.',
    'a..b.com',
    '../etc',
    'a/b.com',
    'a\\b.com',
    '%2e%2e.com',
    'a\u0000b.com',
    'localhost',
    '-a.com',
    'a-.com',
    'x.123',
    'a b.com',
    'a@b.com',
    '',
  ])('refuses %j', (input) => expect(checkDomain(input).ok).toBe(false));
});

describe('addresses', () => {
  it('splits at the last @ and normalises both parts', () => {
    expect(checkAddress('Info@Müller.de')).toEqual({ ok: true, value: { localPart: 'info', domain: 'xn--mller-kva.de', address: 'info@xn--mller-kva.de' } });
    expect(displayAddress('info@xn--mller-kva.de')).toBe('info@müller.de');
  });
  it('builds the maildir path from validated parts', () => {
    expect(maildirFor('info', 'example.com')).toBe('example.com/info');
  });
});

describe('asciiSearch', () => {
  it('turns a Unicode label into the punycode it is stored as, and leaves ASCII and junk alone', () => {
    expect(asciiSearch('müller')).toBe('xn--mller-kva');
    expect(asciiSearch('Müller.de')).toBe('xn--mller-kva.de');
    expect(asciiSearch('shop12')).toBeUndefined();
    expect(asciiSearch('ü/%')).toBeUndefined();
  });
});
