// Every spelling of a full mailbox's address that Postfix would deliver to it is refused at RCPT:
// real Postfix with our restrictions, our real policy service, a full mailbox.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeUsage } from '../../server/services/usage/store.js';
import { PolicyClient } from '../../server/policy/client.js';
import { startPolicyServer } from '../../server/policy/server.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { seedTenants, type Tenants } from '../support/fixtures.js';
import { LineClient, type MailStack, startMailStack } from '../support/mail-stack.js';

let t: TestApp;
let w: Tenants;
let stack: MailStack;
let policy: Awaited<ReturnType<typeof startPolicyServer>>;
const logger = pino(
  { level: 'silent' },
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  }),
);

beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  policy = await startPolicyServer({ db: t.db, databaseUrl: t.database.url, host: '127.0.0.1', port: 0, logger });
  stack = await startMailStack({ databaseName: t.database.name, policyPort: policy.port });
  // info@ of tenant A is full.
  await writeUsage(t.db, [{ mailboxId: w.A.mailbox.id, bytes: 524288000, messages: 1, scannedAt: new Date(), state: null, full: true }]);
  const c = await PolicyClient.connect('127.0.0.1', policy.port);
  for (let i = 0; i < 100; i++) {
    if ((await c.request({ request: 'smtpd_access_policy', protocol_state: 'RCPT', recipient: w.A.mailbox.address })).startsWith('552')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  c.close();
});
afterAll(async () => {
  await stack.stop();
  await policy.close();
  await t.close();
});

/** RCPT TO replies for each recipient, in one SMTP session through the real Postfix. */
async function rcptReplies(recipients: string[]) {
  const c = await LineClient.connect(stack.ports.smtp);
  try {
    await c.readReply();
    await c.command('EHLO client.example');
    const out: Record<string, string> = {};
    for (const to of recipients) {
      expect((await c.command('MAIL FROM:<sender@outside.test>')).code).toBe(250);
      const r = await c.command(`RCPT TO:<${to}>`);
      out[to] = `${r.code} ${r.text}`;
      await c.command('RSET');
    }
    await c.command('QUIT').catch(() => undefined);
    return out;
  } finally {
    c.close();
  }
}

describe('spellings of a full mailbox address', () => {
  it('every spelling Postfix accepts for delivery gets our 552, none is let through', async () => {
    const [local, domain] = w.A.mailbox.address.split('@');
    const spellings = [
      `${local}@${domain}`,
      `${local}@${domain}.`,
      `${local.toUpperCase()}@${domain.toUpperCase()}.`,
      `"${local}"@${domain}`,
      `"${local}"@${domain}.`,
      `"${local.slice(0, 1)}\\${local.slice(1)}"@${domain}`,
      `@mx.mailpanel.test:${local}@${domain}`,
      `@a.example,@b.example:${local}@${domain}.`,
      `${local}+tag@${domain}`,
      `${local}@${domain}..`,
    ];
    const replies = await rcptReplies(spellings);
    for (const [to, reply] of Object.entries(replies)) expect(reply, to).toMatch(/^5\d\d /);
    // The plain spelling and the ones Postfix canonicalises to it are refused by us, for being full.
    for (const to of spellings.slice(0, 8)) expect(replies[to], to).toMatch(/^552 .*Mailbox full/);
  });

  it('another mailbox of the same domain, with room, is still accepted in those spellings', async () => {
    const replies = await rcptReplies([`${w.B.mailbox.address}.`, `"${w.B.mailbox.address.split('@')[0]}"@${w.B.mailbox.address.split('@')[1]}`]);
    for (const [to, reply] of Object.entries(replies)) expect(reply, to).toMatch(/^250 /);
  });
});
