// Times the usage scanner against du on a generated Maildir++ tree (see bench/README.md).
//
//   npx tsx bench/scan-bench.ts --size small|large [--dir DIR] [--reps N] [--threads N] [--seed N]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScanPool, scanMailboxes, type ScanItem, type ScanResult } from '../jobs/scan/index.js';
import { mailboxPaths, parseArgs, readManifest, sizeParams, type GenManifest } from './maildir-gen.js';

const args = parseArgs(process.argv.slice(2));
const size = args.size ?? 'small';
const seed = Number(args.seed ?? 1);
const params = sizeParams(size, seed);
const dir = path.resolve(args.dir ?? path.join(os.tmpdir(), `mailpanel-maildirs-${size}-seed${seed}`));
const reps = Math.max(1, Number(args.reps ?? (size === 'large' ? 5 : 9)));
const threads = Math.max(1, Number(args.threads ?? 2));
// `du -sb --max-depth=2` is rejected by current coreutils ("summarizing conflicts with --max-depth");
// -b --max-depth=2 walks and stats the same tree, it only prints the per-mailbox lines as well.
const DU_ARGS = ['-b', '--max-depth=2', dir];

const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** User+system seconds of waited-for children, from /proc (Node does not report it for spawnSync). */
function childCpuMs(): number {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  // cutime and cstime are fields 16 and 17 of /proc/<pid>/stat, in clock ticks (100 per second).
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

interface Sample {
  ms: number;
  cpuMs: number;
}

function timeDu(): Sample {
  const cpu0 = childCpuMs();
  const t0 = performance.now();
  const r = spawnSync('du', DU_ARGS, { stdio: ['ignore', 'ignore', 'inherit'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`du failed with status ${r.status}`);
  return { ms, cpuMs: childCpuMs() - cpu0 };
}

interface ScanRun extends Sample {
  bytes: number;
  messages: number;
  dirsRead: number;
  errors: number;
}

/** With `keep`, each mailbox's new state is stored as its item's `previous`, as the job would store it. */
async function timeScan(scan: () => AsyncIterable<ScanResult[]>, keep?: ScanItem[]): Promise<ScanRun> {
  const run: ScanRun = { ms: 0, cpuMs: 0, bytes: 0, messages: 0, dirsRead: 0, errors: 0 };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for await (const batch of scan()) {
    for (const r of batch) {
      if (!r.ok) {
        run.errors++;
        continue;
      }
      run.bytes += r.bytes;
      run.messages += r.messages;
      run.dirsRead += r.dirsRead;
      if (keep) keep[r.id as number].previous = r.state;
    }
  }
  run.ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // Worker threads run inside this process, so their CPU time is included.
  run.cpuMs = (cpu.user + cpu.system) / 1000;
  return run;
}

function check(label: string, run: ScanRun, manifest: GenManifest) {
  if (run.errors > 0 || run.bytes !== manifest.bytes || run.messages !== manifest.messages) {
    console.error(`${label}: found ${run.messages} messages / ${run.bytes} bytes (${run.errors} errors), expected ${manifest.messages} / ${manifest.bytes}`);
    process.exit(1);
  }
}

// The tree is generated in a child process so that this process's peak RSS is the scanner's alone.
const genScript = fileURLToPath(new URL('./maildir-gen.ts', import.meta.url));
const gen = spawnSync(process.execPath, [...process.execArgv, genScript, '--size', size, '--out', dir, '--seed', String(seed)], { stdio: 'inherit' });
if (gen.status !== 0) process.exit(gen.status ?? 1);
const manifest = readManifest(dir);
if (!manifest?.complete) throw new Error(`no complete tree in ${dir}`);

const items: ScanItem[] = mailboxPaths(params).map((maildir, id) => ({ id, maildir }));
const rssBeforePool = rssMb();
const pool = new ScanPool({ threads });
const t0 = performance.now();
await pool.start();
const threadStartMs = performance.now() - t0;

// `full: true` ignores each item's `previous`; the rescans use it.
const full = () => pool.scan(dir, items, { full: true });
const incremental = () => pool.scan(dir, items);

// Warm the page cache (du stats every inode) and the JIT, and take the states the rescans start from.
timeDu();
check('full scan (warm-up)', await timeScan(full, items), manifest);
check('incremental (warm-up)', await timeScan(incremental), manifest);

const du: Sample[] = [];
const fulls: ScanRun[] = [];
const incs: ScanRun[] = [];
const load = os.loadavg()[0];
// Interleaved, so that load from elsewhere on the machine hits all three alike.
for (let i = 0; i < reps; i++) {
  du.push(timeDu());
  const f = await timeScan(full, items);
  check('full scan', f, manifest);
  fulls.push(f);
  const inc = await timeScan(incremental);
  check('incremental', inc, manifest);
  incs.push(inc);
}
await pool.close();

// What a caller pays without a long-lived pool: thread start-up under tsx included.
const cold: ScanRun[] = [];
for (let i = 0; i < Math.min(3, reps); i++) {
  const c = await timeScan(() => scanMailboxes(dir, items, { full: true, threads }));
  check('full scan, new pool', c, manifest);
  cold.push(c);
}

const med = (xs: Sample[]) => ({
  ms: median(xs.map((x) => x.ms)),
  cpuMs: median(xs.map((x) => x.cpuMs)),
  min: Math.min(...xs.map((x) => x.ms)),
  max: Math.max(...xs.map((x) => x.ms)),
});
const rows: [string, ReturnType<typeof med>, string][] = [
  [`du ${DU_ARGS.slice(0, -1).join(' ')}`, med(du), ''],
  ['full scan', med(fulls), `${fulls[0].dirsRead} dirs read`],
  ['incremental, unchanged tree', med(incs), `${median(incs.map((x) => x.dirsRead))} dirs read`],
  ['full scan with a new pool', med(cold), 'thread start-up included'],
];
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1)).padStart(7);

console.log();
console.log(`scan bench, ${size} tree: ${dir}`);
console.log(
  `  ${params.mailboxes} mailboxes, ${manifest.messages} messages, ${manifest.bytes} bytes, ${manifest.dirs} dirs; ${threads} threads; ${reps} repetitions; load average ${load.toFixed(2)} -> ${os.loadavg()[0].toFixed(2)}`,
);
console.log();
console.log(`  ${'ms (wall)'.padEnd(30)} ${'median'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)} ${'cpu'.padStart(7)}`);
for (const [label, m, note] of rows) console.log(`  ${label.padEnd(30)} ${ms(m.ms)} ${ms(m.min)} ${ms(m.max)} ${ms(m.cpuMs)}  ${note}`);
console.log(`  ${'thread start (2 threads)'.replace('2', String(threads)).padEnd(30)} ${ms(threadStartMs)}`);
console.log();
const duFull = med(du).ms / med(fulls).ms;
const fullInc = med(fulls).ms / med(incs).ms;
console.log(`  du / full scan            ${duFull.toFixed(1).padStart(6)}x   (target >= 3x)`);
console.log(`  full / incremental        ${fullInc.toFixed(1).padStart(6)}x   (target >= 20x)`);
console.log(`  peak RSS of this process  ${String(rssMb()).padStart(6)} MB  (target < 150 MB; ${rssBeforePool} MB before the pool started: node + tsx)`);
