// Start-up time and memory of each role, from the build (what `npm start` runs) against the TypeScript
// source under tsx (how the product ran before it had a build), in the same run:
//
//   npm run build && npx tsx bench/startup.ts            3 starts of each role and runner, interleaved
//   --reps N      starts of each (default 3)      --runners dist,tsx   which to measure (default both)
//
// Each start: `node <entry>` with ROLES=web|worker|policy|web,worker,policy on a migrated database of its
// own, timed from spawn to the role's "listening"/"started" log lines (migrations are already applied,
// so this is the process's own start). Then 2 s idle and its VmRSS (threads included), then SIGTERM and
// the time until it has exited (a graceful stop). Prints medians and dist/tsx ratios.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type Runner, REDIS_URL, deleteRedisKeys, freshBenchDb, median, procMemory, sleep, startChild } from './procs.js';

const { values: args } = parseArgs({ options: { reps: { type: 'string', default: '3' }, runners: { type: 'string', default: 'dist,tsx' } } });
const REPS = Math.max(1, Number(args.reps));
const runners = args.runners!.split(',') as Runner[];
const ROLES: Record<string, string[]> = {
  web: ['panel listening'],
  worker: ['workers started'],
  policy: ['policy service listening'],
  'web,worker,policy': ['panel listening', 'workers started', 'policy service listening'],
};

const benchDb = await freshBenchDb('mailpanel_startup_');
const prefix = `mpstart:${randomBytes(4).toString('hex')}`;
const logDir = mkdtempSync(path.join(os.tmpdir(), 'mailpanel-startup-'));
const mailRoot = mkdtempSync(path.join(os.tmpdir(), 'mailpanel-startup-mail-'));

interface Sample {
  readyMs: number;
  rssMb: number;
  stopMs: number;
}
const samples = new Map<string, Sample[]>();
let port = 18_400 + Math.floor(Math.random() * 500) * 2;

async function once(role: string, runner: Runner): Promise<Sample> {
  port += 2;
  const env = {
    DATABASE_URL: benchDb.url,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    ROLES: role,
    PORT: String(port),
    POLICY_PORT: String(port + 1),
    METRICS_PORT: '',
    MAIL_ROOT: mailRoot,
    DOVECOT_EVENTS_PORT: '0',
    LOG_LEVEL: 'info',
  };
  const t0 = performance.now();
  const child = startChild(role, 'server/main.ts', [], env, path.join(logDir, `${role}-${runner}.log`), [], runner);
  try {
    for (const line of ROLES[role]) await child.waitForLog(line, 60_000);
    const readyMs = performance.now() - t0;
    await sleep(2000);
    const rssMb = procMemory(child.pid)?.rssMb ?? NaN;
    const s0 = performance.now();
    await child.stop();
    return { readyMs, rssMb, stopMs: performance.now() - s0 };
  } finally {
    await child.stop();
  }
}

try {
  for (let rep = 0; rep < REPS; rep++) {
    for (const role of Object.keys(ROLES)) {
      for (const runner of runners) {
        const s = await once(role, runner);
        const key = `${role} ${runner}`;
        samples.set(key, [...(samples.get(key) ?? []), s]);
        console.log(
          `rep ${rep + 1} ${key.padEnd(26)} ready ${s.readyMs.toFixed(0).padStart(5)} ms  RSS ${s.rssMb.toFixed(0).padStart(4)} MB  stop ${s.stopMs.toFixed(0)} ms`,
        );
      }
    }
  }
  const med = (key: string, f: keyof Sample) => median((samples.get(key) ?? []).map((s) => s[f]));
  console.log(`\nmedians of ${REPS} (node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})`);
  console.log('| role | runner | ready ms | RSS MB | stop ms |\n| --- | --- | ---: | ---: | ---: |');
  for (const role of Object.keys(ROLES)) {
    for (const runner of runners) {
      const k = `${role} ${runner}`;
      console.log(`| ${role} | ${runner} | ${med(k, 'readyMs').toFixed(0)} | ${med(k, 'rssMb').toFixed(0)} | ${med(k, 'stopMs').toFixed(0)} |`);
    }
    if (runners.includes('dist') && runners.includes('tsx')) {
      const r = (f: keyof Sample) => (med(`${role} tsx`, f) / med(`${role} dist`, f)).toFixed(2);
      console.log(`| ${role} | tsx / dist | ${r('readyMs')}x | ${r('rssMb')}x | |`);
    }
  }
} finally {
  await benchDb.drop();
  await deleteRedisKeys(prefix);
  rmSync(logDir, { recursive: true, force: true });
  rmSync(mailRoot, { recursive: true, force: true });
}
