// Helpers the feed and verification benches share: the product's entry points as child processes
// (so each has its own event loop, CPU time and RSS, as in production), a fresh database migrated the
// way the product migrates (server/startup.ts), Redis keys by prefix, /proc readings, percentiles.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDb, type Db } from '../db/database.js';
import { createRedis } from '../server/platform/redis.js';
import { prepareDatabase } from '../server/startup.js';
import { entryArgs as builtEntryArgs } from '../test/support/process.js';
import { dropDatabase } from './seed-large.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PG_SERVER = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile of an ascending array. */
export const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : NaN;
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export interface BenchDb {
  name: string;
  url: string;
  db: Db;
  drop(): Promise<void>;
}

/** Creates and migrates `<prefix><random>` with the product's own startup step; drop() removes it. */
export async function freshBenchDb(prefix: string, poolSize = 5): Promise<BenchDb> {
  const name = `${prefix}${randomBytes(4).toString('hex')}`;
  const url = `${PG_SERVER}/${name}`;
  const drop = () => dropDatabase(`${PG_SERVER}/postgres`, name);
  try {
    await prepareDatabase(url);
  } catch (err) {
    await drop().catch(() => {});
    throw err;
  }
  const db = createDb(url, poolSize);
  return {
    name,
    url,
    db,
    async drop() {
      await db.destroy().catch(() => {});
      await drop();
    },
  };
}

export async function deleteRedisKeys(prefix: string): Promise<number> {
  const redis = createRedis(REDIS_URL);
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  logFile: string;
  log(): string;
  /** Resolves when `text` appears in its log (or rejects when it exits or the time is up). */
  waitForLog(text: string | RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * How a product entry point runs: `dist` is what `npm start` / `npm run worker` run in production
 * (plain node on the build in dist/, see `npm run build`); `tsx` runs the TypeScript source, as the
 * product did before it had a build (kept as the baseline of bench/startup.ts).
 */
export type Runner = 'dist' | 'tsx';

/** The node arguments that run `script` (a source path such as `server/main.ts`) with `runner`. */
export function entryArgs(script: string, runner: Runner): string[] {
  return runner === 'tsx' ? ['--import', 'tsx', script] : builtEntryArgs(script);
}

/**
 * Runs a product entry point (`server/main.ts`, `jobs/main.ts`) as production does but without npm in
 * between, so the pid is the product's process. Output goes to logFile. stop() sends SIGTERM (the
 * product's graceful stop), SIGKILL after 15 s.
 */
export function startChild(
  name: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  logFile: string,
  nodeArgs: string[] = [],
  runner: Runner = 'dist',
): Child {
  const fd = openSync(logFile, 'w');
  const proc = spawn(process.execPath, [...nodeArgs, ...entryArgs(script, runner), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  // Whatever happens to the bench, the product process must not outlive it.
  const onExit = () => proc.kill('SIGKILL');
  process.once('exit', onExit);
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  return {
    name,
    proc,
    pid: proc.pid!,
    logFile,
    log,
    async waitForLog(text, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const l = log();
        if (typeof text === 'string' ? l.includes(text) : text.test(l)) return;
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${name} exited (${proc.exitCode ?? proc.signalCode}):\n${l.slice(-3000)}`);
        if (Date.now() > deadline) throw new Error(`${name}: no "${text}" in its log within ${timeoutMs} ms:\n${l.slice(-3000)}`);
        await sleep(50);
      }
    },
    async stop() {
      process.removeListener('exit', onExit);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** VmHWM (peak) and VmRSS of a live process, MB. */
export function procMemory(pid: number): { hwmMb: number; rssMb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { hwmMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return null;
  }
}

/** user+system CPU seconds of a live process (threads included). */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
export function machineJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = f[3] + (f[4] ?? 0);
  return { busy: total - idle, total };
}
