// An open-loop load generator: `clients` independent clients, each on its own keep-alive connection,
// send requests at random (Poisson) moments adding up to `rate` a second, whatever the answers take.
// A client whose last request is still open queues the next one; latency runs from the moment the
// request was due, so waiting behind a slow answer counts (no coordinated omission).
//
// autocannon's overallRate is not this: it lets every connection fire its share at the start of each
// second, so the server sees one burst of all clients per second instead of a steady stream.
import http from 'node:http';

export interface OpenLoopResult {
  sent: number;
  completed: number;
  non2xx: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
}

export interface OpenLoopOptions {
  url: string;
  /** Requests a second, all clients together. */
  rate: number;
  seconds: number;
  clients: number;
  headers?: (client: number) => Record<string, string>;
  /** Per-request time limit in ms (counted as an error). */
  timeoutMs?: number;
  seed?: number;
}

/** A small deterministic generator, so two runs offer the same arrival pattern. */
function random(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const target = new URL(o.url);
  const rand = random(o.seed ?? 42);
  const perClient = o.rate / o.clients;
  const latencies: number[] = [];
  let sent = 0;
  let non2xx = 0;
  let errors = 0;
  const start = performance.now();
  const end = start + o.seconds * 1000;

  const client = (i: number) =>
    new Promise<void>((done) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const headers = o.headers?.(i) ?? {};
      const due: number[] = [];
      let busy = false;
      let arrivalsOver = false;
      const finish = () => {
        agent.destroy();
        done();
      };
      const sendNext = () => {
        const at = due.shift();
        if (at === undefined) {
          busy = false;
          if (arrivalsOver) finish();
          return;
        }
        busy = true;
        sent++;
        // Exactly one outcome per request: an answer, or an error (also one cut off mid-answer).
        let settled = false;
        const settle = (ok: boolean) => {
          if (settled) return;
          settled = true;
          if (ok) latencies.push(performance.now() - at);
          else errors++;
          sendNext();
        };
        const req = http.request(
          { agent, host: target.hostname, port: target.port, path: target.pathname + target.search, headers, timeout: o.timeoutMs ?? 10_000 },
          (res) => {
            if (res.statusCode! < 200 || res.statusCode! >= 300) non2xx++;
            res.on('end', () => settle(true));
            res.on('close', () => settle(res.complete));
            res.resume();
          },
        );
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => settle(false));
        req.end();
      };
      // Exponential gaps between this client's arrivals.
      let next = start + (-Math.log(1 - rand()) / perClient) * 1000;
      const arrive = () => {
        const now = performance.now();
        while (next <= now && next < end) {
          due.push(next);
          next += (-Math.log(1 - rand()) / perClient) * 1000;
        }
        if (!busy && due.length) sendNext();
        if (next < end) setTimeout(arrive, Math.max(0, next - performance.now()));
        else {
          arrivalsOver = true;
          if (!busy) finish();
        }
      };
      setTimeout(arrive, Math.max(0, next - performance.now()));
    });

  await Promise.all(Array.from({ length: o.clients }, (_, i) => client(i)));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    sent,
    completed: latencies.length,
    non2xx,
    errors,
    seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
  };
}
