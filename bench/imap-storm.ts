// An IMAP login storm against the real Dovecot of the test rig, reading a large seeded database.
//
//   npx tsx bench/imap-storm.ts                       seeds 100,000 mailboxes (~10 s), starts Dovecot + Postfix, storms, cleans up
//   npx tsx bench/imap-storm.ts --database-url URL    on a database seeded earlier by bench/seed-large.ts (kept)
//   npx tsx bench/imap-storm.ts --clients 20 --logins 2000 --duration 120
//
// Needs root and the mail stack packages (test/mail-stack/install.sh). Every seeded mailbox has the same
// real {ARGON2ID} hash (the panel's parameters: m=19456, t=2, p=1), so each login costs Dovecot one
// argon2id verification plus its passdb and userdb queries (no auth cache: auth_cache_size = 0).
// Each client logs in over a plain socket (greeting, LOGIN, LOGOUT), one distinct mailbox per login,
// picked at random among the IMAP-enabled accounts; latency is from connect to the tagged OK of LOGIN.
// Then the exact password_query and user_query Dovecot ran (from the rendered dovecot-sql.conf.ext,
// for one of the addresses) and Postfix's lookups are run under EXPLAIN (ANALYZE, BUFFERS) as the
// mail servers' own role, showing index use on mailboxes.address.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { LineClient, mailStackInstalled, startMailStack, startPolicyStub, type MailStack, type PolicyStub } from '../test/support/mail-stack.js';
import { describeScans, explainQuery, indexedOn, mailLookups, mailQueryTemplates } from './mail-queries.js';
import { benchDatabase, DEFAULT_ADMIN_URL } from './seed-large.js';
import { benchTeardown } from './teardown.js';

const { values: args } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    'admin-url': { type: 'string', default: DEFAULT_ADMIN_URL },
    'keep-db': { type: 'boolean', default: false },
    clients: { type: 'string', default: '20' },
    logins: { type: 'string', default: '2000' },
    duration: { type: 'string', default: '120' },
    plans: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`usage: npx tsx bench/imap-storm.ts [--database-url URL | --keep-db] [--clients 20] [--logins 2000] [--duration 120] [--plans]
  --duration S   stop after S seconds even if logins remain
  --plans        print the full EXPLAIN plans (default: a summary line per query)`);
  process.exit(0);
}
const int = (name: keyof typeof args, min: number) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return n;
};
const CLIENTS = int('clients', 1);
const LOGINS = int('logins', 1);
const DURATION_MS = int('duration', 1) * 1000;

interface LoginResult {
  ok: boolean;
  ms: number;
  reply: string;
}

/** greeting, LOGIN, LOGOUT on a raw socket; ms = connect to the tagged answer of LOGIN. */
async function imapLogin(port: number, user: string, pass: string): Promise<LoginResult> {
  const t0 = performance.now();
  const c = await LineClient.connect(port, 30_000);
  try {
    const greeting = await c.readLine();
    if (!greeting.startsWith('* OK')) return { ok: false, ms: performance.now() - t0, reply: greeting };
    const quote = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`;
    c.write(`a1 LOGIN ${quote(user)} ${quote(pass)}\r\n`);
    let line: string;
    do line = await c.readLine();
    while (!line.startsWith('a1 '));
    const ms = performance.now() - t0;
    const ok = line.startsWith('a1 OK');
    if (ok) {
      // Log out properly (the imap process ends); the connection may close before the tagged answer.
      c.write('a2 LOGOUT\r\n');
      try {
        while (!(await c.readLine()).startsWith('a2 '));
      } catch {
        /* closed */
      }
    }
    return { ok, ms, reply: line };
  } finally {
    c.close();
  }
}

interface ProcCpu {
  comm: string;
  ppid: number;
  /** utime + stime, ms */
  self: number;
  /** cutime + cstime: children it has reaped, ms */
  children: number;
}

function readProc(pid: number): ProcCpu | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { comm, ppid: Number(f[1]), self: (Number(f[11]) + Number(f[12])) * 10, children: (Number(f[13]) + Number(f[14])) * 10 };
  } catch {
    return null;
  }
}

/**
 * CPU of Dovecot by process kind: the master, its live children (auth, auth-worker, ...) and, as
 * "reaped", the processes that have exited meanwhile (imap-login and imap: one or two per login).
 */
function dovecotCpu(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const master = Number(readFileSync(path.join(dir, 'run', 'dovecot', 'master.pid'), 'utf8').trim());
  const m = readProc(master);
  if (!m) return out;
  out.set('master', m.self);
  out.set('reaped (imap-login, imap, ...)', m.children);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const p = readProc(Number(entry));
    if (p?.ppid !== master) continue;
    // Dovecot sets process titles ("<instance>/auth-worker: ..."): auth and auth-worker share comm "auth".
    let kind = p.comm;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')[0];
      kind = title.replace(/^[^/\s]*\//, '').split(/[:\s]/)[0] || p.comm;
    } catch {
      /* gone */
    }
    out.set(kind, (out.get(kind) ?? 0) + p.self + p.children);
  }
  return out;
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);

/** Busy CPU time of the whole machine in ms (all cores), from /proc/stat. */
function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) * 10;
}

async function main() {
  if (!mailStackInstalled()) throw new Error('Dovecot/Postfix are not installed: run `bash test/mail-stack/install.sh` as root');
  if (process.getuid?.() !== 0) throw new Error('the mail stack needs root');
  const { cleanups, cleanup, finished } = benchTeardown('imap-storm', DURATION_MS + 180_000);

  try {
    console.log(
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${os.cpus().length} cores at start`,
    );
    const bench = await benchDatabase({ databaseUrl: args['database-url'], adminUrl: args['admin-url'], keep: args['keep-db'], poolSize: 2 });
    cleanups.push(() => bench.close());
    const seeded = bench.seeded;

    // Distinct IMAP-enabled accounts (all parents active), in a fixed random order.
    await sql`SELECT setseed(0.42)`.execute(bench.db);
    const picked = await sql<{ address: string }>`
      SELECT address FROM (SELECT address FROM mail_accounts WHERE imap ORDER BY random() LIMIT ${LOGINS}) a`.execute(bench.db);
    const addresses = picked.rows.map((r) => r.address);
    if (addresses.length < LOGINS) throw new Error(`only ${addresses.length} IMAP-enabled accounts for ${LOGINS} logins`);

    let policy: PolicyStub | undefined;
    let stack: MailStack | undefined;
    cleanups.push(async () => {
      await stack?.stop();
      await policy?.close();
    });
    policy = await startPolicyStub();
    const t0 = performance.now();
    stack = await startMailStack({ databaseName: bench.name, policyPort: policy.port });
    console.log(`mail stack up in ${((performance.now() - t0) / 1000).toFixed(1)} s (IMAP on 127.0.0.1:${stack.ports.imap}, ${stack.dir})`);

    // One login first: proves the seeded hash and the whole path before the storm.
    const probe = await imapLogin(stack.ports.imap, addresses[0], seeded.password);
    if (!probe.ok) throw new Error(`a first login as ${addresses[0]} failed: ${probe.reply}\n${await stack.logs()}`);

    console.log(
      `storm: ${CLIENTS} clients, ${LOGINS.toLocaleString('en')} logins of distinct mailboxes (of ${seeded.counts.mailboxes.toLocaleString('en')}), at most ${DURATION_MS / 1000} s`,
    );
    const results: LoginResult[] = [];
    const cpuBefore = dovecotCpu(stack.dir);
    const machineBefore = machineBusyMs();
    let next = 1; // addresses[0] was the probe
    const start = performance.now();
    const deadline = start + DURATION_MS;
    let lastReport = start;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < addresses.length + 1 && performance.now() < deadline) {
          const i = next++;
          const address = addresses[i % addresses.length];
          try {
            results.push(await imapLogin(stack!.ports.imap, address, seeded.password));
          } catch (err) {
            results.push({ ok: false, ms: NaN, reply: (err as Error).message });
          }
          if (performance.now() - lastReport > 10_000) {
            lastReport = performance.now();
            console.log(`  ${results.length} logins after ${((lastReport - start) / 1000).toFixed(0)} s`);
          }
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    const machineMs = machineBusyMs() - machineBefore;
    const cpuAfter = dovecotCpu(stack.dir);
    const ok = results.filter((r) => r.ok);
    const failed = results.filter((r) => !r.ok);
    const sorted = ok.map((r) => r.ms).sort((a, b) => a - b);
    console.log(
      `\n${results.length.toLocaleString('en')} logins in ${seconds.toFixed(1)} s: ${(ok.length / seconds).toFixed(1)} logins/s; failed ${failed.length}`,
    );
    console.log(
      `latency ms (connect to LOGIN OK): p50 ${pct(sorted, 50).toFixed(1)}  p90 ${pct(sorted, 90).toFixed(1)}  p99 ${pct(sorted, 99).toFixed(1)}  max ${pct(sorted, 100).toFixed(1)}`,
    );
    if (failed.length) {
      const kinds = new Map<string, number>();
      for (const f of failed) kinds.set(f.reply.slice(0, 100), (kinds.get(f.reply.slice(0, 100)) ?? 0) + 1);
      console.log(`failures: ${[...kinds].map(([k, v]) => `${v} x "${k}"`).join(', ')}`);
    }
    const perLogin = [...cpuAfter]
      .map(([k, v]) => [k, (v - (cpuBefore.get(k) ?? 0)) / Math.max(results.length, 1)] as const)
      .filter(([, v]) => v >= 0.05)
      .sort((a, b) => b[1] - a[1]);
    const dovecotTotal = perLogin.reduce((a, [, v]) => a + v, 0);
    console.log(
      `Dovecot CPU per login: ${dovecotTotal.toFixed(1)} ms (${perLogin.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}); ` +
        `whole machine ${(machineMs / results.length).toFixed(1)} ms per login, ${(machineMs / 1000 / seconds).toFixed(2)} of ${os.cpus().length} cores busy`,
    );
    console.log(
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} at the end (argon2id m=19456 KiB, t=2 per login, on ${os.cpus().length} cores)`,
    );

    // The exact queries Dovecot ran, from the rendered config it read, and Postfix's lookups.
    const q = await mailQueryTemplates({ dovecot: path.join(stack.dir, 'dovecot'), postfix: path.join(stack.dir, 'postfix') });
    const address = addresses[1];
    console.log(`\nEXPLAIN (ANALYZE, BUFFERS) as role mailpanel_mail, for ${address} (service imap, local port ${stack.ports.imap}):`);
    const client = new pg.Client({ connectionString: bench.url });
    await client.connect();
    let allIndexed = true;
    try {
      const role = await client.query(`SELECT 1 FROM pg_roles WHERE rolname = 'mailpanel_mail'`);
      if (role.rowCount) await client.query('SET ROLE mailpanel_mail');
      for (const l of mailLookups(q, address, { service: 'imap', lport: stack.ports.imap })) {
        const x = await explainQuery(client, l.sql);
        const table = l.name.endsWith('domains') ? 'domains' : 'mailboxes';
        const indexed = indexedOn(x.scans, table);
        allIndexed &&= indexed;
        console.log(
          `  ${l.name.padEnd(27)} ${(x.planningMs + x.executionMs).toFixed(2).padStart(6)} ms  index on ${table}: ${indexed ? 'yes' : 'NO'}  (${describeScans(x.scans)})`,
        );
        if (args.plans || !indexed || l.name === 'Dovecot password_query') {
          console.log(
            `    ${l.sql}\n${x.text
              .split('\n')
              .map((s) => `      ${s}`)
              .join('\n')}`,
          );
        }
      }
    } finally {
      await client.end();
    }
    const good = failed.length === 0 && results.length > 0 && allIndexed;
    console.log(`\n${good ? 'ok' : 'FAILED'}: ${failed.length} failed logins; lookups ${allIndexed ? 'all use' : 'do NOT all use'} an index`);
    process.exitCode = good ? 0 : 1;
  } finally {
    await cleanup();
    finished();
  }
}

await main();
