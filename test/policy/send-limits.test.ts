// The send limits of the policy service against the real Redis (and none: SEND_LIMITS_REDIS_DOWN), over
// its wire protocol as Postfix's submission service speaks it: sliding windows to the millisecond, a
// message counted once however many recipients, parallel sessions never beyond the limit.
import net from 'node:net';
import { sql } from 'kysely';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../../server/platform/redis.js';
import { PolicyClient } from '../../server/policy/client.js';
import { silentLogger } from '../../server/policy/logger.js';
import { type Breach, SendCounter } from '../../server/policy/send-limits.js';
import { startPolicyServer, type PolicyServer } from '../../server/policy/server.js';
import { OPERATOR_SYSTEM } from '../../server/services/auth/principal.js';
import { createMailbox, updateMailbox } from '../../server/services/mailboxes/service.js';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from '../support/database.js';
import { startRedis } from '../support/redis-server.js';
import { until } from '../support/wait.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const SENDER = 'limited@delta.test';
const BUSY = 'busy@delta.test';
let tdb: TestDatabase;
const redises: Redis[] = [];
const services: PolicyServer[] = [];
let n = 0;

/** A recipient check from submission: an authenticated sender, a message (`instance`) and a recipient. */
const rcpt = (instance: string, recipient = 'someone@outside.test', sasl = SENDER) => ({
  request: 'smtpd_access_policy',
  protocol_state: 'RCPT',
  sasl_username: sasl,
  instance,
  recipient,
  sender: sasl,
  size: 0,
});
const message = () => `msg.${++n}`;
/** Keeps Redis busy for 50 ms. */
const STALL = `local s = redis.call('TIME') local t0 = s[1] * 1000000 + s[2]
while true do local t = redis.call('TIME') if t[1] * 1000000 + t[2] - t0 > 50000 then break end end
return 1`;

async function service(redisUrl: string, opts: { redisDown: 'open' | 'closed'; now?: () => number; breaches?: Breach[]; prefix?: string }) {
  const redis = createRedis(redisUrl, { commandTimeoutMs: 200 });
  redis.connect().catch(() => {});
  redises.push(redis);
  const s = await startPolicyServer({
    db: tdb.db,
    databaseUrl: tdb.url,
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger,
    sendLimits: {
      redis,
      prefix: opts.prefix ?? testRedisPrefix(),
      redisDown: opts.redisDown,
      onBreach: async (b) => void opts.breaches?.push(b),
      now: opts.now,
    },
  });
  services.push(s);
  await until(
    'policy cache',
    async () => s.cache.get(SENDER)?.sendLimits.perHour,
    (v) => v === 2,
  );
  return s;
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  const r = await sql<{ id: number }>`INSERT INTO resellers (name) VALUES ('reseller') RETURNING id`.execute(tdb.db);
  const c = await sql<{
    id: number;
  }>`INSERT INTO customers (reseller_id, name, contact_email) VALUES (${r.rows[0].id}, 'customer', 'owner@outside.test') RETURNING id`.execute(tdb.db);
  await sql`INSERT INTO domains (customer_id, name) VALUES (${c.rows[0].id}, 'delta.test')`.execute(tdb.db);
  await createMailbox(tdb.db, OPERATOR_SYSTEM, 'delta.test', { localPart: 'limited', password: 'a long password 123' }, 10);
  await updateMailbox(tdb.db, OPERATOR_SYSTEM, SENDER, { sendLimits: { perHour: 2, perDay: 3, recipientsPerMessage: 2 } }, 10);
  await createMailbox(tdb.db, OPERATOR_SYSTEM, 'delta.test', { localPart: 'busy', password: 'a long password 123' }, 10);
  await updateMailbox(tdb.db, OPERATOR_SYSTEM, BUSY, { sendLimits: { perHour: 20, perDay: 1000, recipientsPerMessage: null } }, 10);
}, 60_000);
afterAll(async () => {
  for (const s of services) await s.close();
  for (const r of redises) r.disconnect();
  await tdb?.drop();
});

describe('send limits in the policy service', () => {
  it('counts over sliding windows to the millisecond: an hour after a message its place is free, not at the top of the hour', async () => {
    let now = Date.UTC(2026, 11, 5, 10, 59, 0);
    const t0 = now;
    const breaches: Breach[] = [];
    const s = await service('redis://127.0.0.1:6379', { redisDown: 'closed', now: () => now, breaches });
    const c = await PolicyClient.connect('127.0.0.1', s.port);
    expect(await c.request(rcpt(message()))).toBe('DUNNO');
    now = t0 + 10 * MIN; // 11:09, across the clock's hour: a fixed window would start afresh here
    expect(await c.request(rcpt(message()))).toBe('DUNNO');
    now = t0 + HOUR - 1;
    expect(await c.request(rcpt(message()))).toMatch(/^450 4\.7\.1 Sending limit reached: this mailbox may send 2 messages an hour/);
    now = t0 + HOUR + 1;
    expect(await c.request(rcpt(message()))).toBe('DUNNO');
    // Three in the last day (perDay 3), whatever the hour says.
    now = t0 + 3 * HOUR;
    expect(await c.request(rcpt(message()))).toMatch(/^450 4\.7\.1 Sending limit reached: this mailbox may send 3 messages a day/);
    now = t0 + 24 * HOUR + 1;
    expect(await c.request(rcpt(message()))).toBe('DUNNO');
    // Reported once per kind and hour (the first of each), for the worker to keep and tell.
    await until(
      'breaches reported',
      async () => breaches.map((b) => b.kind),
      (k) => k.length === 2,
    );
    expect(breaches.map((b) => b.kind)).toEqual(['perHour', 'perDay']);
    c.close();
  });

  it('counts a message once however many recipients it has, answers pipelined checks in order, and leaves mail from outside alone', async () => {
    let now = Date.UTC(2026, 11, 6, 8, 0, 0);
    // Each look at the clock is a second later, as recipients of one message come one after another.
    const s = await service('redis://127.0.0.1:6379', { redisDown: 'closed', now: () => (now += 1000) });
    const c = await PolicyClient.connect('127.0.0.1', s.port);
    const first = message();
    // Postfix may pipeline: the three answers come in order; the third recipient is over recipientsPerMessage (2).
    const answers = await Promise.all([
      c.request(rcpt(first, 'a@outside.test')),
      c.request(rcpt(first, 'b@outside.test')),
      c.request(rcpt(first, 'c@outside.test')),
    ]);
    expect(answers[0]).toBe('DUNNO');
    expect(answers[1]).toBe('DUNNO');
    expect(answers[2]).toMatch(/^452 4\.5\.3 Too many recipients: this mailbox may send a message to 2 recipients at most/);
    now += MIN;
    expect(await c.request(rcpt(message()))).toBe('DUNNO');
    // Two messages so far: the third is deferred, and each of its recipients gets the same answer.
    const third = message();
    expect(await c.request(rcpt(third))).toMatch(/^450 /);
    expect(await c.request(rcpt(third, 'b@outside.test'))).toMatch(/^450 /);
    // A transaction asked about again on a new connection (Postfix reconnected) is not counted again.
    const again = await PolicyClient.connect('127.0.0.1', s.port);
    expect(await again.request(rcpt(third))).toMatch(/^450 /);
    again.close();
    // Mail from outside (no SASL login) to anyone is not the sender's: never counted, never limited.
    for (let i = 0; i < 5; i++) expect(await c.request({ ...rcpt(message()), sasl_username: '' })).toBe('DUNNO');
    // Another login than the limited mailbox's is not held by its limits.
    expect(await c.request(rcpt(message(), 'a@outside.test', 'nobody@delta.test'))).toBe('DUNNO');
    expect(s.counters.limit).toBe(4);
    c.close();
  });

  it('answers a sender well below its limits at once, yet stops it exactly at the limit, every message counted in Redis', async () => {
    const prefix = testRedisPrefix();
    const redis = createRedis('redis://127.0.0.1:6379');
    await redis.connect();
    redises.push(redis);
    const s = await service('redis://127.0.0.1:6379', { redisDown: 'closed', prefix });
    const c = await PolicyClient.connect('127.0.0.1', s.port);
    // The first waits for Redis; the next ones, sent together, are answered from what it said.
    expect(await c.request(rcpt(message(), 'a@outside.test', BUSY))).toBe('DUNNO');
    const answers = ['DUNNO', ...(await Promise.all(Array.from({ length: 29 }, () => c.request(rcpt(message(), 'a@outside.test', BUSY)))))];
    // perHour 20: twenty go through, the rest are deferred, however fast they came.
    expect(answers.slice(0, 20).every((a) => a === 'DUNNO')).toBe(true);
    expect(answers.slice(20).every((a) => a.startsWith('450 4.7.1 '))).toBe(true);
    const id = s.cache.get(BUSY)!.id;
    await until(
      'all counted',
      async () => redis.zcard(`${prefix}:send:${id}`),
      (n) => n === 20,
    );
    c.close();
  });

  it('holds the limit when Redis answers late: counts sent and not yet answered hold places too', async () => {
    // A Redis of our own, kept busy by another client (a script that runs 50 ms) right after the first
    // count: the next four wait behind it while the first one's answer already says "well below".
    const own = await startRedis({ persistent: false });
    const r = createRedis(own.url, { commandTimeoutMs: 1000 });
    const other = createRedis(own.url);
    try {
      await Promise.all([r.connect(), other.connect()]);
      const counter = new SendCounter(r, testRedisPrefix());
      const limits = { perHour: 10, perDay: null, recipientsPerMessage: null };
      // The race depends on when Redis reads what: four mailboxes, one after the other, each exactly 10.
      for (const mailboxId of [1, 2, 3, 4]) {
        const answers: Promise<boolean>[] = [];
        const take = () => answers.push(Promise.resolve(counter.reserve(mailboxId, limits, message(), Date.now())).then((x) => x.ok));
        take();
        setImmediate(() => {
          void other.eval(STALL, 0);
          setImmediate(() => {
            for (let i = 0; i < 4; i++) take();
          });
        });
        await new Promise((done) => setTimeout(done, 20));
        for (let i = 0; i < 8; i++) take();
        await new Promise((done) => setTimeout(done, 150));
        for (let i = 0; i < 4; i++) take();
        expect((await Promise.all(answers)).filter(Boolean).length, `mailbox ${mailboxId}`).toBe(10);
      }
    } finally {
      r.disconnect();
      other.disconnect();
      await own.kill();
      own.cleanup();
    }
  });

  it('trims what left the day window now and then, without it ever counting; a batch that does not parse changes nothing', async () => {
    const r = createRedis('redis://127.0.0.1:6379');
    await r.connect();
    try {
      const prefix = testRedisPrefix();
      const counter = new SendCounter(r, prefix);
      const limits = { perHour: null, perDay: 20, recipientsPerMessage: null };
      const key = `${prefix}:send:7`;
      const t0 = Date.UTC(2026, 11, 5, 10, 0, 0);
      for (let i = 0; i < 5; i++) expect(await counter.reserve(7, limits, `old.${i}`, t0 + i)).toEqual({ ok: true });
      // A day later the five are out of the window: not counted, though still stored until a trim.
      const later = t0 + 24 * HOUR + 100;
      for (let i = 0; i < 16; i++) expect(await counter.reserve(7, limits, `new.${i}`, later + i)).toEqual({ ok: true });
      // (Answered at once, the last ones are counted with the next batch, a few ms later.)
      await until(
        'the old five trimmed, the sixteen new counted',
        () => r.zcard(key),
        (n) => n === 16,
      );
      // A line that does not parse: the whole batch is refused before anything is written.
      const reserve = (r as unknown as { sendReserve(n: number, ...a: string[]): Promise<number[]> }).sendReserve.bind(r);
      await expect(reserve(2, key, `${prefix}:send:8`, `${later + 20} 0 20 0 a\nnot a number 0 20 0 b`)).rejects.toThrow(/entry 2 does not parse/);
      expect(await r.zcard(key)).toBe(16);
      expect(await r.exists(`${prefix}:send:8`)).toBe(0);
    } finally {
      r.disconnect();
    }
  });

  it('never lets parallel sessions of one mailbox past the limit together', async () => {
    const s = await service('redis://127.0.0.1:6379', { redisDown: 'closed' });
    const clients = await Promise.all(Array.from({ length: 6 }, () => PolicyClient.connect('127.0.0.1', s.port)));
    const answers = await Promise.all(clients.map((c) => c.request(rcpt(message()))));
    expect(answers.filter((a) => a === 'DUNNO')).toHaveLength(2);
    expect(answers.filter((a) => a.startsWith('450 '))).toHaveLength(4);
    for (const c of clients) c.close();
  });

  it('with Redis away answers within the timeout: SEND_LIMITS_REDIS_DOWN=open lets mail through uncounted, closed defers it', async () => {
    const closed = await closedPort();
    const open = await service(`redis://127.0.0.1:${closed}`, { redisDown: 'open' });
    const shut = await service(`redis://127.0.0.1:${closed}`, { redisDown: 'closed' });
    const a = await PolicyClient.connect('127.0.0.1', open.port);
    const b = await PolicyClient.connect('127.0.0.1', shut.port);
    const started = performance.now();
    expect(await a.request(rcpt(message()))).toBe('DUNNO');
    expect(await b.request(rcpt(message()))).toBe('451 4.3.0 Sending limits cannot be checked right now; try again in a few minutes');
    expect(performance.now() - started).toBeLessThan(2000);
    // The recipient limit needs no Redis and holds either way.
    const m = message();
    await a.request(rcpt(m, 'a@outside.test'));
    await a.request(rcpt(m, 'b@outside.test'));
    expect(await a.request(rcpt(m, 'c@outside.test'))).toMatch(/^452 /);
    a.close();
    b.close();
  });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
