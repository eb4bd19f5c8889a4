// Deleting a mailbox: no login or mail at once, files moved out of the live tree by the node's
// worker, restorable with its mail for the plan's retention, then purged; the address created again
// starts empty. The same for a domain with its mailboxes.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { housekeeping } from '../../jobs/handlers/housekeeping.js';
import { TRASH_DIR } from '../../jobs/handlers/mailbox-files.js';
import { startWorkers } from '../../jobs/worker.js';
import { loadConfig } from '../../server/platform/config.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { writeMessage } from '../support/maildir.js';
import { PanelClient } from '../support/panel.js';
import { until } from '../support/wait.js';

let t: TestApp;
let w: Tenants;
let root: string;
const stops: (() => Promise<void>)[] = [];
const PASSWORD = 'a long mailbox password';

beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  root = mkdtempSync(path.join(os.tmpdir(), 'mp-deleted-'));
  const logger = pino(
    { level: 'silent' },
    new Writable({
      write(_c, _e, cb) {
        cb();
      },
    }),
  );
  const workers = await startWorkers(loadConfig({ DATABASE_URL: t.database.url, REDIS_PREFIX: t.config.redisPrefix, MAIL_ROOT: root }), t.db, logger, {
    maintenance: false,
  });
  stops.push(workers.stop);
});
afterAll(async () => {
  for (const s of stops) await s();
  await t.close();
  rmSync(root, { recursive: true, force: true });
});

const api = (method: string, url: string, payload?: object, key = w.A.key) =>
  t.app.inject({ method: method as 'POST', url: `/api/v1${url}`, headers: bearer(key), ...(payload && { payload }) });
const deletedList = async (domain = w.A.domain.name, key = w.A.key) =>
  (await api('GET', `/domains/${domain}/deleted-mailboxes`, undefined, key)).json().items as {
    id: number;
    address: string;
    state: string;
    purgeAfter: string;
    deletedAt: string;
    usedBytes: number | null;
  }[];
const canSignIn = async (address: string) =>
  (await sql<{ n: number }>`SELECT count(*)::int AS n FROM mail_accounts WHERE address = ${address} AND enabled`.execute(t.db)).rows[0].n === 1;
const usage = async (address: string) => (await api('GET', `/mailboxes/${address}/usage`)).json();

const ACCESS = {
  smtp: false,
  suspended: { login: false, incoming: false, outgoing: true },
  mainPasswordProtocols: ['imap'],
  autoPurge: false,
  sendLimits: { perHour: 7, perDay: null, recipientsPerMessage: null },
};

describe('deleting a mailbox', () => {
  const domain = () => w.A.domain.name;
  const address = () => `leaver@${domain()}`;

  it('stops login and mail at once, moves its files out of the live tree, and lists it as restorable', async () => {
    expect((await api('POST', `/domains/${domain()}/mailboxes`, { localPart: 'leaver', password: PASSWORD })).statusCode).toBe(201);
    writeMessage(root, `${domain()}/leaver`, 1_000_000);
    expect((await api('POST', `/mailboxes/${address()}/scan`)).statusCode).toBe(202);
    await until(
      'measured',
      () => usage(address()),
      (u) => u.usedBytes === 1_000_000,
    );
    expect(await canSignIn(address())).toBe(true);
    // Deleted while its sending was suspended (and with settings of its own): a restore keeps them.
    expect((await api('PATCH', `/mailboxes/${address()}`, ACCESS)).statusCode).toBe(200);

    expect((await api('DELETE', `/mailboxes/${address()}`)).statusCode).toBe(204);
    expect(await canSignIn(address())).toBe(false);
    expect((await api('GET', `/mailboxes/${address()}`)).statusCode).toBe(404);
    const [rec] = await until(
      'files moved',
      () => deletedList(),
      (l) => l[0]?.state === 'kept',
    );
    expect(rec).toMatchObject({ address: address(), usedBytes: 1_000_000 });
    const days = (Date.parse(rec.purgeAfter) - Date.parse(rec.deletedAt)) / 86_400_000;
    expect(Math.round(days)).toBe(30);
    expect(existsSync(path.join(root, domain(), 'leaver'))).toBe(false);
    expect(readdirSync(path.join(root, TRASH_DIR, String(rec.id), 'Maildir', 'cur'))).toHaveLength(1);
  });

  it('the same address created again starts empty; restoring the old one is refused while the address is taken', async () => {
    const res = await api('POST', `/domains/${domain()}/mailboxes`, { localPart: 'leaver', password: PASSWORD });
    expect(res.statusCode).toBe(201);
    const row = await t.db.selectFrom('mailboxes').select('maildir').where('address', '=', address()).executeTakeFirstOrThrow();
    expect(row.maildir).not.toBe(`${domain()}/leaver`);
    expect(
      (
        await until(
          'new one measured',
          () => usage(address()),
          (u) => u.scannedAt !== null,
        )
      ).usedBytes,
    ).toBe(0);
    const [rec] = await deletedList();
    const refused = await api('POST', `/domains/${domain()}/deleted-mailboxes/${rec.id}/restore`);
    expect(refused.statusCode).toBe(409);
    expect((await deletedList())[0].state).toBe('kept');
  });

  it('restores the old mailbox with its mail once the address is free', async () => {
    expect((await api('DELETE', `/mailboxes/${address()}`)).statusCode).toBe(204);
    const list = await deletedList();
    const first = list.find((d) => d.usedBytes === 1_000_000)!;
    const res = await api('POST', `/domains/${domain()}/deleted-mailboxes/${first.id}/restore`);
    expect(res.statusCode).toBe(202);
    expect(res.json().state).toBe('restoring');
    await until(
      'restored',
      async () => (await api('GET', `/mailboxes/${address()}`)).statusCode,
      (s) => s === 200,
    );
    expect(await canSignIn(address())).toBe(true);
    expect((await api('GET', `/mailboxes/${address()}`)).json()).toMatchObject(ACCESS);
    expect(existsSync(path.join(root, domain(), 'leaver', 'Maildir', 'cur'))).toBe(true);
    await api('POST', `/mailboxes/${address()}/scan`);
    expect(
      (
        await until(
          'old mail back',
          () => usage(address()),
          (u) => u.usedBytes === 1_000_000,
        )
      ).messages,
    ).toBe(1);
    expect((await deletedList()).map((d) => d.id)).not.toContain(first.id);
  });

  it('another tenant can neither list nor restore them', async () => {
    const [rec] = await deletedList();
    expect((await api('GET', `/domains/${domain()}/deleted-mailboxes`, undefined, w.B.key)).statusCode).toBe(404);
    expect((await api('POST', `/domains/${domain()}/deleted-mailboxes/${rec.id}/restore`, undefined, w.B.key)).statusCode).toBe(404);
    expect((await api('POST', `/domains/${w.B.domain.name}/deleted-mailboxes/${rec.id}/restore`, undefined, w.B.key)).statusCode).toBe(404);
  });

  it('after the retention the files and the record are removed for good', async () => {
    const [rec] = await deletedList();
    await t.db
      .updateTable('deleted_mailboxes')
      .set({ purge_after: new Date(Date.now() - 1000) })
      .where('id', '=', rec.id)
      .execute();
    await housekeeping(t.db, t.config, t.app.queues);
    await until(
      'purged',
      () => deletedList(),
      (l) => !l.some((d) => d.id === rec.id),
    );
    expect(existsSync(path.join(root, TRASH_DIR, String(rec.id)))).toBe(false);
  });

  it("the plan's retention applies, and the panel says what deleting does before it does it", async () => {
    const plan = await t.db
      .insertInto('plans')
      .values({ reseller_id: w.A.reseller.id, name: 'short keep', deleted_retention_days: 7 })
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.db.updateTable('customers').set({ plan_id: plan.id }).where('id', '=', w.A.customer.id).execute();
    const panel = new PanelClient(t.app);
    await panel.login(w.A.customerUser.email);
    const confirm = await panel.get(`/mailboxes/${address()}/delete`);
    expect(confirm.body).toContain('kept for 7 days');
    expect(confirm.body).toContain('starts empty');
    expect((await panel.post(`/mailboxes/${address()}/delete`, {})).statusCode).toBe(303);
    const rec = (await deletedList()).find((d) => d.address === address())!;
    expect(Math.round((Date.parse(rec.purgeAfter) - Date.parse(rec.deletedAt)) / 86_400_000)).toBe(7);
    const page = await panel.get(`/domains/${domain()}`);
    expect(page.body).toContain('Deleted mailboxes');
    expect(page.body).toContain(`/deleted-mailboxes/${rec.id}/restore`);
    await t.db.updateTable('customers').set({ plan_id: null }).where('id', '=', w.A.customer.id).execute();
  });
});

describe('deleting a domain with mailboxes', () => {
  it('is refused without saying so, done with withMailboxes, and its mailboxes come back with the domain', async () => {
    const name = `gone-${w.B.domain.name}`;
    expect((await api('POST', `/customers/${w.B.customer.id}/domains`, { name }, w.B.key)).statusCode).toBe(201);
    for (const local of ['a1', 'a2'])
      expect((await api('POST', `/domains/${name}/mailboxes`, { localPart: local, password: PASSWORD }, w.B.key)).statusCode).toBe(201);
    writeMessage(root, `${name}/a1`, 5_000);
    const refused = await api('DELETE', `/domains/${name}`, undefined, w.B.key);
    expect(refused.statusCode).toBe(409);
    expect((await api('DELETE', `/domains/${name}?withMailboxes=true`, undefined, w.B.key)).statusCode).toBe(204);
    expect(await canSignIn(`a1@${name}`)).toBe(false);
    expect((await api('GET', `/domains/${name}`, undefined, w.B.key)).statusCode).toBe(404);
    expect((await api('POST', `/customers/${w.B.customer.id}/domains`, { name }, w.B.key)).statusCode).toBe(201);
    const list = await until(
      'both listed, moved',
      () => deletedList(name, w.B.key),
      (l) => l.length === 2 && l.every((d) => d.state === 'kept'),
    );
    const a1 = list.find((d) => d.address === `a1@${name}`)!;
    expect((await api('POST', `/domains/${name}/deleted-mailboxes/${a1.id}/restore`, undefined, w.B.key)).statusCode).toBe(202);
    await until(
      'a1 back',
      async () => (await api('GET', `/mailboxes/a1@${name}`, undefined, w.B.key)).statusCode,
      (s) => s === 200,
    );
    expect(existsSync(path.join(root, name, 'a1', 'Maildir', 'cur'))).toBe(true);
  });
});
