// Cleanup actions against the real Dovecot: previews count exactly what the confirmed run deletes (IMAP
// sees those gone, and nothing else), usage and level follow within seconds through Dovecot's feed, and
// a full mailbox freed below the line gets its "recovered" notice.
import { Writable } from 'node:stream';
import type { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../jobs/worker.js';
import { scanNode } from '../../server/cli/scan.js';
import { loadConfig } from '../../server/platform/config.js';
import { silentLogger } from '../../server/policy/logger.js';
import { startPolicyServer } from '../../server/policy/server.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';
import { freePorts, type MailStack, makeMessage, startMailStack, stackWorkerEnv } from '../support/mail-stack.js';
import { withImap as imap } from '../support/imap.js';
import { until } from '../support/wait.js';

const PASSWORD = 'a long mailbox password';
const OLD = new Date('2020-01-01T00:00:00Z');
let t: TestApp;
let w: Tenants;
let stack: MailStack;
let address: string;
const stops: (() => Promise<void>)[] = [];
const logger = pino({ level: 'silent' }, new Writable({ write: (_c, _e, cb) => cb() }));

const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, key = w.A.key) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: bearer(key), ...(payload && { payload }) });

const withImap = <T>(fn: (c: ImapFlow) => Promise<T>) => imap(stack, address, PASSWORD, fn);

/** Subjects of a folder's messages, sorted. */
const subjects = (folder: string) =>
  withImap(async (c) => {
    const lock = await c.getMailboxLock(folder);
    try {
      const out: string[] = [];
      for await (const m of c.fetch('1:*', { envelope: true })) out.push(m.envelope?.subject ?? '');
      return out.sort();
    } catch {
      return [];
    } finally {
      lock.release();
    }
  });

const put = (c: ImapFlow, folder: string, subject: string, padTo: number, date?: Date) =>
  c.append(folder, makeMessage({ from: 'Sender <s@outside.test>', to: address, subject, padTo }), [], date);

/** Preview, then confirm that preview; returns both and the finished cleanup. */
async function cleanup(body: object, between?: () => Promise<unknown>) {
  const preview = await api('POST', `/mailboxes/${address}/cleanup`, { ...body, preview: true });
  expect(preview.statusCode, preview.body).toBe(200);
  await between?.();
  const started = await api('POST', `/mailboxes/${address}/cleanup`, { ...body, preview: false, previewId: preview.json().previewId });
  expect(started.statusCode, started.body).toBe(202);
  const done = await until(
    'cleanup done',
    async () => (await api('GET', `/mailboxes/${address}/cleanup/${started.json().id}`)).json(),
    (c) => c.status === 'done' || c.status === 'failed',
  );
  return { preview: preview.json() as { previewId: number; messages: number; bytes: number }, done };
}

beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  const policy = await startPolicyServer({ db: t.db, databaseUrl: t.database.url, host: '127.0.0.1', port: 0, logger: silentLogger });
  stops.push(() => policy.close());
  const [eventsPort] = await freePorts(1);
  stack = await startMailStack({ databaseName: t.database.name, policyPort: policy.port, vars: { EVENTS_PORT: String(eventsPort) } });
  stops.push(() => stack.stop());
  const config = loadConfig({ ...stackWorkerEnv(t, stack), PUBLIC_URL: 'https://panel.example.net', DOVECOT_EVENTS_PORT: String(eventsPort) });
  const workers = await startWorkers(config, t.db, logger, { maintenance: true });
  stops.unshift(workers.stop);
  address = `clean@${w.A.domain.name}`;
  expect(
    (await api('POST', `/domains/${w.A.domain.name}/mailboxes`, { localPart: 'clean', password: PASSWORD, quotaBytes: 50 * 1024 * 1024 })).statusCode,
  ).toBe(201);
  await withImap(async (c) => {
    await c.mailboxCreate('Archive/2024');
    for (let i = 0; i < 3; i++) await put(c, 'Junk', `junk ${i}`, 20_000);
    await put(c, 'Trash', 'trash 0', 5_000);
    await put(c, 'INBOX', 'old 0', 4_000, OLD);
    await put(c, 'INBOX', 'old 1', 6_000, OLD);
    await put(c, 'INBOX', 'new 0', 3_000);
    await put(c, 'Archive/2024', 'huge video', 11 * 1024 * 1024);
    await put(c, 'Archive/2024', 'small note', 2_000);
  });
  // The plan gives Junk room too, so mail can still be filed there while the mailbox is full.
  await t.db.updateTable('plans').set({ junk_room: true }).where('id', '=', w.A.planId).execute();
  expect((await api('PATCH', `/customers/${w.A.customer.id}`, { planId: w.A.planId })).statusCode).toBe(200);
  // Exactly full: the quota becomes what the disk holds, so the full notice goes out.
  await scanNode(t.db, { node: 'local', mailRoot: stack.mailRoot, fullScanHours: 24 }, { full: true, total: 1 });
  const used = (await api('GET', `/mailboxes/${address}/usage`)).json().usedBytes as number;
  expect((await api('PATCH', `/mailboxes/${address}`, { quotaBytes: used })).statusCode).toBe(200);
  await until(
    'full notice',
    async () => (await api('GET', `/mailboxes/${address}/alerts`)).json().items,
    (a: { kind: string }[]) => a.some((x) => x.kind === 'full'),
  );
}, 60_000);

afterAll(async () => {
  for (const stop of stops) await stop();
  await t.close();
});

describe('cleanup actions', () => {
  it("the full notice reaches the full mailbox itself, linking to its owner's page and the cleanup that frees most", async () => {
    // The alert row exists once decided; its delivery into the mailbox follows a moment later.
    const text = await until(
      'full notice delivered',
      () =>
        withImap(async (c) => {
          const lock = await c.getMailboxLock('INBOX');
          try {
            for await (const m of c.fetch('1:*', { envelope: true, source: true }))
              if (m.envelope?.subject?.startsWith('Your mailbox')) return m.source?.toString() ?? '';
            return '';
          } finally {
            lock.release();
          }
        }),
      (t) => t !== '',
    );
    expect(text).toContain('Empty Junk: frees');
    expect(text).toContain('https://panel.example.net/my?suggest=Junk#cleanup-h');
    expect(text).not.toContain('/mailboxes/');
  });

  it('empty Junk: the preview deletes nothing; the run deletes exactly the previewed messages, not one that came after', async () => {
    // What the scan found in Junk on the disk is what the preview counts.
    const folders = (await api('GET', `/mailboxes/${address}/folders`)).json() as { name: string; bytes: number }[];
    const junkOnDisk = folders.find((f) => f.name === 'Junk')!.bytes;
    const { preview, done } = await cleanup({ folder: 'Junk' }, async () => {
      expect(await subjects('Junk')).toEqual(['junk 0', 'junk 1', 'junk 2']);
      // Mail that arrives between preview and confirmation was not shown, so it stays.
      await withImap((c) => put(c, 'Junk', 'junk late', 1_000));
    });
    expect(preview.messages).toBe(3);
    expect(preview.bytes).toBe(junkOnDisk);
    expect(done).toMatchObject({ status: 'done', result: { messages: 3, bytes: preview.bytes }, preview: { messages: 3, bytes: preview.bytes } });
    expect(await subjects('Junk')).toEqual(['junk late']);
  });

  it('delete mail older than N days in a folder: only what arrived before', async () => {
    const { preview, done } = await cleanup({ folder: 'INBOX', olderThanDays: 365 });
    expect(preview.messages).toBe(2);
    expect(done.result.messages).toBe(2);
    // (The full notice sits in INBOX too.)
    expect((await subjects('INBOX')).filter((x) => !x.startsWith('Your mailbox'))).toEqual(['new 0']);
  });

  it('lists the largest messages with sender, subject, date and size; deletes the chosen one; usage, level and the recovery notice follow', async () => {
    const large = await api('GET', `/mailboxes/${address}/large-messages`);
    expect(large.statusCode).toBe(200);
    const items = large.json() as { folder: string; uid: number; bytes: number; from: string; subject: string; date: string }[];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ folder: 'Archive/2024', subject: 'huge video' });
    expect(items[0].from).toContain('s@outside.test');
    expect(items[0].bytes).toBeGreaterThanOrEqual(10 * 1024 * 1024);
    expect(items[0].date).toMatch(/^\d{4}-\d{2}-\d{2}/);

    const { done } = await cleanup({ folder: items[0].folder, uids: [items[0].uid] });
    expect(done.result).toEqual({ messages: 1, bytes: items[0].bytes });
    expect(await subjects('Archive/2024')).toEqual(['small note']);
    // Dovecot's own count reaches the usage row; the level drops and the recovery notice is queued.
    const usage = await until(
      'usage follows',
      async () => (await api('GET', `/mailboxes/${address}/usage`)).json(),
      (u) => u.level === 'ok',
      5_000,
    );
    expect(usage.usedBytes).toBeLessThan(usage.quotaBytes / 2);
    await until(
      'recovery notice',
      async () => (await api('GET', `/mailboxes/${address}/alerts`)).json().items,
      (a: { kind: string }[]) => a.some((x) => x.kind === 'recovered'),
    );
    // The folders follow too (a scan runs after each cleanup).
    const folders = await until(
      'folders follow',
      async () => (await api('GET', `/mailboxes/${address}/folders`)).json() as { name: string; messages: number }[],
      (f) => f.find((x) => x.name === 'Archive/2024')?.messages === 1,
    );
    expect(folders.find((x) => x.name === 'Junk')?.messages).toBe(1);
    const audit = await t.db.selectFrom('audit_log').select(['action', 'after']).where('action', '=', 'mailbox.cleanup').execute();
    expect(audit).toHaveLength(3);
  });

  it('refuses bad input and other tenants, and a preview confirmed twice', async () => {
    const bad = async (body: object, status: number, field?: string) => {
      const r = await api('POST', `/mailboxes/${address}/cleanup`, body);
      expect(r.statusCode, r.body).toBe(status);
      if (field) expect(r.json().field).toBe(field);
    };
    await bad({ folder: '*', preview: true }, 400, 'folder');
    await bad({ folder: 'INBOX\r\nX', preview: true }, 400, 'folder');
    await bad({ folder: 'Nope', preview: true }, 400, 'folder');
    await bad({ folder: 'INBOX', olderThanDays: 0, preview: true }, 400, 'olderThanDays');
    await bad({ folder: 'INBOX', preview: true, extra: 1 }, 400);
    expect((await api('POST', `/mailboxes/${address}/cleanup`, { folder: 'Trash', preview: true }, w.B.key)).statusCode).toBe(404);
    expect((await api('GET', `/mailboxes/${address}/large-messages`, undefined, w.B.key)).statusCode).toBe(404);
    expect((await api('POST', `/mailboxes/${address}/cleanup`, { folder: 'Trash', preview: true }, w.A.readOnlyKey)).statusCode).toBe(403);
    const preview = (await api('POST', `/mailboxes/${address}/cleanup`, { folder: 'Trash', preview: true })).json();
    const first = await api('POST', `/mailboxes/${address}/cleanup`, { folder: 'Trash', preview: false, previewId: preview.previewId });
    expect(first.statusCode).toBe(202);
    expect((await api('GET', `/mailboxes/${address}/cleanup/${first.json().id}`, undefined, w.B.key)).statusCode).toBe(404);
    await bad({ folder: 'Trash', preview: false, previewId: preview.previewId }, 409, 'previewId');
  });

  it('in the panel: the customer empties Trash from the mailbox page, through the preview, in German too', async () => {
    await withImap(async (c) => {
      await put(c, 'Trash', 'thrown away 1', 3_000);
      await put(c, 'Trash', 'thrown away 2', 3_000);
    });
    await scanNode(t.db, { node: 'local', mailRoot: stack.mailRoot, fullScanHours: 24 }, { full: true, total: 1 });
    const customer = new PanelClient(t.app);
    await customer.login(w.A.customerUser.email);
    const page = await customer.get(`/mailboxes/${address}`);
    expect(page.body).toMatch(/Empty Trash: frees [0-9.]+ KB/);
    const de = await customer.get(`/mailboxes/${address}`, { 'accept-language': 'de' });
    expect(de.body).toMatch(/Papierkorb leeren: gibt [0-9,.]+ KB frei/);

    const bad = await customer.post(`/mailboxes/${address}/cleanup/preview`, { folder: 'INBOX', olderThanDays: 'soon' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/id="olderThanDays-error">[^<]*1 to 36,500/);

    const preview = await customer.post(`/mailboxes/${address}/cleanup/preview`, { folder: 'Trash' });
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toMatch(/2 messages, [0-9.]+ KB, will be deleted for good from Trash/);
    expect(await subjects('Trash')).toHaveLength(2);
    const previewId = /name="previewId" value="(\d+)"/.exec(preview.body)![1];
    const confirmed = await customer.post(`/mailboxes/${address}/cleanup`, { previewId });
    expect(confirmed.statusCode).toBe(303);
    expect(confirmed.headers.location).toContain('notice=cleanup');
    await until(
      'Trash emptied',
      () => subjects('Trash'),
      (x) => x.length === 0,
    );
    const after = await until(
      'listed as done',
      async () => (await customer.get(`/mailboxes/${address}`)).body,
      (b) => b.includes('2 messages deleted'),
    );
    expect(after).toContain('Recent cleanups');

    const large = await customer.get(`/mailboxes/${address}/large-messages`);
    expect(large.statusCode).toBe(200);
    expect(large.body).toContain('No message of 10 MB or more.');
    // Another customer's user cannot see this mailbox's tools.
    const other = new PanelClient(t.app);
    await other.login(w.B.customerUser.email);
    expect((await other.get(`/mailboxes/${address}/large-messages`)).statusCode).toBe(404);
  });
});
