// Rescans with the previous state: only directories whose mtime moved are read again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScanPool, parseState, scanMailbox, type MailboxUsage } from '../../jobs/scan/index.js';

let base: string;
let root: string;
let m: string;
const REL = 'example.com/bob';

function put(p: string, size = 0) {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, '');
  fs.truncateSync(p, size);
}

const msg = (n: number, size: number) => `1732610${String(n).padStart(3, '0')}.M${n}P7.mx,S=${size},W=${size}:2,S`;

// Always the same instant, so settling twice leaves unchanged directories unchanged.
const OLD = new Date(Date.now() - 3_600_000);

/** Sets every directory's mtime an hour back, as if nothing had been delivered lately. */
function settle(dir: string) {
  const old = OLD;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
    fs.utimesSync(d, old, old);
  };
  walk(dir);
}

const totals = (r: MailboxUsage) => ({ bytes: r.bytes, messages: r.messages });

beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'mailpanel-scan-inc-'));
  root = path.join(base, 'vmail');
  m = path.join(root, REL, 'Maildir');
  put(`${m}/cur/${msg(1, 1_000)}`);
  put(`${m}/cur/${msg(2, 2_000)}`);
  put(`${m}/new/${msg(3, 300).replace(/:2,S$/, '')}`);
  put(`${m}/.Sent/cur/${msg(4, 40)}`);
  put(`${m}/.Sent/new/${msg(5, 50)}`);
  put(`${m}/.Archive.2024/cur/${msg(6, 6_000)}`);
  put(`${m}/.Archive.2024/cur/1732610007.M7P7.mx:2,S`, 700);
  fs.mkdirSync(`${m}/.Trash/cur`, { recursive: true });
  fs.mkdirSync(`${m}/.Trash/new`, { recursive: true });
  for (const d of ['', '.Sent', '.Archive.2024', '.Trash']) fs.mkdirSync(path.join(m, d, 'tmp'), { recursive: true });
  settle(root);
});

afterEach(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

const ALL = { bytes: 1_000 + 2_000 + 300 + 40 + 50 + 6_000 + 700, messages: 7 };
// The root plus cur/ and new/ of INBOX, .Sent and .Trash, and .Archive.2024/cur (it has no new/).
const ALL_DIRS = 1 + 2 * 3 + 1;

describe('incremental rescan', () => {
  it('reads nothing again when nothing changed, and reuses the counts', async () => {
    const first = await scanMailbox(root, REL);
    expect(totals(first)).toEqual(ALL);
    expect(first.dirsRead).toBe(ALL_DIRS);
    const again = await scanMailbox(root, REL, first.state);
    expect(again.dirsRead).toBe(0);
    expect(again.statFallbacks).toBe(0);
    expect(totals(again)).toEqual(ALL);
    expect(again.state).toBe(first.state);
    expect([first.changed, again.changed]).toEqual([true, false]);
  });

  it('notices a cur/ or new/ that disappeared though nothing was listed', async () => {
    const first = await scanMailbox(root, REL);
    fs.rmSync(`${m}/.Sent/new`, { recursive: true });
    settle(root);
    const next = await scanMailbox(root, REL, first.state);
    expect(next.dirsRead).toBe(0);
    expect(next.changed).toBe(true);
    expect(totals(next)).toEqual({ bytes: ALL.bytes - 50, messages: ALL.messages - 1 });
  });

  it('reads only the folder that got a new message', async () => {
    const first = await scanMailbox(root, REL);
    put(`${m}/.Sent/cur/${msg(8, 80)}`);
    const next = await scanMailbox(root, REL, first.state);
    expect(next.dirsRead).toBe(1);
    expect(next.changed).toBe(true);
    expect(totals(next)).toEqual({ bytes: ALL.bytes + 80, messages: ALL.messages + 1 });
    // The folder was modified just now, so its mtime is not trusted yet: read once more, then settled.
    const racy = await scanMailbox(root, REL, next.state);
    expect(racy.dirsRead).toBe(1);
    settle(root);
    const settled = await scanMailbox(root, REL, racy.state);
    expect(settled.dirsRead).toBe(1);
    const quiet = await scanMailbox(root, REL, settled.state);
    expect(quiet.dirsRead).toBe(0);
    expect(totals(quiet)).toEqual({ bytes: ALL.bytes + 80, messages: ALL.messages + 1 });
  });

  it('sees a message moved from new/ to cur/ and a deleted one', async () => {
    const first = await scanMailbox(root, REL);
    const name = msg(3, 300).replace(/:2,S$/, '');
    fs.renameSync(`${m}/new/${name}`, `${m}/cur/${name}:2,S`);
    fs.rmSync(`${m}/cur/${msg(1, 1_000)}`);
    const next = await scanMailbox(root, REL, first.state);
    expect(next.dirsRead).toBe(2);
    expect(totals(next)).toEqual({ bytes: ALL.bytes - 1_000, messages: ALL.messages - 1 });
  });

  it('drops a deleted folder and finds a new one through the root mtime', async () => {
    const first = await scanMailbox(root, REL);
    settle(root);
    fs.rmSync(`${m}/.Archive.2024`, { recursive: true });
    const gone = await scanMailbox(root, REL, first.state);
    expect(gone.dirsRead).toBe(1); // the root only
    expect(totals(gone)).toEqual({ bytes: ALL.bytes - 6_700, messages: ALL.messages - 2 });
    expect(parseState(gone.state)!.folders.map((f) => f[0])).toEqual(['', '.Sent', '.Trash']);

    put(`${m}/.Projects/cur/${msg(9, 900)}`);
    const added = await scanMailbox(root, REL, gone.state);
    expect(added.dirsRead).toBe(2); // the root and .Projects/cur; .Projects/new does not exist
    expect(totals(added)).toEqual({ bytes: ALL.bytes - 6_700 + 900, messages: ALL.messages - 1 });
  });

  it('counts nothing for a folder replaced by a symlink', async () => {
    const first = await scanMailbox(root, REL);
    fs.rmSync(`${m}/.Sent`, { recursive: true });
    fs.mkdirSync(path.join(base, 'elsewhere/cur'), { recursive: true });
    put(path.join(base, `elsewhere/cur/${msg(10, 10_000)}`));
    fs.symlinkSync(path.join(base, 'elsewhere'), `${m}/.Sent`);
    const next = await scanMailbox(root, REL, first.state);
    expect(totals(next)).toEqual({ bytes: ALL.bytes - 90, messages: ALL.messages - 2 });
  });

  it('reads everything again with full: true, or when the stored state is unusable', async () => {
    const first = await scanMailbox(root, REL);
    const full = await scanMailbox(root, REL, first.state, { full: true });
    expect(full.dirsRead).toBe(ALL_DIRS);
    expect(full.statFallbacks).toBe(1);
    expect(totals(full)).toEqual(ALL);
    const corrupt = await scanMailbox(root, REL, first.state!.slice(0, 20));
    expect(corrupt.dirsRead).toBe(ALL_DIRS);
    expect(totals(corrupt)).toEqual(ALL);
  });

  it('works the same through the thread pool', async () => {
    const pool = new ScanPool({ threads: 1 });
    const scan = async (previous: unknown, full = false) => {
      const out = [];
      for await (const batch of pool.scan(root, [{ id: 'bob', maildir: REL, previous }], { full })) out.push(...batch);
      expect(out).toHaveLength(1);
      const r = out[0];
      if (!r.ok) throw r.error;
      return r;
    };
    try {
      const first = await scan(undefined);
      expect([first.dirsRead, totals(first)]).toEqual([ALL_DIRS, ALL]);
      const again = await scan(first.state);
      expect([again.dirsRead, totals(again), again.changed]).toEqual([0, ALL, false]);
      // Unchanged: the stored text comes back as is, not re-encoded by the thread.
      expect(again.state).toBe(first.state);
      const fromObject = await scan(JSON.parse(first.state!));
      expect([fromObject.dirsRead, fromObject.changed, fromObject.state]).toEqual([0, false, first.state]);
      put(`${m}/new/${msg(11, 11)}`);
      const one = await scan(again.state);
      expect([one.dirsRead, totals(one)]).toEqual([1, { bytes: ALL.bytes + 11, messages: ALL.messages + 1 }]);
      const full = await scan(one.state, true);
      expect(full.dirsRead).toBe(ALL_DIRS);
    } finally {
      await pool.close();
    }
  });
});
