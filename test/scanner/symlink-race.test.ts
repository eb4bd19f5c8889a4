// The scanner's symlink check cannot be raced: a component of a mailbox's path swapped between a
// directory and a symlink to outside MAIL_ROOT, thousands of times while full scans run, never makes
// a scan count what lies outside. The swapping runs in another process, so it truly races.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanError, ScanPool, scanMailbox, scanMaildirSync } from '../../jobs/scan/index.js';

let base: string;
let root: string;
const INSIDE = 5_000;
const OUTSIDE = 44_444_444;

function message(dir: string, n: number, size: number) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `17000000${n}.M${n}P1.host,S=${size}:2,S`), 'x');
}

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'mp-race-'));
  root = path.join(base, 'vmail');
  // Outside MAIL_ROOT: a Maildir whose names claim 44,444,444 bytes.
  message(path.join(base, 'outside', 'Maildir', 'cur'), 1, OUTSIDE);
  message(path.join(base, 'outside', 'Maildir', '.Secret', 'new'), 2, OUTSIDE);
  // The real mailbox, and the symlink waiting beside it.
  message(path.join(root, 'race.example', 'victim.real', 'Maildir', 'cur'), 3, INSIDE);
  symlinkSync(path.join(base, 'outside'), path.join(root, 'race.example', 'victim.link'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A process that swaps race.example/victim between the directory and the symlink for `ms`, then says how often. */
function startSwapper(ms: number) {
  const dir = path.join(root, 'race.example');
  const script = `
    const fs = require('fs'); const d = ${JSON.stringify(dir)}; let n = 0; const end = Date.now() + ${ms};
    const sw = (a, b) => { try { fs.renameSync(d + '/' + a, d + '/' + b); } catch {} };
    while (Date.now() < end) { sw('victim.real', 'victim'); sw('victim', 'victim.real'); sw('victim.link', 'victim'); sw('victim', 'victim.link'); n++; }
    sw('victim', 'victim.real');
    process.stdout.write(String(n));`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const done = new Promise<number>((resolve) => child.once('close', () => resolve(Number(out))));
  return { done, kill: () => child.kill('SIGKILL') };
}

const OPTIONS = { full: true, startedAt: 0, settleMs: 0 };

describe('a path component swapped for a symlink during scans', () => {
  it('is never followed: thousands of swaps, thousands of full scans, nothing counted from outside', async () => {
    const swapper = startSwapper(6000);
    const seen = { inside: 0, missing: 0, refused: 0 };
    const check = (bytes: number) => {
      expect(bytes).not.toBeGreaterThan(INSIDE);
      if (bytes === INSIDE) seen.inside++;
      else seen.missing++;
    };
    const until = Date.now() + 5500;
    let scans = 0;
    const pool = new ScanPool({ threads: 2 });
    try {
      while (Date.now() < until) {
        // The threaded walker (periodic rounds), the synchronous one, and the single-mailbox one (scan now).
        const items = Array.from({ length: 50 }, (_, i) => ({ id: i, maildir: 'race.example/victim' }));
        for await (const batch of pool.scan(root, items, { full: true, settleMs: 0 })) {
          for (const r of batch) {
            scans++;
            if (r.ok) check(r.bytes);
            else {
              expect(['symlink', 'not_directory']).toContain(r.error.code);
              seen.refused++;
            }
          }
        }
        for (let i = 0; i < 50; i++) {
          scans++;
          try {
            check(scanMaildirSync(root, 'race.example/victim', undefined, { ...OPTIONS, startedAt: Date.now() }).bytes);
          } catch (err) {
            expect(err).toBeInstanceOf(ScanError);
            seen.refused++;
          }
          try {
            scans++;
            check((await scanMailbox(root, 'race.example/victim', undefined, { full: true, settleMs: 0 })).bytes);
          } catch (err) {
            expect(err).toBeInstanceOf(ScanError);
            seen.refused++;
          }
        }
      }
    } finally {
      await pool.close();
    }
    const swaps = await swapper.done;
    console.log(
      `symlink race: ${swaps} swap cycles, ${scans} scans: ${seen.inside} measured inside, ${seen.missing} found it missing, ${seen.refused} refused`,
    );
    expect(swaps).toBeGreaterThan(1000);
    expect(scans).toBeGreaterThan(1000);
    // The race was real: scans met both the directory and the symlink.
    expect(seen.inside).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  }, 60_000);
});
