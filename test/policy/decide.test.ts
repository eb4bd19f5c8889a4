import { describe, expect, it } from 'vitest';
import { checkFullReply, decide, DEFAULT_FULL_REPLY, DEFER, DUNNO, lookupAddress, outcomeOf, type MailboxQuota } from '../../server/policy/decide.js';
import { mailboxAddressOf } from '../../server/policy/recipient.js';

const options = { fullReply: DEFAULT_FULL_REPLY };
const rcpt = (extra: Record<string, string> = {}) => ({
  request: 'smtpd_access_policy',
  protocol_state: 'RCPT',
  recipient: 'user@example.com',
  ...extra,
});
const box = (m: Partial<MailboxQuota> = {}): MailboxQuota => ({ quotaBytes: 1000, usedBytes: 100, level: 'ok', active: true, ...m });

describe('decide', () => {
  it('lets a mailbox with room through with DUNNO', () => {
    expect(decide(rcpt(), box(), options)).toBe(DUNNO);
  });

  it('rejects a mailbox the scanner marked full', () => {
    expect(decide(rcpt(), box({ level: 'full', usedBytes: 500 }), options)).toBe('552 5.2.2 Mailbox full');
  });

  it('rejects a mailbox at or over its quota even when the stored level lags', () => {
    expect(decide(rcpt(), box({ usedBytes: 1000 }), options)).toBe(DEFAULT_FULL_REPLY);
    expect(decide(rcpt(), box({ usedBytes: 1500 }), options)).toBe(DEFAULT_FULL_REPLY);
  });

  it('rejects when the declared SIZE would push the mailbox over its quota', () => {
    expect(decide(rcpt({ size: '901' }), box(), options)).toBe(DEFAULT_FULL_REPLY);
    expect(decide(rcpt({ size: '900' }), box(), options)).toBe(DUNNO); // exactly filling it is allowed
  });

  it('treats an absent, zero, empty or unreadable SIZE as unknown', () => {
    for (const size of [undefined, '0', '', 'abc', '-5', '1e9', '99999999999999999999']) {
      const attrs = size === undefined ? rcpt() : rcpt({ size });
      expect(decide(attrs, box({ usedBytes: 999 }), options), `size=${size}`).toBe(DUNNO);
    }
  });

  it('answers DUNNO for recipients that are not ours', () => {
    expect(decide(rcpt({ size: '999999' }), 'unknown', options)).toBe(DUNNO);
  });

  it('answers DUNNO for inactive mailboxes, full or not (Postfix maps refuse them elsewhere)', () => {
    expect(decide(rcpt(), box({ active: false, level: 'full', usedBytes: 2000 }), options)).toBe(DUNNO);
  });

  it('defers recipient checks when the cache is unavailable, never rejecting', () => {
    expect(decide(rcpt(), 'unavailable', options)).toBe(DEFER);
    expect(DEFER).toBe('DEFER_IF_PERMIT Service temporarily unavailable');
  });

  it('answers DUNNO in every other protocol state, even with a full mailbox or no cache', () => {
    for (const state of ['CONNECT', 'EHLO', 'MAIL', 'DATA', 'END-OF-MESSAGE', 'VRFY', '']) {
      expect(decide(rcpt({ protocol_state: state }), box({ level: 'full' }), options), state).toBe(DUNNO);
      expect(decide(rcpt({ protocol_state: state }), 'unavailable', options), state).toBe(DUNNO);
    }
    const { protocol_state: _, ...noState } = rcpt();
    expect(decide(noState, 'unavailable', options)).toBe(DUNNO);
  });

  it('answers DUNNO for other request types and for RCPT without a recipient', () => {
    expect(decide(rcpt({ request: 'something_else' }), box({ level: 'full' }), options)).toBe(DUNNO);
    expect(decide(rcpt({ recipient: '' }), 'unavailable', options)).toBe(DUNNO);
  });

  it('uses the configured reply text', () => {
    expect(decide(rcpt(), box({ level: 'full' }), { fullReply: '452 4.2.2 Mailbox full' })).toBe('452 4.2.2 Mailbox full');
  });

  it('never answers OK, whatever the input', () => {
    const lookups = ['unknown', 'unavailable', box(), box({ level: 'full' }), box({ active: false })] as const;
    for (const lookup of lookups) for (const size of ['0', '5000']) expect(decide(rcpt({ size }), lookup, options)).not.toMatch(/^OK/);
  });
});

describe('lookupAddress', () => {
  it('is the stored form of the recipient for RCPT access policy requests only', () => {
    expect(lookupAddress(rcpt({ recipient: 'User@Example.COM' }))).toBe('user@example.com');
    expect(lookupAddress(rcpt({ protocol_state: 'rcpt' }))).toBe('user@example.com');
    expect(lookupAddress(rcpt({ protocol_state: 'DATA' }))).toBeNull();
    expect(lookupAddress(rcpt({ request: 'other' }))).toBeNull();
  });
});

describe('mailboxAddressOf', () => {
  it('lowercases', () => {
    expect(mailboxAddressOf('John.Doe@Example.Org')).toBe('john.doe@example.org');
  });

  it('drops a +extension from the local part', () => {
    expect(mailboxAddressOf('user+news@example.org')).toBe('user@example.org');
    expect(mailboxAddressOf('User+a+b@example.org')).toBe('user@example.org');
  });

  it('converts an internationalised domain to its stored punycode form', () => {
    expect(mailboxAddressOf('info@Bücher.example')).toBe('info@xn--bcher-kva.example');
  });

  it('uses the last @, as in a quoted local part, and unquotes it as Postfix does', () => {
    expect(mailboxAddressOf('"a@b"@example.org')).toBe('a@b@example.org');
  });

  it('gives every spelling Postfix delivers to one mailbox that mailbox', () => {
    for (const r of [
      'info@example.org.',
      'INFO@Example.ORG..',
      '"info"@example.org',
      '"in\\fo"@example.org.',
      '@relay.example:info@example.org',
      '@a.example,@b.example:Info+x@example.org.',
    ]) {
      expect(mailboxAddressOf(r), r).toBe('info@example.org');
    }
    expect(mailboxAddressOf('info@bücher.example.')).toBe('info@xn--bcher-kva.example');
    for (const r of ['"unterminated@example.org', 'info@.', '@relay.example']) expect(mailboxAddressOf(r), r).toBeNull();
  });

  it('gives null for what cannot be a mailbox address', () => {
    for (const r of ['', 'user', '@example.org', 'user@', '+tag@example.org']) expect(mailboxAddressOf(r), r).toBeNull();
  });
});

describe('outcomeOf', () => {
  it('sorts actions into the three counters', () => {
    expect(outcomeOf(DUNNO)).toBe('dunno');
    expect(outcomeOf(DEFER)).toBe('defer');
    expect(outcomeOf('552 5.2.2 Mailbox full')).toBe('reject');
  });
});

describe('checkFullReply', () => {
  it('accepts 4xx and 5xx replies with or without an enhanced status code', () => {
    for (const r of ['552 5.2.2 Mailbox full', '452 4.2.2 Mailbox full', '552 Mailbox full']) expect(checkFullReply(r)).toBe(r);
  });

  it('refuses anything that is not a reject/defer reply Postfix would take', () => {
    for (const r of ['OK', 'DUNNO', '252 2.0.0 ok', '552', '552 5.2.2', '552 4.2.2 Mailbox full', '552 5.2.2 full\naction=OK', '']) {
      expect(() => checkFullReply(r), JSON.stringify(r)).toThrow();
    }
  });
});
