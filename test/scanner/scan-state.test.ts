import { describe, it, expect } from 'vitest';
import { UNTRUSTED, mtimeToStore, parseState, sameState, totals, unchanged, type MaildirState } from '../../server/core/maildir/scan-state.js';

const good: MaildirState = {
  v: 1,
  root: 1_700_000_000_000.5,
  folders: [
    ['', 1_700_000_000_001, 300, 3, UNTRUSTED, 0, 0],
    ['.Sent', 1_700_000_000_002, 50, 1, 1_700_000_000_003, 7, 1],
  ],
};

describe('parseState', () => {
  it('accepts a state as object and as JSON text', () => {
    expect(parseState(good)).toEqual(good);
    expect(parseState(JSON.stringify(good))).toEqual(good);
  });

  it('gives null for anything else, which means a full scan', () => {
    const bad: unknown[] = [
      undefined,
      null,
      '',
      'not json',
      42,
      [],
      { ...good, v: 2 },
      { ...good, root: 'x' },
      { ...good, folders: 'x' },
      { ...good, folders: [['', 1, 2, 3, 4, 5]] },
      { ...good, folders: [['', 1, -2, 3, 4, 5, 6]] },
      { ...good, folders: [['', 1, 2.5, 3, 4, 5, 6]] },
      {
        ...good,
        folders: [
          ['', 1, 2, 3, 4, 5, 6],
          ['', 1, 2, 3, 4, 5, 6],
        ],
      },
      { ...good, folders: [['.Sent', 1, 2, 3, 4, 5, 6]] },
    ];
    for (const b of bad) expect(parseState(b), JSON.stringify(b)).toBeNull();
  });

  it('refuses folder names that would leave the Maildir when joined into a path', () => {
    for (const name of ['..', '../../etc', '.x/../../y', 'cur', '/etc', '.a\0']) {
      const s = { ...good, folders: [good.folders[0], [name, 1, 2, 3, 4, 5, 6]] };
      expect(parseState(s), name).toBeNull();
    }
  });
});

describe('mtimeToStore', () => {
  it('keeps an mtime older than the settle window and distrusts a fresh one', () => {
    const now = 1_800_000_000_000;
    expect(mtimeToStore(now - 5_000, now, 1_000)).toBe(now - 5_000);
    expect(mtimeToStore(now - 999, now, 1_000)).toBe(UNTRUSTED);
    expect(mtimeToStore(now + 60_000, now, 1_000)).toBe(UNTRUSTED);
  });
});

describe('unchanged', () => {
  it('reuses only a trusted, equal mtime', () => {
    expect(unchanged(123.25, 123.25)).toBe(true);
    expect(unchanged(123.25, 123.5)).toBe(false);
    expect(unchanged(undefined, 123)).toBe(false);
    expect(unchanged(UNTRUSTED, UNTRUSTED)).toBe(false);
  });
});

describe('totals', () => {
  it('adds cur and new of every folder', () => {
    expect(totals(good)).toEqual({ bytes: 357, messages: 5 });
  });
});

describe('sameState', () => {
  it('compares root and every folder value', () => {
    const copy = JSON.parse(JSON.stringify(good)) as MaildirState;
    expect(sameState(good, copy)).toBe(true);
    expect(sameState(null, null)).toBe(true);
    expect(sameState(good, null)).toBe(false);
    expect(sameState(good, { ...copy, root: copy.root + 1 })).toBe(false);
    copy.folders[1][6] = 2;
    expect(sameState(good, copy)).toBe(false);
    expect(sameState(good, { ...good, folders: good.folders.slice(0, 1) })).toBe(false);
  });
});
