// The walk on its own, answered by an in-memory file system: which requests it makes, and when.
import { describe, it, expect } from 'vitest';
import { KIND, walkMaildir, type FsRequest, type Listing, type NodeInfo, type WalkOptions } from '../../server/core/maildir/walk.js';
import type { MaildirState } from '../../server/core/maildir/scan-state.js';

type Node = { kind: 'dir'; mtimeMs: number; size?: number; entries: Record<string, Node> } | { kind: 'file' | 'symlink'; size: number };

const T = 1_700_000_000_000;
const dir = (entries: Record<string, Node>, mtimeMs = T, size = 4096): Node => ({ kind: 'dir', mtimeMs, size, entries });
const file = (size = 0): Node => ({ kind: 'file', size });

/** `root` stands for MAIL_ROOT, /m. */
function lookup(root: Node, path: string): Node | undefined {
  let node: Node | undefined = root;
  for (const part of path.slice('/m'.length).split('/').filter(Boolean)) node = node?.kind === 'dir' ? node.entries[part] : undefined;
  return node;
}

const listing = (entries: [string, Node][]): Listing => ({ names: entries.map(([name]) => name), kinds: entries.map(([, n]) => KIND[n.kind]) });

/** Runs the walk against `fs`, recording every request in a compact form. */
function run(fs: Node, previous: MaildirState | null, options: Partial<WalkOptions> = {}) {
  const log: string[] = [];
  const handles: Listing[][] = [];
  const walk = walkMaildir('/m', 'd/u', previous, { full: false, startedAt: T + 60_000, settleMs: 1000, ...options });
  let step = walk.next();
  while (!step.done) {
    const req: FsRequest = step.value;
    let answer: unknown;
    if (req.op === 'read') {
      log.push(`read #${req.handle}`);
      answer = handles[req.handle].shift() ?? null;
    } else {
      log.push(`${req.op} ${req.path}`);
      const n = lookup(fs, req.path);
      if (req.op === 'lstat' || req.op === 'probe') {
        answer = (
          n ? { kind: n.kind, mtimeMs: n.kind === 'dir' ? n.mtimeMs : 0, size: n.size ?? 0 } : { kind: 'missing', mtimeMs: 0, size: 0 }
        ) satisfies NodeInfo;
      } else if (n?.kind !== 'dir') {
        answer = null;
      } else {
        const entries = Object.entries(n.entries);
        if (req.op === 'readdir') answer = listing(entries);
        else {
          // Slices of two, to see more than one read.
          handles.push([]);
          const h = handles.length - 1;
          for (let i = 0; i < entries.length; i += 2) handles[h].push(listing(entries.slice(i, i + 2)));
          answer = h;
        }
      }
    }
    step = walk.next(answer);
  }
  return { log, result: step.value };
}

const tree = () =>
  dir({
    d: dir({
      u: dir({
        Maildir: dir({
          cur: dir({ 'a,S=10:2,S': file(), 'b,S=20:2,S': file(), 'c:2,S': file(5) }),
          new: dir({}),
          tmp: dir({ 'x,S=99': file() }),
          '.Sent': dir({ cur: dir({ 'd,S=7:2,S': file() }) }),
          'dovecot-uidlist': file(100),
        }),
      }),
    }),
  });

describe('walkMaildir', () => {
  it('checks every component, lists the root and each cur/ and new/, and stats only names without S=', () => {
    const { log, result } = run(tree(), null);
    expect(log).toEqual([
      'probe /m/d',
      'probe /m/d/u',
      'probe /m/d/u/Maildir',
      'readdir /m/d/u/Maildir',
      'probe /m/d/u/Maildir/cur',
      'readdir /m/d/u/Maildir/cur',
      'lstat /m/d/u/Maildir/cur/c:2,S',
      'probe /m/d/u/Maildir/new',
      'readdir /m/d/u/Maildir/new',
      'probe /m/d/u/Maildir/.Sent/cur',
      'readdir /m/d/u/Maildir/.Sent/cur',
      'probe /m/d/u/Maildir/.Sent/new',
    ]);
    expect([result.bytes, result.messages, result.dirsRead, result.statFallbacks]).toEqual([42, 4, 4, 1]);
  });

  it('only lstats the directories when nothing changed', () => {
    const first = run(tree(), null).result;
    const { log, result } = run(tree(), first.state);
    expect(log).toEqual([
      'probe /m/d',
      'probe /m/d/u',
      'probe /m/d/u/Maildir',
      'probe /m/d/u/Maildir/cur',
      'probe /m/d/u/Maildir/new',
      'probe /m/d/u/Maildir/.Sent/cur',
      'probe /m/d/u/Maildir/.Sent/new',
    ]);
    expect([result.bytes, result.messages, result.dirsRead, result.changed]).toEqual([42, 4, 0, false]);
  });

  it('reads a directory bigger than bigDirBytes in slices', () => {
    const { log, result } = run(tree(), null, { bigDirBytes: 4095 });
    // Slices of two: a and b, then c (no S=, so an lstat), then the end.
    expect(log.slice(4, 10)).toEqual([
      'probe /m/d/u/Maildir/cur',
      'opendir /m/d/u/Maildir/cur',
      'read #0',
      'read #0',
      'lstat /m/d/u/Maildir/cur/c:2,S',
      'read #0',
    ]);
    expect(log.filter((l) => l.startsWith('readdir'))).toEqual(['readdir /m/d/u/Maildir']);
    expect([result.bytes, result.messages, result.dirsRead]).toEqual([42, 4, 4]);
  });

  it('stops at a missing component without listing anything', () => {
    const { log, result } = run(dir({ d: dir({}) }), null);
    expect(log).toEqual(['probe /m/d', 'probe /m/d/u']);
    expect([result.bytes, result.state, result.changed]).toEqual([0, null, true]);
    // A Maildir that disappeared is a change worth writing.
    const before = run(tree(), null).result.state;
    expect(run(dir({ d: dir({}) }), before).result.changed).toBe(true);
  });
});
