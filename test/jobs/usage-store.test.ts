import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeUsage } from '../../server/services/usage/store.js';
import { checkHandlers } from '../../jobs/queue/registry.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { seedTenants, type Tenants } from '../support/fixtures.js';

let t: TestDatabase;
let w: Tenants;
let id: number;
beforeAll(async () => {
  t = await createTestDatabase();
  w = await seedTenants(t.db);
  id = (await t.db.selectFrom('mailboxes').select('id').where('address', '=', w.A.mailbox.address).executeTakeFirstOrThrow()).id;
});
afterAll(() => t.drop());

const usage = () => t.db.selectFrom('mailbox_usage').selectAll().where('mailbox_id', '=', id).executeTakeFirst();
const result = (bytes: number, at: string, full = false) => ({
  mailboxId: id,
  bytes,
  messages: Math.round(bytes / 1000),
  scannedAt: new Date(at),
  state: { v: 1 },
  full,
});
const MB = 1024 * 1024;

describe('writing scan results', () => {
  it('stores bytes, messages, time and level, and reports the level change', async () => {
    const { changes } = await writeUsage(t.db, [result(420 * MB, '2026-11-26T10:00:00Z', true)]);
    expect(changes).toEqual([{ mailboxId: id, from: null, to: '80' }]);
    expect(await usage()).toMatchObject({
      used_bytes: 420 * MB,
      level: '80',
      scanned_at: new Date('2026-11-26T10:00:00Z'),
      full_scanned_at: new Date('2026-11-26T10:00:00Z'),
    });
  });

  it('ignores a late result older than the stored one, and a repeat of the same one', async () => {
    expect((await writeUsage(t.db, [result(10 * MB, '2026-11-26T09:00:00Z')])).written).toEqual([]);
    expect((await writeUsage(t.db, [result(420 * MB, '2026-11-26T10:00:00Z')])).written).toEqual([]);
    expect((await usage())!.used_bytes).toBe(420 * MB);
    const samples = await t.db.selectFrom('usage_samples').selectAll().where('mailbox_id', '=', id).execute();
    expect(samples).toHaveLength(1);
  });

  it('keeps the last full-scan time through incremental results and records each sample', async () => {
    const { changes } = await writeUsage(t.db, [result(500 * MB, '2026-11-26T11:00:00Z')]);
    expect(changes).toEqual([{ mailboxId: id, from: '80', to: 'full' }]);
    const u = (await usage())!;
    expect(u.full_scanned_at).toEqual(new Date('2026-11-26T10:00:00Z'));
    expect(u.level_changed_at).toEqual(new Date('2026-11-26T11:00:00Z'));
    expect(await t.db.selectFrom('usage_samples').select('at').where('mailbox_id', '=', id).execute()).toHaveLength(2);
  });

  it('keeps the copy on the mailbox row that list indexes sort on, and clears it with the usage row', async () => {
    const copy = () => t.db.selectFrom('mailboxes').select(['used_bytes', 'usage_level']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(await copy()).toEqual({ used_bytes: 500 * MB, usage_level: 'full' });
    await t.db.updateTable('mailbox_usage').set({ level: '95' }).where('mailbox_id', '=', id).execute();
    expect(await copy()).toEqual({ used_bytes: 500 * MB, usage_level: '95' });
    await t.db.deleteFrom('mailbox_usage').where('mailbox_id', '=', id).execute();
    expect(await copy()).toEqual({ used_bytes: null, usage_level: null });
    await writeUsage(t.db, [result(500 * MB, '2026-11-26T11:30:00Z')]);
    expect(await copy()).toEqual({ used_bytes: 500 * MB, usage_level: 'full' });
  });

  it('writes a whole batch in one call and skips mailboxes deleted meanwhile', async () => {
    const ids = (await t.db.selectFrom('mailboxes').select('id').execute()).map((r) => r.id);
    const { changes } = await writeUsage(t.db, [
      ...ids.map((m) => ({ ...result(1, '2026-11-26T12:00:00Z'), mailboxId: m })),
      { ...result(1, '2026-11-26T12:00:00Z'), mailboxId: 999_999 },
    ]);
    expect(changes.map((c) => c.to)).toEqual(ids.map(() => 'ok'));
  });
});

describe('the job registry', () => {
  it('refuses to start with a job lacking its handler', () => {
    const all = {
      'scan-mailbox': async () => 1,
      'scan-chunk': async () => 1,
      'quota-recalc': async () => 1,
      'mailbox-trash': async () => 1,
      'mailbox-restore': async () => 1,
      'mailbox-purge': async () => 1,
      'scan-fanout': async () => 1,
      housekeeping: async () => 1,
      'send-alert': async () => 1,
      'space-request-notice': async () => 1,
      'send-limit-breach': async () => 1,
      'alerts-sweep': async () => 1,
      'import-mailboxes': async () => 1,
      'cleanup-preview': async () => 1,
      'large-messages': async () => 1,
      'mailbox-cleanup': async () => 1,
      'purge-fanout': async () => 1,
      'purge-round': async () => 1,
      'webhook-fanout': async () => 1,
      'webhook-deliver': async () => 1,
      'webhooks-sweep': async () => 1,
    };
    const { housekeeping: _dropped, ...missingOne } = all;
    expect(() => checkHandlers(missingOne)).toThrow(/no handler for job\(s\) housekeeping/);
    expect(() => checkHandlers(all)).not.toThrow();
  });
});
