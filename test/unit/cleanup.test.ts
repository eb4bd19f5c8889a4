import { describe, expect, it } from 'vitest';
import { checkCriteria, checkFolder, searchQuery, uidSet } from '../../server/core/cleanup.js';

describe('cleanup rules', () => {
  it('writes UIDs as an IMAP set with runs collapsed', () => {
    expect(uidSet([5, 1, 2, 3, 9, 10, 3])).toBe('1:3,5,9:10');
    expect(uidSet([7])).toBe('7');
    expect(uidSet([])).toBe('');
  });

  it('builds the doveadm query argument by argument: folder, UIDs, received before N days', () => {
    expect(searchQuery({ folder: 'Junk' })).toEqual(['mailbox', 'Junk']);
    expect(searchQuery({ folder: 'Archive/2024', olderThanDays: 30 })).toEqual(['mailbox', 'Archive/2024', 'before', '30d']);
    expect(searchQuery({ folder: 'INBOX', uids: [3, 1, 2] })).toEqual(['mailbox', 'INBOX', 'uid', '1:3']);
    // A folder named like a query keyword stays one argument: it is never read as a keyword.
    expect(searchQuery({ folder: 'all' })).toEqual(['mailbox', 'all']);
  });

  it('refuses wildcards, control characters and empty names; INBOX in any case', () => {
    for (const bad of ['', ' ', '*', 'Arch%', 'a\nb', 'a\u0000', '/Trash', 'Trash/', 'a//b', 'x'.repeat(256)]) expect(checkFolder(bad).ok, bad).toBe(false);
    expect(checkFolder(' inbox ')).toEqual({ ok: true, value: 'INBOX' });
    expect(checkFolder('Entwürfe')).toEqual({ ok: true, value: 'Entwürfe' });
  });

  it('checks days and chosen messages', () => {
    expect(checkCriteria({ folder: 'INBOX', olderThanDays: 0 })).toMatchObject({ ok: false, field: 'olderThanDays' });
    expect(checkCriteria({ folder: 'INBOX', olderThanDays: 1.5 })).toMatchObject({ ok: false, field: 'olderThanDays' });
    expect(checkCriteria({ folder: 'INBOX', uids: [] })).toMatchObject({ ok: false, field: 'uids' });
    expect(checkCriteria({ folder: 'INBOX', uids: [0] })).toMatchObject({ ok: false, field: 'uids' });
    expect(checkCriteria({ folder: 'INBOX', uids: [2, 2, 1] })).toEqual({ ok: true, value: { folder: 'INBOX', uids: [2, 1] } });
  });
});
