// End to end: per-protocol switches and the three suspensions, obeyed by the real Dovecot (IMAP, POP3,
// SASL for Postfix's submission) and Postfix (incoming mail, sending) at the next login or message.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_SYSTEM } from '../../server/services/auth/principal.js';
import { type MailboxPatch, createMailbox, updateMailbox } from '../../server/services/mailboxes/service.js';
import { lastLoginsOf, unusedMailboxes } from '../../db/repositories/last-logins.js';
import { imapLogin } from '../support/imap.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { until } from '../support/wait.js';
import { type MailStack, type PolicyStub, makeMessage, pop3Login, sendMail, sieveLogin, startMailStack, startPolicyStub } from '../support/mail-stack.js';

const PASSWORD = 'correct-horse-battery';
const SENDER = 'sender@outside.test';
let tdb: TestDatabase;
let stack: MailStack;
let policy: PolicyStub;

const imap = (user: string, pass = PASSWORD) => imapLogin(stack, user, pass);
const pop3 = async (user: string, pass = PASSWORD) => (await pop3Login(stack.ports.pop3, user, pass)).ok;

/** Sends through submission as `user` to the other mailbox: the AUTH answer, then the RCPT answer. */
async function submit(user: string, pass = PASSWORD, from = user) {
  const to = 'other@gamma.test';
  const r = await sendMail({ port: stack.ports.submission, auth: { user, pass }, from, to: [to], message: makeMessage({ from, to, subject: 'sent' }) });
  return { auth: r.auth!.code, rcpt: r.rcpt[0]?.code ?? null, data: r.data[0]?.code ?? null };
}
/** Mail from outside to the mailbox through Postfix's port 25 service: the RCPT answer. */
async function receive(to: string) {
  const r = await sendMail({ port: stack.ports.smtp, from: SENDER, to: [to], message: makeMessage({ from: SENDER, to, subject: 'incoming' }) });
  return r.rcpt[0].code;
}

const sieve = async (user: string, pass = PASSWORD) => (await sieveLogin(stack.ports.sieve, user, pass)).ok;

/** What each protocol says now: IMAP, POP3, ManageSieve and submission sign-ins, and incoming mail at RCPT. */
async function picture(address: string) {
  return {
    imap: await imap(address),
    pop3: await pop3(address),
    sieve: await sieve(address),
    smtp: (await submit(address)).auth === 235,
    incoming: (await receive(address)) === 250,
  };
}
const patch = (address: string, p: MailboxPatch) => updateMailbox(tdb.db, OPERATOR_SYSTEM, address, p, 10);
const ALL = { imap: true, pop3: true, sieve: true, smtp: true, incoming: true };

beforeAll(async () => {
  tdb = await createTestDatabase();
  policy = await startPolicyStub(() => 'DUNNO');
  stack = await startMailStack({ databaseName: tdb.name, policyPort: policy.port });
  const r = await sql<{ id: number }>`INSERT INTO resellers (name) VALUES ('reseller') RETURNING id`.execute(tdb.db);
  const c = await sql<{
    id: number;
  }>`INSERT INTO customers (reseller_id, name, contact_email) VALUES (${r.rows[0].id}, 'customer', 'owner@outside.test') RETURNING id`.execute(tdb.db);
  await sql`INSERT INTO domains (customer_id, name) VALUES (${c.rows[0].id}, 'gamma.test')`.execute(tdb.db);
  for (const localPart of ['dana', 'other', 'erik']) await createMailbox(tdb.db, OPERATOR_SYSTEM, 'gamma.test', { localPart, password: PASSWORD }, 10);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await policy?.close();
  await tdb?.drop();
});

describe('who may send, receive and log in', () => {
  it('a mailbox sends through submission with its own password, only as itself, and the policy service sees it', async () => {
    expect(await submit('dana@gamma.test')).toEqual({ auth: 235, rcpt: 250, data: 250 });
    expect((await submit('dana@gamma.test', 'wrong-password-123')).auth).toBe(535);
    // A mailbox may not send as another one (reject_sender_login_mismatch).
    expect((await submit('dana@gamma.test', PASSWORD, 'other@gamma.test')).rcpt).toBe(553);
    // Without AUTH, submission relays nothing, even from loopback.
    const anonymous = await sendMail({
      port: stack.ports.submission,
      from: SENDER,
      to: ['other@gamma.test'],
      message: makeMessage({ from: SENDER, to: 'other@gamma.test', subject: 'x' }),
    });
    expect(anonymous.rcpt[0].code).toBe(554);
    expect(policy.requests.some((a) => a.sasl_username === 'dana@gamma.test' && a.protocol_state === 'RCPT')).toBe(true);
  });

  it('each protocol switch takes effect at the next login, and changes nothing else', async () => {
    const a = 'dana@gamma.test';
    expect(await picture(a)).toEqual(ALL);
    await patch(a, { smtp: false });
    expect(await picture(a)).toEqual({ ...ALL, smtp: false });
    await patch(a, { smtp: true, imap: false });
    expect(await picture(a)).toEqual({ ...ALL, imap: false });
    await patch(a, { imap: true, pop3: false });
    expect(await picture(a)).toEqual({ ...ALL, pop3: false });
    await patch(a, { pop3: true, sieve: false });
    expect(await picture(a)).toEqual({ ...ALL, sieve: false });
    expect(await sieve(a, 'wrong-password-123')).toBe(false);
    await patch(a, { sieve: true });
    expect(await picture(a)).toEqual(ALL);
  });

  it('each suspension stops only its own part: login, incoming, outgoing', async () => {
    const a = 'erik@gamma.test';
    expect(await picture(a)).toEqual(ALL);
    // A hijacked mailbox: it must stop sending, its owner keeps reading and receiving.
    await patch(a, { suspended: { outgoing: true } });
    expect(await picture(a)).toEqual({ ...ALL, smtp: false });
    await patch(a, { suspended: { outgoing: false, incoming: true } });
    expect(await picture(a)).toEqual({ ...ALL, incoming: false });
    await patch(a, { suspended: { incoming: false, login: true } });
    expect(await picture(a)).toEqual({ imap: false, pop3: false, sieve: false, smtp: false, incoming: true });
    await patch(a, { suspended: { login: false } });
    expect(await picture(a)).toEqual(ALL);
    // `active` still stops everything.
    await patch(a, { active: false });
    expect(await picture(a)).toEqual({ imap: false, pop3: false, sieve: false, smtp: false, incoming: false });
  });

  it('Dovecot records each sign-in per protocol and client address within a second', async () => {
    const a = 'other@gamma.test';
    expect(await lastLoginsOf(tdb.db, a)).toEqual([]);
    const before = Math.floor(Date.now() / 1000) * 1000;
    expect(await imap(a)).toBe(true);
    const [login] = await until(
      'the IMAP sign-in is recorded',
      () => lastLoginsOf(tdb.db, a),
      (x) => x.length === 1,
      1000,
      20,
    );
    expect(login).toMatchObject({ protocol: 'imap', ip: '127.0.0.1' });
    expect(login.at.getTime()).toBeGreaterThanOrEqual(before);
    expect(await pop3(a)).toBe(true);
    const both = await until(
      'the POP3 sign-in is recorded',
      () => lastLoginsOf(tdb.db, a),
      (x) => x.length === 2,
      1000,
      20,
    );
    expect(both.map((l) => l.protocol)).toEqual(['imap', 'pop3']);
    // A failed sign-in and a delivery are no sign-ins.
    expect(await imap('dana@gamma.test', 'wrong-password-123')).toBe(false);
    expect(await receive('dana@gamma.test')).toBe(250);
    await new Promise((r) => setTimeout(r, 500));
    const dana = await lastLoginsOf(tdb.db, 'dana@gamma.test');
    expect(dana.map((l) => l.protocol).sort()).toEqual(['imap', 'pop3']);
    // Staff's report: nobody signed in to a mailbox created long ago; the one just used is not in it.
    await sql`UPDATE mailboxes SET created_at = now() - interval '200 days'`.execute(tdb.db);
    await sql`UPDATE mailbox_last_logins SET at_epoch = at_epoch - 100 * 86400 WHERE address = 'dana@gamma.test'`.execute(tdb.db);
    const unused = await unusedMailboxes(tdb.db, { resellerId: null, customerId: null, domainId: null }, 90, 50, 0);
    expect(unused.map((m) => m.address)).toEqual(['dana@gamma.test']);
  });
});
