// Room to delete, against the real Dovecot: a mailbox at 100 % refuses new mail, yet its owner can
// still move mail to Trash over IMAP and empty it, because the userdb gives Trash the plan's extra
// room (quota_rule2). A plan with no room is the control: there the same copy is refused.
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanNode } from '../../server/cli/scan.js';
import { silentLogger } from '../../server/policy/logger.js';
import { startPolicyServer } from '../../server/policy/server.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { bearer, seedTenants, type Tenants } from '../support/fixtures.js';
import { type MailStack, makeMessage, startMailStack } from '../support/mail-stack.js';
import { withImap as imap, messagesIn } from '../support/imap.js';

const PASSWORD = 'a long mailbox password';
let t: TestApp;
let w: Tenants;
let stack: MailStack;
let address: string;
const stops: (() => Promise<void>)[] = [];

const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers: bearer(w.A.key), ...(payload && { payload }) });

const withImap = <T>(fn: (c: ImapFlow) => Promise<T>) => imap(stack, address, PASSWORD, fn);

const message = (subject: string) => makeMessage({ from: 'a@outside.test', to: address, subject, padTo: 5000 });

async function measured() {
  const s = await scanNode(t.db, { node: 'local', mailRoot: stack.mailRoot, fullScanHours: 24 }, { full: true, total: 1 });
  expect(s.failed).toBe(0);
  return (await api('GET', `/mailboxes/${address}/usage`)).json() as { usedBytes: number; level: string; messages: number };
}

/** Whether APPEND to INBOX is refused for the quota (Dovecot: NO [OVERQUOTA]). */
async function appendRefused(c: ImapFlow) {
  try {
    await c.append('INBOX', message('one more'));
    return false;
  } catch (err) {
    return (err as { serverResponseCode?: string }).serverResponseCode === 'OVERQUOTA';
  }
}

beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  const policy = await startPolicyServer({ db: t.db, databaseUrl: t.database.url, host: '127.0.0.1', port: 0, logger: silentLogger });
  stops.push(() => policy.close());
  stack = await startMailStack({ databaseName: t.database.name, policyPort: policy.port });
  stops.push(() => stack.stop());
  address = `tidy@${w.A.domain.name}`;
  expect((await api('POST', `/domains/${w.A.domain.name}/mailboxes`, { localPart: 'tidy', password: PASSWORD, quotaBytes: 200_000 })).statusCode).toBe(201);
  await withImap(async (c) => {
    for (let i = 0; i < 12; i++) await c.append('INBOX', message(`message ${i}`));
  });
  // Exactly full: the quota becomes what the disk holds.
  const before = await measured();
  expect((await api('PATCH', `/mailboxes/${address}`, { quotaBytes: before.usedBytes })).statusCode).toBe(200);
  expect((await measured()).level).toBe('full');
});

afterAll(async () => {
  for (const stop of stops) await stop();
  await t.close();
});

describe('room to delete in a full mailbox', () => {
  it('without room (a plan with 0 %), copying to Trash is refused like any other save', async () => {
    await t.db.updateTable('plans').set({ trash_room_percent: 0 }).where('id', '=', w.A.planId).execute();
    expect((await api('PATCH', `/customers/${w.A.customer.id}`, { planId: w.A.planId })).statusCode).toBe(200);
    await withImap(async (c) => {
      expect(await appendRefused(c)).toBe(true);
      await c.mailboxOpen('INBOX');
      expect(await c.messageCopy('1', 'Trash')).toBe(false);
    });
  });

  it('with the default room, the owner moves mail to Trash and empties it; new mail is still refused', async () => {
    expect((await api('PATCH', `/customers/${w.A.customer.id}`, { planId: null })).statusCode).toBe(200);
    const full = await measured();
    await withImap(async (c) => {
      expect(await appendRefused(c)).toBe(true);
      await c.mailboxOpen('INBOX');
      // A copy (what clients without MOVE do first) and a move, both while the mailbox is at 100 %.
      expect(await c.messageCopy('1', 'Trash')).toBeTruthy();
      await c.messageDelete('1');
      expect(await c.messageMove('1:2', 'Trash')).toBeTruthy();
      expect(await messagesIn(c, 'Trash')).toBe(3);
      await c.mailboxOpen('Trash');
      expect(await c.messageDelete('1:*')).toBe(true);
      expect(await messagesIn(c, 'Trash')).toBe(0);
      expect(await messagesIn(c, 'INBOX')).toBe(9);
    });
    const after = await measured();
    expect(after.messages).toBe(full.messages - 3);
    expect(after.level).not.toBe('full');
    await withImap(async (c) => expect(await appendRefused(c)).toBe(false));
  });
});
