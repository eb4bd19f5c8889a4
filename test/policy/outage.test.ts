import net from 'node:net';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/database.js';
import { PolicyClient } from '../../server/policy/client.js';
import type { PolicyLogger } from '../../server/policy/logger.js';
import { startPolicyServer, type PolicyServer } from '../../server/policy/server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { ADMIN_URL } from '../support/db-names.js';

// Without a trustworthy cache the service must defer within its deadline: never reject, never hang.

const DEFER = 'DEFER_IF_PERMIT Service temporarily unavailable';
const FULL = '552 5.2.2 Mailbox full';
const DEADLINE = 300;

const rcpt = (recipient: string, state = 'RCPT') => ({ request: 'smtpd_access_policy', protocol_state: state, recipient, size: 0 });

function recorder(entries: { level: string; msg: string }[]): PolicyLogger {
  const at = (level: string) => (_obj: object, msg: string) => void entries.push({ level, msg });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work;
  return { value, ms: performance.now() - started };
}

/** A port nothing listens on: bound by us, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('database unreachable from the start', () => {
  let service: PolicyServer;
  const log: { level: string; msg: string }[] = [];
  const url = async () => `postgres://postgres@127.0.0.1:${await closedPort()}/mailpanel`;

  beforeAll(async () => {
    const databaseUrl = await url();
    service = await startPolicyServer({ db: createDb(databaseUrl, 1), databaseUrl, host: '127.0.0.1', port: 0, logger: recorder(log), deadlineMs: DEADLINE });
  });
  afterAll(() => service?.close());

  it('still listens, and defers recipient checks once the deadline passes', async () => {
    const c = await PolicyClient.connect('127.0.0.1', service.port);
    const { value, ms } = await timed(c.request(rcpt('full@example.test')));
    expect(value).toBe(DEFER);
    expect(ms).toBeGreaterThanOrEqual(DEADLINE - 20);
    expect(ms).toBeLessThan(DEADLINE + 400);
    c.close();
  });

  it('answers other protocol states at once, without waiting for the database', async () => {
    const c = await PolicyClient.connect('127.0.0.1', service.port);
    const { value, ms } = await timed(c.request(rcpt('full@example.test', 'MAIL')));
    expect(value).toBe('DUNNO');
    expect(ms).toBeLessThan(100);
    c.close();
  });

  it('defers pipelined requests together, each within the deadline and in order', async () => {
    const c = await PolicyClient.connect('127.0.0.1', service.port);
    const { value, ms } = await timed(
      Promise.all([c.request(rcpt('a@example.test')), c.request(rcpt('b@example.test', 'DATA')), c.request(rcpt('c@example.test'))]),
    );
    expect(value).toEqual([DEFER, 'DUNNO', DEFER]);
    expect(ms).toBeLessThan(DEADLINE + 400);
    c.close();
  });

  it('counts the deferrals and logs the outage', () => {
    expect(service.counters.defer).toBeGreaterThanOrEqual(3);
    expect(service.counters.reject).toBe(0);
    expect(log.some((e) => e.level === 'warn' && /database unavailable/.test(e.msg))).toBe(true);
  });
});

describe('database connection lost while serving', () => {
  let t: TestDatabase;
  let service: PolicyServer;
  const log: { level: string; msg: string }[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    const reseller = await t.db.insertInto('resellers').values({ name: 'r', contact_email: null }).returning('id').executeTakeFirstOrThrow();
    const customer = await t.db
      .insertInto('customers')
      .values({ reseller_id: reseller.id, plan_id: null, name: 'c', contact_email: 'c@x.test' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const domain = await t.db.insertInto('domains').values({ customer_id: customer.id, name: 'example.test' }).returning('id').executeTakeFirstOrThrow();
    for (const [local, used] of [
      ['full', 1000],
      ['later', 0],
    ] as const) {
      const m = await t.db
        .insertInto('mailboxes')
        .values({
          domain_id: domain.id,
          local_part: local,
          address: `${local}@example.test`,
          password_hash: 'x',
          quota_bytes: 1000,
          maildir: `example.test/${local}`,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await t.db
        .insertInto('mailbox_usage')
        .values({ mailbox_id: m.id, used_bytes: used, messages: 1, scanned_at: new Date(), level: used >= 1000 ? 'full' : 'ok' })
        .execute();
    }
    service = await startPolicyServer({
      db: t.db,
      databaseUrl: t.url,
      host: '127.0.0.1',
      port: 0,
      logger: recorder(log),
      deadlineMs: DEADLINE,
      // A slow first retry leaves a window in which the service knows it may have missed changes.
      sync: { backoffMs: { initial: 1500, max: 1500 } },
    });
    expect(await service.cache.whenFresh(10_000)).toBe(true);
  });
  afterAll(async () => {
    await service?.close();
    await t?.drop();
  });

  it('defers (never rejects) while reconnecting, then catches up on changes it could not hear about', async () => {
    const c = await PolicyClient.connect('127.0.0.1', service.port);
    expect(await c.request(rcpt('full@example.test'))).toBe(FULL);
    expect(await c.request(rcpt('later@example.test'))).toBe('DUNNO');

    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    try {
      const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'mailpanel-policy'`, [
        t.name,
      ]);
      expect(killed.rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    const until = Date.now() + 2000;
    while (service.cache.state === 'fresh' && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    expect(service.cache.state).toBe('stale');

    // Made while nobody listens: no notification will ever arrive for it.
    await sql`UPDATE mailbox_usage SET used_bytes = 1000, level = 'full' WHERE mailbox_id = (SELECT id FROM mailboxes WHERE address = 'later@example.test')`.execute(
      t.db,
    );

    const { value, ms } = await timed(c.request(rcpt('full@example.test')));
    expect(value).toBe(DEFER);
    expect(ms).toBeLessThan(DEADLINE + 400);
    expect(await c.request(rcpt('full@example.test', 'MAIL'))).toBe('DUNNO');

    expect(await service.cache.whenFresh(10_000)).toBe(true);
    expect(await c.request(rcpt('later@example.test'))).toBe(FULL);
    expect(await c.request(rcpt('full@example.test'))).toBe(FULL);
    expect(log.filter((e) => e.msg === 'policy cache loaded')).toHaveLength(2);
    c.close();
  });
});
