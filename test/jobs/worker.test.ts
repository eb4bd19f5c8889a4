import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanFanoutHandler } from '../../jobs/handlers/scan-fanout.js';
import { scanQueueName } from '../../jobs/queue/queues.js';
import { startWorkers } from '../../jobs/worker.js';
import { loadConfig } from '../../server/platform/config.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { writeMessage } from '../support/maildir.js';
import { until } from '../support/wait.js';

let t: TestApp;
let w: Tenants;
let rootA: string;
let rootB: string;
const logs: string[] = [];
const stops: (() => Promise<void>)[] = [];

function workerConfig(node: string, mailRoot: string) {
  return loadConfig({ DATABASE_URL: t.database.url, REDIS_PREFIX: t.config.redisPrefix, STORAGE_NODE: node, MAIL_ROOT: mailRoot, STALLED_MS: '1000' });
}

beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  rootA = mkdtempSync(path.join(os.tmpdir(), 'mp-node-local-'));
  rootB = mkdtempSync(path.join(os.tmpdir(), 'mp-node-n2-'));
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(c, _e, cb) {
        logs.push(String(c));
        cb();
      },
    }),
  );
  // Two scanners, one per storage node, each beside its own "disk".
  await t.db.updateTable('mailboxes').set({ node: 'n2' }).where('address', '=', w.B.mailbox.address).execute();
  const local = await startWorkers(workerConfig('local', rootA), t.db, logger, { maintenance: false });
  const n2 = await startWorkers(workerConfig('n2', rootB), t.db, logger, { maintenance: false });
  stops.push(local.stop, n2.stop);
});
afterAll(async () => {
  for (const stop of stops) await stop();
  await t.close();
  rmSync(rootA, { recursive: true, force: true });
  rmSync(rootB, { recursive: true, force: true });
});

const api = (method: 'GET' | 'POST' | 'PATCH', url: string, key: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: bearer(key), ...(payload && { payload }) });

async function usageWhen(address: string, key: string, done: (u: { usedBytes: number | null; scannedAt: string | null }) => boolean) {
  let u = (await api('GET', `/mailboxes/${address}/usage`, key)).json();
  for (let i = 0; i < 100 && !done(u); i++) {
    await new Promise((r) => setTimeout(r, 100));
    u = (await api('GET', `/mailboxes/${address}/usage`, key)).json();
  }
  return u;
}

describe('scanning on demand', () => {
  it('"scan now" measures the Maildir on disk and shows bytes, messages and level', async () => {
    const maildir = w.A.domain.name + '/info';
    writeMessage(rootA, maildir, 100_000);
    writeMessage(rootA, maildir, 50_000, '', 'new');
    writeMessage(rootA, maildir, 25_000, '.Sent');
    writeMessage(rootA, maildir, 999_999, '', 'tmp' as 'cur'); // tmp/ is never counted
    const res = await api('POST', `/mailboxes/${w.A.mailbox.address}/scan`, w.A.key);
    expect(res.statusCode).toBe(202);
    const u = await usageWhen(w.A.mailbox.address, w.A.key, (x) => x.usedBytes !== null);
    expect(u).toMatchObject({ usedBytes: 175_000, messages: 3, level: 'ok', quotaBytes: 524288000 });
  });

  it('changing the quota re-evaluates the level at once, without a rescan', async () => {
    const before = (await api('GET', `/mailboxes/${w.A.mailbox.address}/usage`, w.A.key)).json();
    await api('PATCH', `/mailboxes/${w.A.mailbox.address}`, w.A.key, { quotaBytes: 180_000 });
    const after = (await api('GET', `/mailboxes/${w.A.mailbox.address}/usage`, w.A.key)).json();
    expect(after).toMatchObject({ level: '95', scannedAt: before.scannedAt, percent: 97.2 });
    const stored = await t.db.selectFrom('mailbox_usage').select('level').executeTakeFirstOrThrow();
    expect(stored.level).toBe('95');
    await api('PATCH', `/mailboxes/${w.A.mailbox.address}`, w.A.key, { quotaBytes: 524288000 });
  });

  it("routes each mailbox to its own node's scanner", async () => {
    writeMessage(rootB, w.B.domain.name + '/info', 7_000);
    writeMessage(rootA, w.B.domain.name + '/info', 1_000_000); // on the wrong disk: must not be seen
    expect((await api('POST', `/mailboxes/${w.B.mailbox.address}/scan`, w.B.key)).statusCode).toBe(202);
    const u = await usageWhen(w.B.mailbox.address, w.B.key, (x) => x.usedBytes !== null);
    expect(u.usedBytes).toBe(7_000);
  });

  it('refuses and logs a stored maildir path that would leave MAIL_ROOT, without retrying', async () => {
    const d = await t.db.selectFrom('domains').select('id').where('name', '=', w.A.domain.name).executeTakeFirstOrThrow();
    const evil = await t.db
      .insertInto('mailboxes')
      .values({ domain_id: d.id, local_part: 'evil', address: `evil@${w.A.domain.name}`, password_hash: 'x', quota_bytes: 1_000_000, maildir: '../../etc' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await api('POST', `/mailboxes/evil@${w.A.domain.name}/scan`, w.A.key);
    for (let i = 0; i < 50 && !logs.some((l) => l.includes('maildir path refused')); i++) await new Promise((r) => setTimeout(r, 100));
    const line = logs.find((l) => l.includes('maildir path refused'));
    expect(JSON.parse(line!)).toMatchObject({ mailboxId: evil.id, code: 'bad_path' });
    const failed = await t.app.queues.get(scanQueueName('local')).getFailed();
    const job = failed.find((j) => j.data.mailboxId === evil.id)!;
    expect(job.attemptsMade).toBe(1);
    expect(await t.db.selectFrom('mailbox_usage').select('used_bytes').where('mailbox_id', '=', evil.id).executeTakeFirst()).toBeUndefined();
  });
});

describe('the periodic verification round', () => {
  it('walks each node in chunk jobs on the threaded walker: exact, and a chunk run again writes nothing newer', async () => {
    const extra = [];
    const d = await t.db.selectFrom('domains').select('id').where('name', '=', w.A.domain.name).executeTakeFirstOrThrow();
    for (const local of ['c1', 'c2', 'c3']) {
      // Inserted directly: nothing measures them but the round.
      const address = `${local}@${w.A.domain.name}`;
      await t.db
        .insertInto('mailboxes')
        .values({ domain_id: d.id, local_part: local, address, password_hash: 'x', quota_bytes: 1_000_000, maildir: `${w.A.domain.name}/${local}` })
        .execute();
      extra.push(address);
      writeMessage(rootA, `${w.A.domain.name}/${local}`, 1000 * extra.length);
      writeMessage(rootA, `${w.A.domain.name}/${local}`, 10, '.Trash');
    }
    const before = new Date();
    // A round has ended when its chunk jobs have (a chunk still active is not queued again by the next round).
    const roundDone = () =>
      until(
        'round done',
        async () => t.app.queues.get(scanQueueName('local')).getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
        (c) => Object.values(c).every((n) => n === 0),
      );
    // Two mailboxes a chunk, so the round takes several chunk jobs.
    const fanout = scanFanoutHandler(t.db, t.app.queues, 2);
    const result = (await fanout({ data: {}, updateProgress: async () => {} } as never)) as { chunks: number; mailboxes: number };
    expect(result.chunks).toBeGreaterThanOrEqual(3);
    for (const [i, address] of extra.entries()) {
      const u = await usageWhen(address, w.A.key, (x) => x.scannedAt !== null && new Date(x.scannedAt) >= before);
      expect(u.scannedAt).not.toBeNull();
      expect(u).toMatchObject({ usedBytes: 1000 * (i + 1) + 10, messages: 2, source: 'scan', diskBytes: 1000 * (i + 1) + 10 });
    }
    // A round over the unchanged tree only records that it verified: no new figure, sample or announcement.
    // (Directories written within a second of a scan are read again by the next one: let them settle first.)
    await roundDone();
    await new Promise((r) => setTimeout(r, 1100));
    const settled = await t.db.selectFrom('mailbox_usage').select(['disk_at']).orderBy('mailbox_id').execute();
    await fanout({ data: {}, updateProgress: async () => {} } as never);
    await until(
      'verified',
      async () => t.db.selectFrom('mailbox_usage').select(['disk_at']).orderBy('mailbox_id').execute(),
      (rows) => rows.every((r, i) => r.disk_at! > settled[i].disk_at!),
    );
    await roundDone();
    const samplesBefore = (
      await t.db
        .selectFrom('usage_samples')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n;
    const figuresBefore = await t.db.selectFrom('mailbox_usage').select(['mailbox_id', 'scanned_at', 'disk_at']).orderBy('mailbox_id').execute();
    await fanout({ data: {}, updateProgress: async () => {} } as never);
    const verified = await until(
      'verified',
      async () => t.db.selectFrom('mailbox_usage').select(['mailbox_id', 'scanned_at', 'disk_at']).orderBy('mailbox_id').execute(),
      (rows) => rows.every((r, i) => r.disk_at! > figuresBefore[i].disk_at!),
    );
    expect(verified.map((r) => r.scanned_at.getTime())).toEqual(figuresBefore.map((r) => r.scanned_at.getTime()));
    expect(
      (
        await t.db
          .selectFrom('usage_samples')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(samplesBefore);
    await roundDone();

    // The chunk handler again (a retried job): the stored figures are not older, nothing is replaced.
    const stored = await t.db.selectFrom('mailbox_usage').select(['mailbox_id', 'scanned_at']).execute();
    const chunk = await t.db
      .selectFrom('mailboxes')
      .select(({ fn }) => [fn.min('id').as('fromId'), fn.max('id').as('toId')])
      .where('node', '=', 'local')
      .executeTakeFirstOrThrow();
    await t.app.queues.enqueue('scan-chunk', { node: 'local', fromId: chunk.fromId, toId: chunk.toId }, { node: 'local' }, { deduplication: { id: 'again' } });
    await new Promise((r) => setTimeout(r, 1000));
    const after = await t.db.selectFrom('mailbox_usage').select(['mailbox_id', 'scanned_at']).execute();
    for (const a of after) {
      const b = stored.find((x) => x.mailbox_id === a.mailbox_id);
      if (b) expect(a.scanned_at.getTime()).toBeGreaterThanOrEqual(b.scanned_at.getTime());
    }
  });

  it('a new mailbox is measured at once, not at the next round', async () => {
    const res = await api('POST', `/domains/${w.A.domain.name}/mailboxes`, w.A.key, { localPart: 'fresh', password: 'a long mailbox password' });
    expect(res.statusCode).toBe(201);
    const u = await usageWhen(res.json().address, w.A.key, (x) => x.scannedAt !== null);
    expect(u).toMatchObject({ usedBytes: 0, messages: 0, level: 'ok' });
  });

  it('two schedules firing at once enqueue each chunk once', async () => {
    // A node without a scanner keeps the jobs waiting, so they can be counted.
    await t.db.updateTable('mailboxes').set({ node: 'idle' }).execute();
    const fanout = scanFanoutHandler(t.db, t.app.queues, 3);
    const job = { data: {}, updateProgress: async () => {} } as never;
    await Promise.all([fanout(job), fanout(job)]);
    const queue = t.app.queues.get(scanQueueName('idle'));
    const waiting = await queue.getWaiting(0, 1000);
    const mailboxes = (await t.db.selectFrom('mailboxes').select('id').orderBy('id').execute()).map((m) => m.id);
    expect(waiting).toHaveLength(Math.ceil(mailboxes.length / 3));
    const covered = waiting.flatMap((j) => mailboxes.filter((id) => id >= j.data.fromId && id <= j.data.toId));
    expect(covered.sort((a, b) => a - b)).toEqual(mailboxes);
    for (const j of waiting) expect(j.data.node).toBe('idle');
    await queue.obliterate({ force: true });
  });
});
