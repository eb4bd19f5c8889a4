import { english } from '../../server/core/message.js';
import { Writable } from 'node:stream';
import { type Job, Worker } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queues } from '../../jobs/queue/queues.js';
import { verifyPassword } from '../../server/platform/passwords.js';
import { principalFromSession } from '../../server/services/auth/sessions.js';
import { createRedis } from '../../server/platform/redis.js';
import { parseCsv } from '../../server/core/imports/csv.js';
import { IMPORTS_QUEUE } from '../../jobs/queue/registry.js';
import { type ImportJobData, type ImportProgress, importMailboxesHandler } from '../../jobs/handlers/import-mailboxes.js';
import { prepareImport, startImport } from '../../server/services/imports/service.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';
import { upload } from './helpers.js';

let t: TestApp;
let w: Tenants;
let customer: PanelClient;
let worker: Worker;
let workerRedis: ReturnType<typeof createRedis>;
let idle: Queues;
const workerLogs: string[] = [];
const progress: ImportProgress[] = [];
const MB = 1024 * 1024;

beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  customer = new PanelClient(t.app);
  await customer.login(w.A.customerUser.email);
  // The worker jobs/worker.ts will run for the imports queue, started here on this file's Redis prefix.
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(c, _e, cb) {
        workerLogs.push(String(c));
        cb();
      },
    }),
  );
  const handler = importMailboxesHandler({ db: t.db, minPasswordLength: t.config.minPasswordLength, logger, progressEvery: 10 });
  workerRedis = createRedis(t.config.redisUrl, { forWorker: true });
  worker = new Worker(IMPORTS_QUEUE, (job: Job<ImportJobData>) => handler(job), { connection: workerRedis, prefix: t.config.redisPrefix, concurrency: 1 });
  worker.on('progress', (_job, p) => progress.push(p as ImportProgress));
  // Imports queued here wait: no worker reads this prefix, so a test can run the handler itself.
  idle = new Queues(t.app.redis, `${t.config.redisPrefix}-idle`);
});
afterAll(async () => {
  await worker.close();
  workerRedis.disconnect();
  await idle.close();
  await t.close();
});

const imports = () => t.db.selectFrom('mailbox_imports');
const mailboxesOf = (domainId: number) =>
  t.db
    .selectFrom('mailboxes')
    .select(['address', 'quota_bytes', 'imap_enabled', 'pop3_enabled', 'password_hash'])
    .where('domain_id', '=', domainId)
    .orderBy('address')
    .execute();
const status = async (id: number) => await imports().select(['status', 'done', 'created', 'failed', 'total']).where('id', '=', id).executeTakeFirstOrThrow();

/** A job as BullMQ hands it to the handler, for runs driven by the test itself. */
function fakeJob(importId: number, opts: { attemptsMade?: number; onProgress?: (p: ImportProgress) => void } = {}) {
  return {
    data: { importId },
    attemptsMade: opts.attemptsMade ?? 0,
    opts: { attempts: 3 },
    updateProgress: async (p: ImportProgress) => opts.onProgress?.(p),
  } as unknown as Job<ImportJobData>;
}

/** Stores an import of the customer's domain without a worker picking it up. */
async function storeImport(csv: string, domain = w.A.domain.name) {
  const session = await t.db
    .selectFrom('users')
    .select(['id as user_id', 'email', 'role', 'reseller_id', 'customer_id'])
    .where('id', '=', w.A.customerUser.id)
    .executeTakeFirstOrThrow();
  const p = principalFromSession({ ...session, acting_customer_id: null } as never, '127.0.0.1');
  const prepared = await prepareImport(t.db, p, domain, new TextEncoder().encode(csv), t.config.minPasswordLength);
  return startImport(t.db, idle, p, prepared);
}

describe('a real import', () => {
  it('creates 300 mailboxes through the worker, with progress shown live, and hands out generated passwords once', { timeout: 120_000 }, async () => {
    const lines = ['address,password,quota,imap,pop3'];
    for (let i = 0; i < 300; i++) {
      const local = `user${String(i).padStart(3, '0')}`;
      // Every third row brings its own password; the rest get one generated.
      lines.push(i % 3 === 0 ? `${local},pw-${local}-long-enough,${(i % 5) + 1} MB,yes,${i % 2 ? 'no' : 'yes'}` : `${local},,,,`);
    }
    lines.push('bad..row,,,,', 'user001,,,,'); // refused at once: rule broken, duplicate of line 3
    await customer.get(`/domains/${w.A.domain.name}/import`);
    const res = await upload(t.app, customer, w.A.domain.name, lines.join('\r\n'));
    expect(res.statusCode).toBe(303);
    const url = res.headers.location as string;
    expect(url).toMatch(/^\/imports\/\d+$/);
    const id = Number(url.split('/')[2]);

    // The job carries the import's id and nothing else; the rows (passwords) wait in PostgreSQL.
    const job = await t.app.queues.get(IMPORTS_QUEUE).getJob(`import-${id}`);
    expect(job?.data).toEqual({ importId: id });
    const page = await customer.get(url);
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(new RegExp(`<div id="import-status" hx-get="/imports/${id}" hx-trigger="every 1s" hx-swap="outerHTML">`));
    expect(page.body).toMatch(/<progress max="302" value="\d+"/);
    expect(page.body).toContain(`<a href="/imports/${id}">Refresh</a>`);

    // Poll as htmx does until the partial comes back without its trigger.
    const seen: number[] = [];
    let partial = '';
    for (let i = 0; i < 1200; i++) {
      partial = (await customer.get(url, { 'hx-request': 'true', 'hx-target': 'import-status' })).body;
      seen.push(Number(/<progress max="302" value="(\d+)"/.exec(partial)![1]));
      if (!partial.includes('hx-trigger')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(partial.trim()).toMatch(/^<div id="import-status">/);
    expect(partial).not.toContain('<html');
    expect(
      seen.some((v) => v > 2 && v < 302),
      `progress values seen: ${[...new Set(seen)].join(',')}`,
    ).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(progress.length).toBeGreaterThanOrEqual(25);
    expect(progress.at(-1)).toEqual({ done: 302, total: 302, created: 300, failed: 2 });

    expect(await status(id)).toEqual({ status: 'done', done: 302, created: 300, failed: 2, total: 302 });
    const stored = await imports().select(['rows', 'report', 'finished_at']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.rows).toBeNull();
    expect(stored.finished_at).toBeInstanceOf(Date);
    expect(stored.report.filter((e) => e.status === 'failed').map((e) => [e.line, e.problems![0].field])).toEqual([
      [302, 'address'],
      [303, 'address'],
    ]);

    const made = (await mailboxesOf(w.A.domain.id)).filter((m) => m.address.startsWith('user'));
    expect(made).toHaveLength(300);
    expect(made[3]).toMatchObject({ address: `user003@${w.A.domain.name}`, quota_bytes: 4 * MB, imap_enabled: true, pop3_enabled: false });
    expect(made[1]).toMatchObject({ quota_bytes: 524288000, imap_enabled: true, pop3_enabled: true });
    expect(await verifyPassword(made[0].password_hash, 'pw-user000-long-enough')).toBe(true);

    const done = await customer.get(url);
    expect(done.body).toContain('Import finished.');
    expect(done.body).toContain(`<form method="post" action="/imports/${id}/passwords.csv">`);
    // A GET hands out (and deletes) nothing: there is no such route.
    expect((await customer.get(`${url}/passwords.csv`)).statusCode).toBe(404);

    // Only the user who ran it gets them, and only from the panel itself.
    const reseller = new PanelClient(t.app);
    await reseller.login(w.A.resellerUser.email);
    expect((await reseller.get(url)).body).toContain('only the user who ran the import can download them');
    expect((await reseller.post(`${url}/passwords.csv`, {})).statusCode).toBe(403);
    expect((await customer.post(`${url}/passwords.csv`, {}, { headers: { 'sec-fetch-site': 'cross-site' } })).statusCode).toBe(403);
    expect((await customer.post(`${url}/passwords.csv`, {}, { csrf: null })).statusCode).toBe(403);

    const csv = await customer.post(`${url}/passwords.csv`, {}, { headers: { 'sec-fetch-site': 'same-origin' } });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="import-${id}-passwords.csv"`);
    const parsed = parseCsv(csv.body);
    if (!parsed.ok) throw new Error(english(parsed.message));
    const handed = parsed.records.slice(1).map((r) => r.cells);
    expect(parsed.records[0].cells).toEqual(['address', 'password']);
    expect(handed).toHaveLength(200);
    const [addr, password] = handed.find(([a]) => a === `user001@${w.A.domain.name}`)!;
    expect(await verifyPassword(made.find((m) => m.address === addr)!.password_hash, password)).toBe(true);

    const again = await customer.post(`${url}/passwords.csv`, {});
    expect(again.statusCode).toBe(410);
    expect(again.body).not.toContain(password);
    expect((await imports().select('generated_passwords').where('id', '=', id).executeTakeFirstOrThrow()).generated_passwords).toBeNull();
    expect((await customer.get(url)).body).not.toContain('passwords.csv');

    // No password reached a log, a queue or the audit trail.
    const audit = JSON.stringify(await t.db.selectFrom('audit_log').selectAll().execute());
    for (const text of [t.logs.join(''), workerLogs.join(''), audit, JSON.stringify(await t.app.queues.get(IMPORTS_QUEUE).getJobs())]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain('pw-user000-long-enough');
    }
    expect(audit).toContain(`"actor":"user:${w.A.customerUser.email} (import ${id})"`);

    const report = await customer.get(`${url}/report.csv`);
    expect(report.body.split('\r\n')[0]).toBe('line,address,result,problems');
    expect(report.body).toContain(`303,user001@${w.A.domain.name},failed,address: The address is already on line 3 of this file.`);
  });
});

describe('retries', () => {
  it('resume after a crash halfway without creating anything twice', async () => {
    const csv = ['address', ...Array.from({ length: 40 }, (_, i) => `retry${String(i).padStart(2, '0')}`)].join('\n');
    const id = await storeImport(csv);
    const handler = importMailboxesHandler({ db: t.db, minPasswordLength: t.config.minPasswordLength, progressEvery: 5 });
    // The process dies after 20 mailboxes: the second progress report never returns.
    let reports = 0;
    const crash = fakeJob(id, {
      onProgress: () => {
        if (++reports === 4) throw new Error('worker killed');
      },
    });
    await expect(handler(crash)).rejects.toThrow('worker killed');
    expect(await status(id)).toMatchObject({ status: 'running', created: 20 });
    expect((await imports().select('rows').where('id', '=', id).executeTakeFirstOrThrow()).rows).toHaveLength(40);

    const result = await handler(fakeJob(id, { attemptsMade: 1 }));
    expect(result).toEqual({ status: 'done', done: 40, created: 40, failed: 0 });
    const made = (await mailboxesOf(w.A.domain.id)).filter((m) => m.address.startsWith('retry'));
    expect(made).toHaveLength(40);
    const creations = await t.db
      .selectFrom('audit_log')
      .select('object_id')
      .where('action', '=', 'mailbox.create')
      .where('object_id', 'like', 'retry%')
      .execute();
    expect(creations).toHaveLength(40);
    // All 40 passwords were generated; each created mailbox's is handed out, whichever run made it.
    const stored = await imports().select(['generated_passwords', 'rows']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.rows).toBeNull();
    expect(stored.generated_passwords).toHaveLength(40);
    const first = stored.generated_passwords![0];
    expect(await verifyPassword(made.find((m) => m.address === first.address)!.password_hash, first.password)).toBe(true);

    // A late duplicate delivery of the finished job does nothing.
    expect(await handler(fakeJob(id, { attemptsMade: 2 }))).toEqual({ skipped: 'done' });
  });

  it('two runs of one import at once (a stalled job taken over) still create each mailbox once', async () => {
    const id = await storeImport(['address', ...Array.from({ length: 20 }, (_, i) => `twin${i}`)].join('\n'));
    const handler = importMailboxesHandler({ db: t.db, minPasswordLength: t.config.minPasswordLength });
    const results = await Promise.all([handler(fakeJob(id)), handler(fakeJob(id))]);
    expect(results.map((r) => (r as { created: number }).created)).toEqual([20, 20]);
    expect((await mailboxesOf(w.A.domain.id)).filter((m) => m.address.startsWith('twin'))).toHaveLength(20);
    expect(await status(id)).toMatchObject({ status: 'done', created: 20, failed: 0 });
  });

  it('after the last attempt the import ends as failed, passwords wiped but those of created mailboxes kept', async () => {
    const id = await storeImport(['address', ...Array.from({ length: 10 }, (_, i) => `last${i}`)].join('\n'));
    const handler = importMailboxesHandler({ db: t.db, minPasswordLength: t.config.minPasswordLength, progressEvery: 4 });
    const job = fakeJob(id, {
      attemptsMade: 2,
      onProgress: () => {
        throw new Error('redis gone');
      },
    });
    await expect(handler(job)).rejects.toThrow('redis gone');
    const stored = await imports()
      .select(['status', 'rows', 'generated_passwords', 'created', 'failed', 'error'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ status: 'failed', rows: null, created: 4, failed: 6, error: expect.stringContaining('stopped after an internal error') });
    expect(stored.generated_passwords!.map((g) => g.address)).toEqual([0, 1, 2, 3].map((i) => `last${i}@${w.A.domain.name}`));
  });
});

describe('the job checks scope again', () => {
  it('imports nothing for a user who lost access meanwhile', async () => {
    const id = await storeImport('address\nlost1\nlost2');
    await t.db.updateTable('users').set({ active: false }).where('id', '=', w.A.customerUser.id).execute();
    try {
      const handler = importMailboxesHandler({ db: t.db, minPasswordLength: t.config.minPasswordLength });
      expect(await handler(fakeJob(id))).toMatchObject({ status: 'failed', created: 0, failed: 2 });
    } finally {
      await t.db.updateTable('users').set({ active: true }).where('id', '=', w.A.customerUser.id).execute();
    }
    expect((await mailboxesOf(w.A.domain.id)).filter((m) => m.address.startsWith('lost'))).toHaveLength(0);
    const stored = await imports().select(['rows', 'error', 'report']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ rows: null, error: 'The user who started the import can no longer manage this domain.' });
    expect(stored.report.every((e) => e.status === 'failed')).toBe(true);
  });

  it("an import whose domain moved out of the user's reach creates nothing", async () => {
    const id = await storeImport('address\nmoved1');
    // The domain now belongs to another reseller's customer.
    await t.db.updateTable('domains').set({ customer_id: w.B.customer.id }).where('id', '=', w.A.domain.id).execute();
    try {
      const handler = importMailboxesHandler({ db: t.db, minPasswordLength: t.config.minPasswordLength });
      expect(await handler(fakeJob(id))).toMatchObject({ status: 'failed', created: 0 });
    } finally {
      await t.db.updateTable('domains').set({ customer_id: w.A.customer.id }).where('id', '=', w.A.domain.id).execute();
    }
    expect((await mailboxesOf(w.A.domain.id)).filter((m) => m.address.startsWith('moved'))).toHaveLength(0);
  });
});
