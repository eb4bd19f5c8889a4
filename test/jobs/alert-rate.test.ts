// 5,000 mailboxes cross a warning line at once: the warnings drain at the configured rate.
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateAndQueue } from '../../server/services/alerts/evaluate.js';
import { startWorkers } from '../../jobs/worker.js';
import { loadConfig } from '../../server/platform/config.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { seedTenants } from '../support/fixtures.js';
import { startSink } from '../support/smtp-sink.js';

const CROSSINGS = 5000;
const PER_MINUTE = 12_000; // 200 a second
let t: TestApp;
let sink: Awaited<ReturnType<typeof startSink>>;
let stop: () => Promise<void>;

beforeAll(async () => {
  t = await createTestApp();
  const w = await seedTenants(t.db);
  const plan = await t.db
    .insertInto('plans')
    .values({ reseller_id: w.A.reseller.id, name: 'contact only', alert_recipients: ['contact'] })
    .returning('id')
    .executeTakeFirstOrThrow();
  await t.db.updateTable('customers').set({ plan_id: plan.id }).where('id', '=', w.A.customer.id).execute();
  const d = await t.db.selectFrom('domains').select('id').where('name', '=', w.A.domain.name).executeTakeFirstOrThrow();
  await sql`INSERT INTO mailboxes (domain_id, local_part, address, password_hash, quota_bytes, maildir, node)
            SELECT ${d.id}, 'm' || i, 'm' || i || '@' || ${w.A.domain.name}, 'x', 1000000, ${w.A.domain.name} || '/m' || i, 'elsewhere' FROM generate_series(1, ${CROSSINGS}) i`.execute(
    t.db,
  );
  await sql`INSERT INTO mailbox_usage (mailbox_id, used_bytes, messages, scanned_at, level)
            SELECT id, 850000, 1, now(), '80' FROM mailboxes WHERE local_part LIKE 'm%'`.execute(t.db);
  sink = await startSink();
  const config = loadConfig({
    DATABASE_URL: t.database.url,
    REDIS_PREFIX: t.config.redisPrefix,
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    // Notices to the mailbox too go to this sink, not to Dovecot's notice listener.
    NOTICE_LMTP_URL: 'none',
    ALERT_RATE_PER_MINUTE: String(PER_MINUTE),
  });
  const workers = await startWorkers(
    config,
    t.db,
    pino(
      { level: 'silent' },
      new Writable({
        write(_c, _e, cb) {
          cb();
        },
      }),
    ),
    { maintenance: true },
  );
  stop = workers.stop;
}, 120_000);
afterAll(async () => {
  await stop?.();
  await sink?.close();
  await t?.close();
});

describe('a burst of crossings', () => {
  it(`${CROSSINGS} warnings at once reach the relay at no more than ${PER_MINUTE / 60} a second, all of them, once`, { timeout: 180_000 }, async () => {
    const ids = (await t.db.selectFrom('mailboxes').select('id').where('local_part', 'like', 'm%').execute()).map((r) => r.id);
    let deliveries = 0;
    for (let i = 0; i < ids.length; i += 1000) deliveries += (await evaluateAndQueue(t.db, t.app.queues, ids.slice(i, i + 1000))).length;
    expect(deliveries).toBe(CROSSINGS);
    const started = Date.now();
    while (sink.received.length < CROSSINGS) {
      if (Date.now() - started > 120_000) throw new Error(`only ${sink.received.length} arrived`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = (sink.received.at(-1)!.at - sink.received[0].at) / 1000;
    // The limiter counts in its own one-second windows, which do not line up with wall seconds: any
    // 5-second stretch touches at most 6 of them. So the pace is checked per stretch, and on average.
    const times = sink.received.map((m) => m.at).sort((a, b) => a - b);
    let busiest = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i] - times[j] >= 5000) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    const perSecond = PER_MINUTE / 60;
    console.log(`${CROSSINGS} warnings in ${seconds.toFixed(1)} s (${(CROSSINGS / seconds).toFixed(0)}/s), busiest 5 s: ${busiest}`);
    expect(busiest).toBeLessThanOrEqual(6 * perSecond);
    expect(CROSSINGS / seconds).toBeLessThanOrEqual(perSecond * 1.05);
    const ids2 = sink.received.map((m) => /Message-ID: (<[^>]+>)/i.exec(m.raw)?.[1]);
    expect(new Set(ids2).size).toBe(CROSSINGS);
  });
});
