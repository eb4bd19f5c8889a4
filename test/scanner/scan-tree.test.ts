// Exact totals on real trees, through all three ways of running the walk: the async single-mailbox
// scan, the synchronous one (what the threads run) and the thread pool.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanError, ScanPool, scanMailbox, scanMailboxes, scanMaildirSync, parseState, type ScanItem, type ScanResult } from '../../jobs/scan/index.js';
import { generate, mailboxPaths } from '../../bench/maildir-gen.js';

let base: string;
let root: string;
let outside: string;

/** A file of `size` bytes (sparse), its parent directories made as needed. */
function put(p: string, size = 0) {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, '');
  fs.truncateSync(p, size);
}

const msg = (n: number, size: number) => `17326100${String(n).padStart(2, '0')}.M${n}P100.mx.example,S=${size},W=${size + 9}:2,S`;

// alice's tree, and what a correct scan finds in it.
const ALICE = { bytes: 100 + 2_000 + 30_000 + 777 + 500 + 10 + 20 + 1_234, messages: 8, statFallbacks: 2 };

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpanel-scan-'));
  root = path.join(base, 'vmail');
  outside = path.join(base, 'outside');
  const m = path.join(root, 'example.com/alice/Maildir');
  // S= is what counts, not the file's length: the first three files are empty on disk.
  put(`${m}/cur/${msg(1, 100)}`);
  put(`${m}/cur/${msg(2, 2_000)}`);
  put(`${m}/cur/${msg(3, 30_000)}`);
  put(`${m}/cur/1732610004.12345_1.oldmda:2,S`, 777); // no S=: lstat
  put(`${m}/new/${msg(5, 500).replace(/:2,S$/, '')}`);
  put(`${m}/tmp/${msg(6, 99_999)}`); // delivery in progress
  put(`${m}/cur/.nfs0000000001,S=5`); // not a message
  fs.mkdirSync(`${m}/cur/stray-dir,S=5`);
  put(`${m}/.Sent/cur/${msg(7, 10)}`);
  put(`${m}/.Sent/cur/${msg(8, 20)}`);
  put(`${m}/.Archive.2024/cur/1732610009.M9P1.mx:2,S`, 1_234); // no S=: lstat
  put(`${m}/.Archive.2024/new/.keep`);
  fs.mkdirSync(`${m}/.Trash/tmp`, { recursive: true });
  put(`${m}/.Trash/tmp/${msg(10, 5_000)}`);
  for (const f of ['dovecot-uidlist', 'dovecot.index', 'dovecot.index.log', 'maildirsize', 'subscriptions']) put(`${m}/${f}`, 4_096);
  put(`${m}/Junkdir/cur/${msg(11, 40_000)}`); // no leading dot: not a folder
  put(`${m}/.notafolder,S=5`, 5); // a file, not a directory

  // Symlinks out of MAIL_ROOT are never followed: a folder, a cur/ and a message.
  put(`${outside}/folder/cur/${msg(12, 1_000_000)}`);
  put(`${outside}/file`, 4_000);
  fs.symlinkSync(`${outside}/folder`, `${m}/.Evil`);
  fs.mkdirSync(`${m}/.Linked`);
  fs.symlinkSync(`${outside}/folder/cur`, `${m}/.Linked/cur`);
  fs.symlinkSync(`${outside}/file`, `${m}/cur/${msg(13, 4_000)}`);
  fs.symlinkSync(`${m}/cur/${msg(1, 100)}`, `${m}/new/${msg(14, 100)}`); // even to a real message inside

  const e = path.join(root, 'example.com/empty/Maildir');
  for (const d of ['cur', 'new', 'tmp']) fs.mkdirSync(`${e}/${d}`, { recursive: true });
  fs.mkdirSync(path.join(root, 'example.com/nomaildir'), { recursive: true });

  // Refused trees: a symlinked domain, localpart or Maildir, and a Maildir that is a file.
  put(`${outside}/evil.com/bob/Maildir/cur/${msg(15, 123)}`);
  fs.symlinkSync(`${outside}/evil.com`, path.join(root, 'evil.com'));
  fs.mkdirSync(path.join(root, 'example.org'), { recursive: true });
  fs.symlinkSync(`${outside}/evil.com/bob`, path.join(root, 'example.org/bob'));
  fs.mkdirSync(path.join(root, 'example.org/carol'), { recursive: true });
  fs.symlinkSync(`${outside}/evil.com/bob/Maildir`, path.join(root, 'example.org/carol/Maildir'));
  put(path.join(root, 'example.org/dave/Maildir'), 10);
});

afterAll(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

const sync = (maildir: string, bigDirBytes?: number) =>
  scanMaildirSync(root, maildir, undefined, { full: false, startedAt: Date.now(), settleMs: 1000, bigDirBytes });

describe.each([
  ['scanMailbox (async)', (maildir: string, bigDirBytes?: number) => scanMailbox(root, maildir, undefined, { bigDirBytes })],
  ['scanMaildirSync', async (maildir: string, bigDirBytes?: number) => sync(maildir, bigDirBytes)],
])('%s', (_name, scan) => {
  it('counts cur/ and new/ of INBOX and every .Folder, by S= with lstat where it is missing', async () => {
    const r = await scan('example.com/alice');
    expect({ bytes: r.bytes, messages: r.messages, statFallbacks: r.statFallbacks }).toEqual(ALICE);
    const state = parseState(r.state)!;
    expect(state.folders.map((f) => f[0])).toEqual(['', '.Archive.2024', '.Linked', '.Sent', '.Trash']);
  });

  it('finds the same totals when every directory is read in slices (opendir)', async () => {
    const r = await scan('example.com/alice', 0);
    expect({ bytes: r.bytes, messages: r.messages, statFallbacks: r.statFallbacks }).toEqual(ALICE);
  });

  it('gives 0 for an empty Maildir and for one that does not exist', async () => {
    const empty = await scan('example.com/empty');
    expect([empty.bytes, empty.messages]).toEqual([0, 0]);
    expect(empty.state).not.toBeNull();
    for (const missing of ['example.com/nomaildir', 'example.com/ghost', 'nowhere.example/x']) {
      const r = await scan(missing);
      expect([r.bytes, r.messages, r.state, r.dirsRead], missing).toEqual([0, 0, null, 0]);
    }
  });

  it('refuses paths that escape MAIL_ROOT', async () => {
    for (const rel of ['../x', '/etc', 'a/../../b', '../outside/evil.com/bob', 'example.com/alice/../../..']) {
      await expect(scan(rel), rel).rejects.toMatchObject({ name: 'ScanError', code: 'bad_path' });
    }
  });

  it('refuses a maildir reached through a symlinked domain, localpart or Maildir', async () => {
    for (const rel of ['evil.com/bob', 'example.org/bob', 'example.org/carol']) {
      const err = await scan(rel).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, rel).toBeInstanceOf(ScanError);
      expect((err as ScanError).code, rel).toBe('symlink');
    }
    await expect(scan('example.org/dave')).rejects.toMatchObject({ code: 'not_directory' });
  });
});

describe('MAIL_ROOT itself', () => {
  it('must exist, so that a wrong setting or an unmounted volume does not read as empty mailboxes', async () => {
    const missing = path.join(base, 'no-such-root');
    await expect(scanMailbox(missing, 'example.com/alice')).rejects.toMatchObject({ name: 'ScanError', code: 'io' });
    await expect(scanMailbox(path.join(outside, 'file'), 'example.com/alice')).rejects.toMatchObject({ code: 'not_directory' });
    const run = async () => {
      for await (const batch of scanMailboxes(missing, [{ id: 1, maildir: 'example.com/alice' }])) void batch;
    };
    await expect(run()).rejects.toBeInstanceOf(ScanError);
  });

  it('may itself be a symlink: it is configuration, not user data', async () => {
    const link = path.join(base, 'vmail-link');
    fs.symlinkSync(root, link);
    const r = await scanMailbox(link, 'example.com/alice');
    expect([r.bytes, r.messages]).toEqual([ALICE.bytes, ALICE.messages]);
  });
});

describe('scanMailboxes (thread pool)', () => {
  const items: ScanItem[] = [
    { id: 1, maildir: 'example.com/alice' },
    { id: 2, maildir: 'example.com/empty' },
    { id: 3, maildir: 'example.com/ghost' },
    { id: 4, maildir: '../x' },
    { id: 5, maildir: '/etc' },
    { id: 6, maildir: 'a/../../b' },
    { id: 7, maildir: 'evil.com/bob' },
    { id: 8, maildir: 'example.com/alice', previous: '{"garbage": true}' },
  ];

  async function collect(it: AsyncIterable<ScanResult[]>) {
    const batches: ScanResult[][] = [];
    for await (const b of it) batches.push(b);
    return batches;
  }

  it('yields every mailbox once, in batches, with errors per mailbox', async () => {
    const batches = await collect(scanMailboxes(root, items, { threads: 2, batchSize: 3, chunkSize: 2 }));
    expect(batches.every((b) => b.length > 0 && b.length <= 3)).toBe(true);
    const byId = new Map(batches.flat().map((r) => [r.id, r]));
    expect([...byId.keys()].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const id of [1, 8]) {
      const r = byId.get(id)!;
      expect(r.ok && { bytes: r.bytes, messages: r.messages, statFallbacks: r.statFallbacks }).toEqual(ALICE);
    }
    expect(byId.get(2)).toMatchObject({ ok: true, bytes: 0, messages: 0 });
    expect(byId.get(3)).toMatchObject({ ok: true, bytes: 0, messages: 0, state: null });
    for (const id of [4, 5, 6]) {
      const r = byId.get(id)!;
      expect(!r.ok && r.error).toBeInstanceOf(ScanError);
      expect(!r.ok && r.error.code).toBe('bad_path');
    }
    expect(byId.get(7)).toMatchObject({ ok: false, error: { code: 'symlink' } });
  });

  it('reads items from an async iterable and matches the generator manifest on a generated tree', async () => {
    const gen = path.join(base, 'generated');
    const { manifest } = generate(gen, { mailboxes: 60, messages: 6_000, seed: 7 });
    // Idempotent: a second call with the same parameters writes nothing.
    expect(generate(gen, { mailboxes: 60, messages: 6_000, seed: 7 }).generated).toBe(false);
    async function* cursor() {
      let id = 0;
      for (const maildir of mailboxPaths({ mailboxes: 60 })) yield { id: id++, maildir };
    }
    const pool = new ScanPool({ threads: 2 });
    try {
      await pool.start();
      let bytes = 0;
      let messages = 0;
      let count = 0;
      for await (const batch of pool.scan(gen, cursor(), { batchSize: 25, chunkSize: 4 })) {
        for (const r of batch) {
          expect(r.ok).toBe(true);
          if (!r.ok) continue;
          bytes += r.bytes;
          messages += r.messages;
          count++;
        }
      }
      expect(count).toBe(60);
      expect({ bytes, messages }).toEqual({ bytes: manifest.bytes, messages: manifest.messages });
      expect(manifest.messages).toBe(6_000);
    } finally {
      await pool.close();
    }
  });
});
