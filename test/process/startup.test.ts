import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_URL, RUN_PREFIX, runId, urlFor } from '../support/db-names.js';
import { runScript, startScript } from '../support/process.js';
import { testRedisPrefix } from '../support/database.js';

const created: string[] = [];
const freshDbName = () => {
  const name = `${RUN_PREFIX}${runId()}_${randomBytes(4).toString('hex')}`;
  created.push(name);
  return name;
};
afterAll(async () => {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  for (const name of created) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

describe('starting mailpanel', () => {
  it('lists every configuration error and exits non-zero', async () => {
    const r = await runScript('server/main.ts', [], { PORT: 'x', ROLES: 'web,nope', DATABASE_URL: 'mysql://h/db' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PORT');
    expect(r.stderr).toContain('nope');
    expect(r.stderr).toContain('DATABASE_URL');
  });

  it('says in one line that PostgreSQL cannot be reached, naming the address', async () => {
    const port = await freePort();
    const r = await runScript('server/main.ts', [], { DATABASE_URL: `postgres://u:secret@127.0.0.1:${port}/mp`, PORT: String(await freePort()) });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`cannot reach PostgreSQL at postgres://127.0.0.1:${port}/mp`);
    expect(r.stderr).not.toContain('secret');
  });

  it('says in one line that Redis cannot be reached, naming the address', async () => {
    const port = await freePort();
    const r = await runScript('server/main.ts', [], {
      DATABASE_URL: urlFor(freshDbName()),
      REDIS_URL: `redis://127.0.0.1:${port}`,
      PORT: String(await freePort()),
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`cannot reach Redis at redis://127.0.0.1:${port}`);
  });

  it('creates the database, migrates, prints a setup link and serves the panel', async () => {
    const port = await freePort();
    const app = startScript(
      'server/main.ts',
      {
        DATABASE_URL: urlFor(freshDbName()),
        PORT: String(port),
        ROLES: 'web',
        REDIS_PREFIX: testRedisPrefix(),
        SMTP_URL: 'smtp://127.0.0.1:1',
        NOTICE_LMTP_URL: 'lmtp://127.0.0.1:1',
      },
      // Logged right after listening (the last of them): what the first start must say out loud.
      /notice listener does not answer/,
    );
    try {
      await app.started;
      const link = /(http:\/\/127\.0\.0\.1:\d+\/setup\/\S+)/.exec(app.output())?.[1];
      expect(link).toBeTruthy();
      const setup = await fetch(link!);
      expect(setup.status).toBe(200);
      expect(await setup.text()).toContain('Create the operator account');
      const login = await fetch(`http://127.0.0.1:${port}/login`);
      expect(login.status).toBe(200);
      const out = app.output();
      expect(out.match(/listening/g)).toHaveLength(1);
      expect(out).toContain('mail client settings in the panel name this host');
      expect(out).toContain('the SMTP relay does not answer');
      // Requests are logged at debug: the setup link is not buried under them.
      expect(out).not.toContain('incoming request');
      expect(out).not.toContain('request completed');
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });

  it('runs the policy role alone, with its metrics on a local port', async () => {
    const [policyPort, metricsPort] = [await freePort(), await freePort()];
    const app = startScript(
      'server/main.ts',
      { DATABASE_URL: urlFor(freshDbName()), ROLES: 'policy', POLICY_PORT: String(policyPort), METRICS_PORT: String(metricsPort) },
      /metrics on/,
    );
    try {
      await app.started;
      expect(app.output()).toContain(`policy service listening on 127.0.0.1:${policyPort}`);
      expect(app.output()).not.toContain('panel listening');
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toContain('mailpanel_policy_decisions_total');
    } finally {
      expect(await app.stop()).toBe(0);
    }
  });

  it('migrates exactly once when four processes start at once', async () => {
    const url = urlFor(freshDbName());
    const results = await Promise.all([1, 2, 3, 4].map(() => runScript('server/cli/main.ts', ['migrate'], { DATABASE_URL: url })));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const rows = await client.query('SELECT name FROM kysely_migration');
    await client.end();
    const { migrations } = await import('../../db/migrations/index.js');
    expect(rows.rows.map((r) => r.name)).toEqual(Object.keys(migrations));
    expect(results.filter((r) => /applied \d+ migration/.test(r.stdout))).toHaveLength(1);
  });

  it('with MIGRATE_ON_START=false refuses an unmigrated database, and starts once `cli migrate` has run', async () => {
    const name = freshDbName();
    const env = { DATABASE_URL: urlFor(name), PORT: String(await freePort()), ROLES: 'web', REDIS_PREFIX: testRedisPrefix(), MIGRATE_ON_START: 'false' };
    // The database exists but is empty: nothing may be created in it by the start.
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const refused = await runScript('server/main.ts', [], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('npm run cli -- migrate');
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      const tables = await client.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`);
      expect(tables.rows[0].n).toBe(0);
      const migrated = await runScript('server/cli/main.ts', ['migrate'], { DATABASE_URL: env.DATABASE_URL });
      expect(migrated.stdout).toMatch(/applied \d+ migration/);
      const app = startScript('server/main.ts', env, /panel listening/);
      try {
        await app.started;
      } finally {
        expect(await app.stop()).toBe(0);
      }
    } finally {
      await client.end();
    }
  });
});

describe('the operator command line', () => {
  it('lists its commands', async () => {
    const r = await runScript('server/cli/main.ts', ['help'], {});
    expect(r.code).toBe(0);
    for (const c of ['reseller:create', 'operator:create', 'migrate']) expect(r.stdout).toContain(c);
  });

  it('creates a reseller and prints its working API key alone on the last line', async () => {
    const url = urlFor(freshDbName());
    const r = await runScript('server/cli/main.ts', ['reseller:create', '--name', 'Acme Hosting'], { DATABASE_URL: url });
    expect(r.code, r.stderr).toBe(0);
    const last = r.stdout.trim().split('\n').pop()!;
    expect(last).toMatch(/^mp_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const keys = await client.query('SELECT k.prefix, r.name FROM api_keys k JOIN resellers r ON r.id = k.reseller_id');
    await client.end();
    expect(keys.rows).toEqual([{ prefix: last.slice(3, 15), name: 'Acme Hosting' }]);
  });

  it('creates an operator from a password on standard input, refusing a weak one', async () => {
    const url = urlFor(freshDbName());
    const weak = await runScript('server/cli/main.ts', ['operator:create', '--email', 'ops@example.com'], { DATABASE_URL: url }, 'short\n');
    expect(weak.code).toBe(1);
    expect(weak.stderr).toContain('at least');
    const ok = await runScript('server/cli/main.ts', ['operator:create', '--email', 'ops@example.com'], { DATABASE_URL: url }, 'a strong password\n');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).not.toContain('a strong password');
  });
});
