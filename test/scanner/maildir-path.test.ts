import { describe, it, expect } from 'vitest';
import { maildirComponents } from '../../server/core/maildir/maildir-path.js';
import { ScanError } from '../../server/core/maildir/scan-error.js';

describe('maildirComponents', () => {
  it('lists every component below MAIL_ROOT, Maildir last', () => {
    expect(maildirComponents('/var/vmail', 'example.com/bob')).toEqual([
      '/var/vmail/example.com',
      '/var/vmail/example.com/bob',
      '/var/vmail/example.com/bob/Maildir',
    ]);
    expect(maildirComponents('/var/vmail/', 'xn--bcher-kva.example/a.b-c')).toHaveLength(3);
  });

  it('refuses escapes and odd spellings with a bad_path ScanError', () => {
    const refused = ['../x', '/etc', 'a/../../b', 'a/..', '..', 'a..b/c', 'a\\b', 'a\0b', '', 'a//b', './a', 'a/./b', 'a/'];
    for (const rel of refused) {
      let err: unknown;
      try {
        maildirComponents('/var/vmail', rel);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(rel)).toBeInstanceOf(ScanError);
      expect((err as ScanError).code).toBe('bad_path');
      expect((err as ScanError).refused).toBe(true);
    }
  });
});
