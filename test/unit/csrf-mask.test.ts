import { describe, expect, it } from 'vitest';
import { maskToken, randomToken, unmaskToken } from '../../server/platform/tokens.js';

describe('masked CSRF tokens', () => {
  it('give the token back, and never the same text twice', () => {
    const token = randomToken(32);
    const a = maskToken(token);
    const b = maskToken(token);
    expect(a).not.toBe(b);
    expect(a).not.toContain(token);
    expect(unmaskToken(a)).toBe(token);
    expect(unmaskToken(b)).toBe(token);
  });

  it('mask nothing as nothing (pages without a session or form token)', () => {
    expect(maskToken('')).toBe('');
  });

  it('refuse what is not a masked token', () => {
    for (const junk of ['', '.', 'abc', 'a.b.c', 'AAAA.AA', randomToken(32), `${'A'.repeat(300)}.${'A'.repeat(300)}`]) expect(unmaskToken(junk)).toBeNull();
  });
});
