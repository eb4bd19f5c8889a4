import { describe, it, expect } from 'vitest';
import { isFolderName, isMessageName, sizeFromName } from '../../server/core/maildir/maildir-name.js';

describe('sizeFromName', () => {
  it('reads S= from a Dovecot name in cur/ and in new/', () => {
    expect(sizeFromName('1732610000.M12P345.host,S=10450,W=10600:2,S')).toBe(10450);
    expect(sizeFromName('1732610000.M12P345.host,S=10450,W=10600')).toBe(10450);
    expect(sizeFromName('1732610000.M12P345.host,S=7')).toBe(7);
    expect(sizeFromName('1732610000.M12P345.host,S=0:2,')).toBe(0);
  });

  it('finds S= after other fields', () => {
    expect(sizeFromName('1732610000.M1P2.host,W=300,S=250:2,RS')).toBe(250);
  });

  it('gives -1 when there is no usable S=', () => {
    expect(sizeFromName('1732610000.M12P345.host:2,S')).toBe(-1);
    expect(sizeFromName('1732610000.M12P345.host')).toBe(-1);
    expect(sizeFromName('1732610000.M1P2.host,S=:2,S')).toBe(-1);
    expect(sizeFromName('1732610000.M1P2.host,S=12k,W=20:2,S')).toBe(-1);
    expect(sizeFromName('1732610000.M1P2.hostS=12:2,S')).toBe(-1);
    expect(sizeFromName(`1.M1P2.host,S=${'9'.repeat(16)}:2,S`)).toBe(-1);
  });

  it('does not read flags or the info part as a size', () => {
    expect(sizeFromName('1732610000.M1P2.host:2,S=123')).toBe(-1);
    expect(sizeFromName('1732610000.M1P2.host:2,S,S=123')).toBe(-1);
  });
});

describe('isFolderName', () => {
  it('accepts Maildir++ folders', () => {
    for (const n of ['.Sent', '.Trash', '.Archive.2024', '.&AOQ-nderungen']) expect(isFolderName(n)).toBe(true);
  });

  it('rejects INBOX dirs, dot dirs and names that would build paths', () => {
    for (const n of ['', '.', '..', 'cur', 'new', 'tmp', 'Sent', './x', '../x', '.a/b', '.a\0b']) expect(isFolderName(n)).toBe(false);
  });
});

describe('isMessageName', () => {
  it('skips dot files like Dovecot does', () => {
    expect(isMessageName('1732610000.M1P2.host,S=5:2,S')).toBe(true);
    expect(isMessageName('.nfs000000001')).toBe(false);
    expect(isMessageName('')).toBe(false);
  });
});
