import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, totpAt, totpStep } from '../../server/core/totp.js';
import { checkCidr, ipAllowed } from '../../server/core/cidr.js';

describe('TOTP (RFC 6238)', () => {
  // RFC 6238 appendix B, SHA-1 seed "12345678901234567890", 8 digits: 94287082 at T=59.
  const secret = base32Encode(Buffer.from('12345678901234567890'));
  it('matches the RFC test vectors (last 6 digits)', () => {
    expect(totpAt(secret, 59)).toBe('287082');
    expect(totpAt(secret, 1111111109)).toBe('081804');
    expect(totpAt(secret, 2000000000)).toBe('279037');
  });
  it('round-trips base32 and allows one step of drift only', () => {
    expect(base32Decode(secret).toString()).toBe('12345678901234567890');
    const now = 1_700_000_000_000;
    expect(totpStep(secret, totpAt(secret, now / 1000 - 30), now)).toBe(Math.floor((now / 1000 - 30) / 30));
    expect(totpStep(secret, totpAt(secret, now / 1000 - 90), now)).toBeNull();
    expect(totpStep(secret, 'abcdef', now)).toBeNull();
  });
});

describe('CIDR allow-lists', () => {
  it('normalises addresses and ranges, refusing junk', () => {
    expect(checkCidr('203.0.113.4')).toEqual({ ok: true, value: '203.0.113.4/32' });
    expect(checkCidr('2001:db8::/32')).toEqual({ ok: true, value: '2001:db8::/32' });
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'example.com', '1.2.3.4/8/9', '::/129', '1.2.3.4/-1']) expect(checkCidr(bad).ok, bad).toBe(false);
  });
  it('matches IPv4, IPv6 and IPv4-mapped IPv6 clients', () => {
    const list = ['198.51.100.0/24', '2001:db8::/32'];
    expect(ipAllowed('198.51.100.9', list)).toBe(true);
    expect(ipAllowed('::ffff:198.51.100.9', list)).toBe(true);
    expect(ipAllowed('2001:db8:1::5', list)).toBe(true);
    expect(ipAllowed('198.51.101.9', list)).toBe(false);
    expect(ipAllowed('not-an-ip', list)).toBe(false);
  });
});
