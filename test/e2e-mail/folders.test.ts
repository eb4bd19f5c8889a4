// Per-folder usage against the real Dovecot: folders made and filled over IMAP, measured by the
// scanner, and the API's figures compared with the disk (bytes) and with IMAP itself (names, counts).
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanNode } from '../../server/cli/scan.js';
import { startPolicyServer } from '../../server/policy/server.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { type MailStack, makeMessage, startMailStack } from '../support/mail-stack.js';
import { withImap as imap, messagesIn } from '../support/imap.js';
import { silentLogger } from '../../server/policy/logger.js';

const PASSWORD = 'a long mailbox password';
let t: TestApp;
let w: Tenants;
let stack: MailStack;
let address: string;
let maildir: string;
const stops: (() => Promise<void>)[] = [];

// The directory Dovecot must use for each folder, written out by hand (not by our own mapping).
const DIRS: Record<string, string> = {
  INBOX: '',
  Trash: '.Trash',
  'Archive/2024': '.Archive.2024',
  Entwürfe: '.Entw&APw-rfe',
};

const withImap = <T>(fn: (c: ImapFlow) => Promise<T>) => imap(stack, address, PASSWORD, fn);

/** Bytes in a folder's cur/ and new/, read off the disk here. */
function bytesOnDisk(dir: string) {
  const root = path.join(stack.mailRoot, maildir, 'Maildir', dir);
  let bytes = 0;
  for (const sub of ['cur', 'new']) for (const f of readdirSync(path.join(root, sub))) bytes += statSync(path.join(root, sub, f)).size;
  return bytes;
}

beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  const policy = await startPolicyServer({ db: t.db, databaseUrl: t.database.url, host: '127.0.0.1', port: 0, logger: silentLogger });
  stops.push(() => policy.close());
  stack = await startMailStack({ databaseName: t.database.name, policyPort: policy.port });
  stops.push(() => stack.stop());
  address = `folders@${w.A.domain.name}`;
  const created = await t.app.inject({
    method: 'POST',
    url: `/api/v1/domains/${w.A.domain.name}/mailboxes`,
    headers: bearer(w.A.key),
    payload: { localPart: 'folders', password: PASSWORD },
  });
  expect(created.statusCode).toBe(201);
  maildir = (await t.db.selectFrom('mailboxes').select('maildir').where('address', '=', address).executeTakeFirstOrThrow()).maildir;
});

afterAll(async () => {
  for (const stop of stops) await stop();
  await t.close();
});

describe('per-folder usage', () => {
  it('names, bytes and messages per folder: names and counts as IMAP shows them, bytes as on the disk', async () => {
    const fill: [string, number[]][] = [
      ['INBOX', [3000, 5000]],
      ['Trash', [20_000]],
      ['Archive/2024', [1000, 2000, 40_000]],
      ['Entwürfe', [700]],
    ];
    const listed = await withImap(async (c) => {
      await c.mailboxCreate('Archive/2024');
      await c.mailboxCreate('Entwürfe');
      for (const [folder, sizes] of fill)
        for (const [i, size] of sizes.entries())
          await c.append(folder, makeMessage({ from: 'a@outside.test', to: address, subject: `${folder} ${i}`, padTo: size }));
      const names = (await c.list()).filter((l) => !l.flags.has('\\Noselect')).map((l) => l.path);
      const counts: Record<string, number> = {};
      for (const n of names) counts[n] = await messagesIn(c, n);
      return counts;
    });

    const s = await scanNode(t.db, { node: 'local', mailRoot: stack.mailRoot, fullScanHours: 24 }, { full: true, total: 1 });
    expect(s.failed).toBe(0);

    const r = await t.app.inject({ method: 'GET', url: `/api/v1/mailboxes/${address}/folders`, headers: bearer(w.A.key) });
    expect(r.statusCode).toBe(200);
    expect(r.headers['last-modified']).toBeTruthy();
    const folders = r.json() as { name: string; bytes: number; messages: number }[];
    // Every folder IMAP lists (Sent, Drafts and Junk exist empty from the first login), INBOX first.
    expect(folders.map((f) => f.name).sort()).toEqual(Object.keys(listed).sort());
    expect(folders[0].name).toBe('INBOX');
    for (const f of folders) expect(f.messages, f.name).toBe(listed[f.name]);
    for (const [name, dir] of Object.entries(DIRS)) expect(folders.find((f) => f.name === name)?.bytes, name).toBe(bytesOnDisk(dir));
    expect(folders.find((f) => f.name === 'Archive/2024')?.messages).toBe(3);

    // The mailbox page shows a bar per folder.
    const usage = (await t.app.inject({ method: 'GET', url: `/api/v1/mailboxes/${address}/usage`, headers: bearer(w.A.key) })).json();
    expect(folders.reduce((sum, f) => sum + f.bytes, 0)).toBe(usage.usedBytes);
  });

  it('another tenant gets 404, as for a mailbox that does not exist', async () => {
    const other = await t.app.inject({ method: 'GET', url: `/api/v1/mailboxes/${address}/folders`, headers: bearer(w.B.key) });
    expect(other.statusCode).toBe(404);
    const own = await t.app.inject({ method: 'GET', url: `/api/v1/mailboxes/${address}/folders`, headers: bearer(w.A.key) });
    expect(own.statusCode).toBe(200);
  });
});
