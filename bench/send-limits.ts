import os from 'node:os';
import { parseArgs } from 'node:util';
import { type Measured, runPolicyBench } from './policy-run.js';

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
    requests: { type: 'string', default: '200000' },
    warmup: { type: 'string', default: '20000' },
    duration: { type: 'string', default: '20' },
    rate: { type: 'string', default: '10000' },
    json: { type: 'boolean', default: false },
  },
});
const LOAD = (['mailboxes', 'connections', 'requests', 'warmup', 'duration'] as const).flatMap((k) => [`--${k}`, String(args[k])]);
const DURATION_S = Number(args.duration);

console.log(`${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)} before the run`);
// As fast as the service answers (closed loop: each connection asks again at its answer), then at the
// issue's rate (open loop: 10,000 a second whatever the answers take), each without and with limits.
const runs = {
  fastWithout: await runPolicyBench('fastest, without', [...LOAD, '--submission'], DURATION_S),
  fastWith: await runPolicyBench('fastest, with', [...LOAD, '--send-limits'], DURATION_S),
  paceWithout: await runPolicyBench('10k/s, without', [...LOAD, '--submission', '--rate', args.rate], DURATION_S),
  paceWith: await runPolicyBench('10k/s, with', [...LOAD, '--send-limits', '--rate', args.rate], DURATION_S),
};

const row = (label: string, m: Measured) => {
  const r = m.result;
  return `${label.padEnd(22)} ${r.decisionsPerSecond.toLocaleString('en').padStart(8)}/s   p50 ${r.latencyMs.p50.toFixed(3)}  p99 ${r.latencyMs.p99.toFixed(3)}  p99.9 ${r.latencyMs.p999.toFixed(3)} ms   service CPU ${r.serviceCpuMicrosPerDecision ?? '?'} µs/decision   machine busy ${(m.machineBusy * 100).toFixed(0)}%`;
};
const ratio = (a: number | null, b: number | null) => (a && b ? `${(a / b).toFixed(2)}x` : '?');
console.log('');
console.log(row('fastest, without', runs.fastWithout));
console.log(row('fastest, with limits', runs.fastWith));
console.log(row(`${args.rate}/s, without`, runs.paceWithout));
console.log(row(`${args.rate}/s, with limits`, runs.paceWith));
const [fw, fb, pw, pb] = [runs.fastWith.result, runs.fastWithout.result, runs.paceWith.result, runs.paceWithout.result];
console.log(
  `with / without: top throughput ${ratio(fw.decisionsPerSecond, fb.decisionsPerSecond)}, CPU per decision ${ratio(fw.serviceCpuMicrosPerDecision, fb.serviceCpuMicrosPerDecision)}, p99 at ${args.rate}/s ${ratio(pw.latencyMs.p99, pb.latencyMs.p99)}`,
);
console.log(`messages counted in Redis with limits: ${fw.countedInRedis?.toLocaleString('en') ?? '?'} and ${pw.countedInRedis?.toLocaleString('en') ?? '?'}`);
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
