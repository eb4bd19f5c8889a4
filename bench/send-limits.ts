import os from 'node:os';
import { parseArgs } from 'node:util';
import { type Measured, runPolicyBench } from './policy-run.js';
import { median } from './procs.js';

// The cost of send limits on the policy service, in one run: the same submission checks (an
// authenticated sender and a new message each, as Postfix's submission service asks them) first
// without send limits, then with them, when every check counts its message in Redis (a Lua call
// over the service's own connection) before the recipient is judged.
//
//   npx tsx bench/send-limits.ts       (npm run build first: the service runs from dist/ as `ROLES=policy npm start` does)
//
// Each row is bench/policy-bench.ts with our service as a child process on a freshly seeded database;
// the targets are the issue's: >= 10,000 decisions/s and p99 < 5 ms with the limits on.

const { values: args } = parseArgs({
  options: {
    mailboxes: { type: 'string', default: '10000' },
    connections: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '20000' },
    duration: { type: 'string', default: '10' },
    requests: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '10000' },
    reps: { type: 'string', default: '3' },
    loader: { type: 'string', default: 'c' },
    json: { type: 'boolean', default: false },
  },
});
// The load comes from bench/policy-load.c (Postfix's clients are C; see policy-bench.ts), or with
// --loader node from the bench's own Node loop, whose pauses then count in the latencies too.
const LOAD = (['mailboxes', 'connections', 'requests', 'warmup', 'duration', 'loader'] as const).flatMap((k) => [`--${k}`, String(args[k])]);
const DURATION_S = Number(args.duration);

console.log(`${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)} before the run; load generator: ${args.loader}`);
// As fast as the service answers (closed loop: each connection asks again at its answer), then at the
// issue's rate (open loop: 10,000 a second whatever the answers take), each without and with limits;
// the four runs repeated --reps times, interleaved so load from elsewhere hits all alike; medians.
const REPS = Number(args.reps);
const SHAPES = {
  fastWithout: ['fastest, without', '--submission'],
  fastWith: ['fastest, with', '--send-limits'],
  paceWithout: [`${args.rate}/s, without`, '--submission', '--rate', args.rate],
  paceWith: [`${args.rate}/s, with`, '--send-limits', '--rate', args.rate],
} as const;
type Shape = keyof typeof SHAPES;
const all: Record<Shape, Measured[]> = { fastWithout: [], fastWith: [], paceWithout: [], paceWith: [] };
for (let rep = 1; rep <= REPS; rep++)
  for (const [shape, [label, ...flags]] of Object.entries(SHAPES) as [Shape, readonly string[]][])
    all[shape].push(await runPolicyBench(`${label} #${rep}`, [...LOAD, ...flags], DURATION_S));

const mid = (xs: number[]) => median(xs);
/** The median run by each figure on its own (throughput, latencies, CPU). */
const medianOf = (ms: Measured[]): Measured => {
  const r = ms.map((m) => m.result);
  return {
    exitCode: null,
    machineBusy: mid(ms.map((m) => m.machineBusy)),
    result: {
      ...r[0],
      decisionsPerSecond: Math.round(mid(r.map((x) => x.decisionsPerSecond))),
      latencyMs: {
        p50: mid(r.map((x) => x.latencyMs.p50)),
        p90: mid(r.map((x) => x.latencyMs.p90)),
        p99: mid(r.map((x) => x.latencyMs.p99)),
        p999: mid(r.map((x) => x.latencyMs.p999)),
        max: mid(r.map((x) => x.latencyMs.max)),
      },
      serviceCpuMicrosPerDecision: mid(r.map((x) => x.serviceCpuMicrosPerDecision ?? Number.NaN)),
      mismatches: r.reduce((n, x) => n + (x.mismatches ?? 0), 0),
      errors: r.reduce((n, x) => n + x.errors, 0),
      requests: Math.min(...r.map((x) => x.requests)),
      countedInRedis: r.every((x) => x.countedInRedis == null) ? null : Math.min(...r.map((x) => x.countedInRedis ?? 0)),
    },
  };
};
const runs = Object.fromEntries(Object.entries(all).map(([k, ms]) => [k, medianOf(ms)])) as Record<Shape, Measured>;

const row = (label: string, m: Measured) => {
  const r = m.result;
  return `${label.padEnd(22)} ${r.decisionsPerSecond.toLocaleString('en').padStart(8)}/s   p50 ${r.latencyMs.p50.toFixed(3)}  p99 ${r.latencyMs.p99.toFixed(3)}  p99.9 ${r.latencyMs.p999.toFixed(3)} ms   service CPU ${r.serviceCpuMicrosPerDecision ?? '?'} µs/decision   machine busy ${(m.machineBusy * 100).toFixed(0)}%`;
};
const ratio = (a: number | null, b: number | null) => (a && b ? `${(a / b).toFixed(2)}x` : '?');
console.log('');
console.log(`medians of ${REPS} runs each:`);
console.log(row('fastest, without', runs.fastWithout));
console.log(row('fastest, with limits', runs.fastWith));
console.log(row(`${args.rate}/s, without`, runs.paceWithout));
console.log(row(`${args.rate}/s, with limits`, runs.paceWith));
const [fw, fb, pw, pb] = [runs.fastWith.result, runs.fastWithout.result, runs.paceWith.result, runs.paceWithout.result];
console.log(
  `with / without: top throughput ${ratio(fw.decisionsPerSecond, fb.decisionsPerSecond)}, CPU per decision ${ratio(fw.serviceCpuMicrosPerDecision, fb.serviceCpuMicrosPerDecision)}, p99 at ${args.rate}/s ${ratio(pw.latencyMs.p99, pb.latencyMs.p99)}`,
);
console.log(
  `p99 at ${args.rate}/s with limits, each run: ${all.paceWith.map((m) => m.result.latencyMs.p99.toFixed(2)).join(', ')} ms; without: ${all.paceWithout.map((m) => m.result.latencyMs.p99.toFixed(2)).join(', ')} ms`,
);
console.log(
  `messages counted in Redis with limits (fewest in a run): ${fw.countedInRedis?.toLocaleString('en') ?? '?'} and ${pw.countedInRedis?.toLocaleString('en') ?? '?'}`,
);
const clean = [fw, fb, pw, pb].every((r) => r.errors === 0 && r.mismatches === 0);
const met =
  clean &&
  fw.decisionsPerSecond >= 10_000 &&
  pw.decisionsPerSecond >= Number(args.rate) * 0.98 &&
  pw.latencyMs.p99 < 5 &&
  (pw.countedInRedis ?? 0) >= pw.requests;
console.log(`targets with limits (>= 10,000 decisions/s; p99 < 5 ms at ${args.rate}/s; every message counted): ${met ? 'met' : 'NOT met'}`);
if (args.json) console.log(JSON.stringify(Object.fromEntries(Object.entries(runs).map(([k, m]) => [k, m.result]))));
process.exitCode = met ? 0 : 1;
