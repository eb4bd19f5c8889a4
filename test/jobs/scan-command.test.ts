import { mkdtempSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanNode, summaryTable } from '../../server/cli/scan.js';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from '../support/database.js';
import { seedTenants, type Tenants } from '../support/fixtures.js';
import { writeMessage } from '../support/maildir.js';
import { runScript } from '../support/process.js';

let t: TestDatabase;
let w: Tenants;
let root: string;
beforeAll(async () => {
  t = await createTestDatabase();
  w = await seedTenants(t.db);
  root = mkdtempSync(path.join(os.tmpdir(), 'mp-scan-cmd-'));
  writeMessage(root, `${w.A.domain.name}/info`, 3000);
  writeMessage(root, `${w.A.domain.name}/info`, 4000, '.Trash');
  writeMessage(root, `${w.B.domain.name}/info`, 10);
  // A domain directory that is a symlink to somewhere else is refused, not followed.
  const outside = mkdtempSync(path.join(os.tmpdir(), 'mp-outside-'));
  writeMessage(outside, 'x/info', 123456);
  mkdirSync(root, { recursive: true });
  symlinkSync(path.join(outside, 'x'), path.join(root, 'linked.example'));
  const d = await t.db.selectFrom('domains').select('id').where('name', '=', w.A.domain.name).executeTakeFirstOrThrow();
  await t.db
    .insertInto('mailboxes')
    .values({
      domain_id: d.id,
      local_part: 'linked',
      address: `linked@${w.A.domain.name}`,
      password_hash: 'x',
      quota_bytes: 10_000,
      maildir: 'linked.example/info',
    })
    .execute();
});
afterAll(async () => {
  await t.drop();
  rmSync(root, { recursive: true, force: true });
});

describe('the foreground scan command', () => {
  it('measures every mailbox of the node, writes the results and refuses a symlinked path', async () => {
    const refused: string[] = [];
    const written: number[] = [];
    const s = await scanNode(
      t.db,
      { node: 'local', mailRoot: root, fullScanHours: 24 },
      // What follows a write gets the whole outcome, as the worker's afterUsageWrite does.
      { full: false, total: 3, onRefused: (_id, code) => refused.push(code), onWritten: async (o) => written.push(...o.written) },
    );
    expect(written).toHaveLength(2);
    expect(s).toMatchObject({ mailboxes: 3, messages: 3, bytes: 7010, refused: 1, failed: 0 });
    expect(refused).toEqual(['symlink']);
    const usage = await t.db
      .selectFrom('mailbox_usage as u')
      .innerJoin('mailboxes as m', 'm.id', 'u.mailbox_id')
      .select(['m.address', 'u.used_bytes', 'u.messages'])
      .orderBy('m.address')
      .execute();
    expect(usage).toEqual([
      { address: w.A.mailbox.address, used_bytes: 7000, messages: 2 },
      { address: w.B.mailbox.address, used_bytes: 10, messages: 1 },
    ]);
    expect(summaryTable(s)).toMatch(/\| mailboxes scanned +\| 3 +\|/);
  });

  it('runs from the command line with a progress line and a summary table', async () => {
    const r = await runScript('server/cli/main.ts', ['scan', '--full', '--mail-root', root], { DATABASE_URL: t.url, REDIS_PREFIX: testRedisPrefix() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[#+\] 3\/3 mailboxes {2}3 messages/);
    expect(r.stdout).toMatch(/\| refused paths +\| 1 +\|/);
    expect(r.stderr).toContain('maildir path refused (symlink)');
  });
});
