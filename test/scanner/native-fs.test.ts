// The scanner's native calls (native/maildir_fs.c through jobs/scan/native-fs.ts) against the real
// file system: the same figures as Node's fs, listings whole and in slices, and no way through a symlink.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaildirFsAnswers } from '../../jobs/scan/native-fs.js';
import { KIND, type Listing, type NodeInfo } from '../../server/core/maildir/walk.js';

let root: string;

beforeAll(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mailpanel-native-')));
  fs.mkdirSync(path.join(root, 'd/u/Maildir/cur'), { recursive: true });
  fs.mkdirSync(path.join(root, 'outside'), { recursive: true });
  fs.writeFileSync(path.join(root, 'outside/secret,S=999'), 'x');
  fs.symlinkSync(path.join(root, 'outside'), path.join(root, 'd/u/Maildir/new'));
  fs.writeFileSync(path.join(root, 'd/u/Maildir/file'), '');
  for (let i = 0; i < 5000; i++) fs.writeFileSync(path.join(root, `d/u/Maildir/cur/m${i},S=${i}`), '');
  fs.writeFileSync(path.join(root, 'd/u/Maildir/cur/plain'), 'seven b');
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('native file system answers', () => {
  it('probes give the kind, size and the mtime exactly as Node computes it', () => {
    const fsa = new MaildirFsAnswers(root);
    for (const [rel, kind] of [
      ['d/u/Maildir/cur', 'dir'],
      ['d/u/Maildir/new', 'symlink'],
      ['d/u/Maildir/file', 'file'],
      ['d/u/nothing', 'missing'],
      ['d/u/Maildir/file/below', 'missing'],
    ] as const) {
      const p = path.join(root, rel);
      const info = fsa.answer({ op: 'probe', path: p, shared: false }) as NodeInfo;
      expect(info.kind, rel).toBe(kind);
      if (kind !== 'missing') {
        const st = fs.lstatSync(p);
        expect(info.mtimeMs, rel).toBe(st.mtimeMs);
        expect(info.size, rel).toBe(st.size);
      }
    }
    fsa.close();
  });

  it('lists a directory whole, and in slices when opened, each name once with its kind', () => {
    const fsa = new MaildirFsAnswers(root);
    const cur = path.join(root, 'd/u/Maildir/cur');
    const whole = fsa.answer({ op: 'readdir', path: cur }) as Listing;
    const expected = fs.readdirSync(cur).sort();
    expect([...whole.names].sort()).toEqual(expected);
    expect(new Set(Array.from(whole.kinds))).toEqual(new Set([KIND.file]));

    const maildir = fsa.answer({ op: 'readdir', path: path.join(root, 'd/u/Maildir') }) as Listing;
    const kinds = Object.fromEntries(maildir.names.map((n, i) => [n, maildir.kinds[i]]));
    expect(kinds).toEqual({ cur: KIND.dir, new: KIND.symlink, file: KIND.file });
    fsa.close();

    const sliced = new MaildirFsAnswers(root);
    const handle = sliced.answer({ op: 'opendir', path: cur }) as number;
    const names: string[] = [];
    let slices = 0;
    for (let s = sliced.answer({ op: 'read', handle }) as Listing | null; s; s = sliced.answer({ op: 'read', handle }) as Listing | null) {
      names.push(...s.names);
      slices++;
    }
    expect(slices).toBe(Math.ceil(5001 / 1024));
    expect(names.sort()).toEqual(expected);
    // A counted lstat goes through the opened directory.
    expect((sliced.answer({ op: 'lstat', path: path.join(cur, 'plain') }) as NodeInfo).size).toBe(7);
    sliced.close();
  });

  it('never reads through a symlink, and never lstats a counted file by path', () => {
    const fsa = new MaildirFsAnswers(root);
    // O_NOFOLLOW | O_DIRECTORY: a symlink is not a directory (ENOTDIR), so there is nothing to list.
    expect(fsa.answer({ op: 'readdir', path: path.join(root, 'd/u/Maildir/new') })).toBeNull();
    expect(fsa.answer({ op: 'opendir', path: path.join(root, 'd/u/Maildir/new') })).toBeNull();
    expect(fsa.answer({ op: 'readdir', path: path.join(root, 'd/u/Maildir/file') })).toBeNull();
    expect(fsa.answer({ op: 'readdir', path: path.join(root, 'd/u/gone') })).toBeNull();
    expect(() => fsa.answer({ op: 'readdir', path: '/etc' })).toThrow(/outside MAIL_ROOT/);
    expect(() => fsa.answer({ op: 'lstat', path: path.join(root, 'outside/secret,S=999') })).toThrow(/not opened/);
    fsa.close();
  });
});
