// The verification round with the kernel's change notification (jobs/scan/disk-watch.ts): a Maildir
// where nothing happened is taken as it was, one where anything happened is looked at, and a Maildir
// put in place of the watched one (below an unchanged path) is looked at too. Real PostgreSQL, real inotify.
import { cpSync, mkdtempSync, renameSync, rmSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanChunkHandler } from '../../jobs/handlers/scan-chunk.js';
import { DiskWatch } from '../../jobs/scan/disk-watch.js';
import { ScanPool } from '../../jobs/scan/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { seedTenants, type Tenants } from '../support/fixtures.js';
import { writeMessage } from '../support/maildir.js';

let t: TestDatabase;
let w: Tenants;
let mailRoot: string;
let pool: ScanPool;
let watch: DiskWatch;
const boxes: { id: number; maildir: string; bytes: number }[] = [];
const settle = () => new Promise((r) => setTimeout(r, 1100));

beforeAll(async () => {
  t = await createTestDatabase();
  w = await seedTenants(t.db);
  mailRoot = mkdtempSync(path.join(os.tmpdir(), 'mp-watch-'));
  const d = await t.db.selectFrom('domains').select('id').where('name', '=', w.A.domain.name).executeTakeFirstOrThrow();
  // Only these mailboxes on this node.
  await t.db.updateTable('mailboxes').set({ node: 'elsewhere' }).execute();
  for (const local of ['w1', 'w2', 'w3']) {
    const maildir = `${w.A.domain.name}/${local}`;
    const row = await t.db
      .insertInto('mailboxes')
      .values({
        domain_id: d.id,
        local_part: local,
        address: `${local}@${w.A.domain.name}`,
        password_hash: 'x',
        quota_bytes: 10_000_000,
        maildir,
        node: 'here',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    // Every folder with cur/ and new/, as Dovecot makes them.
    for (const [folder, sub, size] of [
      ['', 'cur', 1000],
      ['', 'new', 200],
      ['.Trash', 'cur', 30],
      ['.Trash', 'new', 4],
    ] as const)
      writeMessage(mailRoot, maildir, size, folder, sub);
    // A root mtime of a whole second, so that a replacement can be given the very same one (below).
    utimesSync(path.join(mailRoot, maildir, 'Maildir'), 1_700_000_000, 1_700_000_000);
    boxes.push({ id: row.id, maildir, bytes: 1234 });
  }
  pool = new ScanPool({ threads: 1 });
  const opened = DiskWatch.open(pino({ level: 'silent' }));
  if (!opened) throw new Error('no inotify on this machine');
  watch = opened;
});

afterAll(async () => {
  watch.close();
  await pool.close();
  await t.drop();
  rmSync(mailRoot, { recursive: true, force: true });
});

const handler = () =>
  scanChunkHandler({
    db: t.db,
    node: 'here',
    mailRoot,
    fullScanHours: 24,
    driftBytes: 1 << 20,
    pool,
    watch,
    logger: pino({ level: 'silent' }),
    onWritten: async () => {},
  });

async function round() {
  const run = handler();
  return (await run({ data: { node: 'here', fromId: 1, toId: 1e12 }, updateProgress: async () => {} } as never)) as {
    measured: number;
    failed: number;
    quiet: number;
  };
}

const diskBytes = async (id: number) =>
  Number((await t.db.selectFrom('mailbox_usage').select('disk_bytes').where('mailbox_id', '=', id).executeTakeFirstOrThrow()).disk_bytes);

describe('verification rounds with inotify', () => {
  it('looks inside a Maildir only when something happened there since it was measured', async () => {
    await settle();
    // First measured, then watched: the watch vouches only for what happens after it was put in place.
    expect(await round()).toEqual({ measured: 3, failed: 0, quiet: 0 });
    await settle();
    expect(await round()).toEqual({ measured: 3, failed: 0, quiet: 0 });
    await settle();
    expect(await round()).toEqual({ measured: 3, failed: 0, quiet: 3 });
    for (const b of boxes) expect(await diskBytes(b.id)).toBe(b.bytes);

    // A message copied into a folder behind Dovecot's back: seen by the next round.
    writeMessage(mailRoot, boxes[1].maildir, 5000, '.Trash', 'cur');
    expect(await round()).toEqual({ measured: 3, failed: 0, quiet: 2 });
    expect(await diskBytes(boxes[1].id)).toBe(1234 + 5000);
  });

  it('looks at a Maildir put in place of the watched one, even with the same root mtime', async () => {
    await settle();
    await round();
    await settle();
    expect((await round()).quiet).toBe(3);
    // The mailbox's directory swapped for a copy with one more message: no event reaches the old watches.
    const dir = path.join(mailRoot, boxes[2].maildir);
    const copy = `${dir}.restored`;
    cpSync(dir, copy, { recursive: true });
    writeMessage(mailRoot, `${boxes[2].maildir}.restored`, 777, '', 'cur');
    utimesSync(path.join(copy, 'Maildir'), 1_700_000_000, 1_700_000_000);
    renameSync(dir, `${dir}.old`);
    renameSync(copy, dir);
    // The old Maildir's own watches saw nothing; the watches on the directories above it did.
    const after = await round();
    expect(after.quiet).toBeLessThan(3);
    expect(await diskBytes(boxes[2].id)).toBe(1234 + 777);
  });
});
