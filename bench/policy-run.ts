// Runs bench/policy-bench.ts as a child process and reads its --json result: the comparisons
// (policy-compare.ts: ours against Dovecot's; send-limits.ts: without and with send limits) each
// measure their rows this way, one after the other in the same run.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ROOT } from './procs.js';

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface BenchResult {
  target: string;
  requests: number;
  seconds: number;
  decisionsPerSecond: number;
  latencyMs: Latency;
  replies: Record<string, number>;
  loadAverage: number;
  serviceCpuMicrosPerDecision: number | null;
  mismatches: number | null;
  countedInRedis?: number | null;
  errors: number;
}

export interface Measured {
  result: BenchResult;
  exitCode: number | null;
  /** Share of all cores busy (anything on the machine) while the run lasted. */
  machineBusy: number;
}

/** Runs bench/policy-bench.ts with `args`, echoing its output indented under `label`, and returns its --json line. */
export async function runPolicyBench(label: string, args: string[], durationS: number): Promise<Measured> {
  const cpuBefore = machineCpu();
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/policy-bench.ts', ...args, '--json'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const kill = () => child.kill('SIGTERM');
  process.once('exit', kill);
  // policy-bench stops by itself after warm-up + the duration (its guard: twice that + 60 s); this one is for a hang before that.
  const guard = setTimeout(() => child.kill('SIGTERM'), (durationS * 2 + 180) * 1000);
  let json: BenchResult | undefined;
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.startsWith('{')) json = JSON.parse(line) as BenchResult;
      else console.log(`  ${label} | ${line}`);
    }
  });
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  clearTimeout(guard);
  process.off('exit', kill);
  if (!json) throw new Error(`policy-bench (${label}) printed no result (exit ${exitCode})`);
  const cpuAfter = machineCpu();
  const machineBusy = 1 - (cpuAfter.idle - cpuBefore.idle) / Math.max(1, cpuAfter.total - cpuBefore.total);
  return { result: json, exitCode, machineBusy };
}

/** Jiffies of all cores from /proc/stat (idle includes iowait). */
function machineCpu(): { idle: number; total: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + f[4], total: f.slice(0, 8).reduce((a, b) => a + b, 0) };
  } catch {
    return { idle: 0, total: 0 };
  }
}
