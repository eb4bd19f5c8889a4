// End to end: a real Dovecot and Postfix (rendered from deploy/) obey what the panel writes.
// Rows above the mailbox are plain SQL; mailboxes go through the panel's business operations.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_SYSTEM } from '../../server/services/auth/principal.js';
import { createMailbox, updateMailbox } from '../../server/services/mailboxes/service.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { LineClient, type MailStack, type PolicyStub, makeMessage, pop3Login, sendMail, startMailStack, startPolicyStub } from '../support/mail-stack.js';

const MIN_PASSWORD = 10;
const PASSWORD = 'correct-horse-battery';
const SENDER = 'sender@outside.test';

let tdb: TestDatabase;
let stack: MailStack;
let policy: PolicyStub;
/** What the stand-in policy service answers per recipient (default DUNNO). */
const policyAnswers = new Map<string, string>();

async function tenant(domain: string): Promise<number> {
  const r = await sql<{ id: number }>`INSERT INTO resellers (name) VALUES (${`reseller of ${domain}`}) RETURNING id`.execute(tdb.db);
  const c = await sql<{ id: number }>`
    INSERT INTO customers (reseller_id, name, contact_email) VALUES (${r.rows[0].id}, ${`customer of ${domain}`}, 'owner@outside.test') RETURNING id`.execute(
    tdb.db,
  );
  await sql`INSERT INTO domains (customer_id, name) VALUES (${c.rows[0].id}, ${domain})`.execute(tdb.db);
  return c.rows[0].id;
}

const mailbox = (domain: string, localPart: string, opts: { quotaBytes?: number; imap?: boolean; pop3?: boolean } = {}) =>
  createMailbox(tdb.db, OPERATOR_SYSTEM, domain, { localPart, password: PASSWORD, ...opts }, MIN_PASSWORD);

function imapClient(user: string, pass: string) {
  const client = new ImapFlow({ host: '127.0.0.1', port: stack.ports.imap, secure: false, doSTARTTLS: false, auth: { user, pass }, logger: false });
  client.on('error', () => {});
  return client;
}

/** Logs in and out; true when Dovecot let the user in. */
async function imapLogin(user: string, pass = PASSWORD): Promise<boolean> {
  const client = imapClient(user, pass);
  try {
    await client.connect();
  } catch (err) {
    if ((err as { authenticationFailed?: boolean }).authenticationFailed) return false;
    throw err;
  }
  await client.logout();
  return true;
}

async function withImap<T>(user: string, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const client = imapClient(user, PASSWORD);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

const pop3 = async (user: string, pass = PASSWORD) => (await pop3Login(stack.ports.pop3, user, pass)).ok;

/** Waits until a message with this subject is in the mailbox's Maildir (new/ or cur/); returns its text. */
async function waitForMaildir(address: string, subject: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const sub of ['new', 'cur']) {
      const dir = join(stack.maildirOf(address), sub);
      for (const f of await readdir(dir).catch(() => [] as string[])) {
        const text = await readFile(join(dir, f), 'utf8');
        if (text.includes(`Subject: ${subject}\r\n`) || text.includes(`Subject: ${subject}\n`)) return text;
      }
    }
    if (Date.now() > deadline) throw new Error(`no "${subject}" for ${address} within ${timeoutMs} ms\n${await stack.logs()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const code = (r: { code: number }) => r.code;

beforeAll(async () => {
  tdb = await createTestDatabase();
  policy = await startPolicyStub((a) => policyAnswers.get((a.recipient ?? '').toLowerCase()) ?? 'DUNNO');
  stack = await startMailStack({ databaseName: tdb.name, policyPort: policy.port });
  await tenant('alpha.test');
  await tenant('beta.test');
});

afterAll(async () => {
  await stack?.stop();
  await policy?.close();
  await tdb?.drop();
});

describe('logins follow the panel', () => {
  it('IMAP works; POP3 stays refused until updateMailbox enables it, then the next login works', async () => {
    await mailbox('alpha.test', 'alice', { pop3: false });
    expect(await imapLogin('alice@alpha.test')).toBe(true);
    expect(await pop3('alice@alpha.test')).toBe(false);

    await updateMailbox(tdb.db, OPERATOR_SYSTEM, 'alice@alpha.test', { pop3: true }, MIN_PASSWORD);
    expect(await pop3('alice@alpha.test')).toBe(true);
    // Dovecot lower-cases the login name (auth_username_format = %Lu)
    expect(await imapLogin('Alice@Alpha.TEST')).toBe(true);
  });

  it('refuses a wrong password and an unknown user', async () => {
    expect(await imapLogin('alice@alpha.test', 'wrong-password-123')).toBe(false);
    expect(await pop3('alice@alpha.test', 'wrong-password-123')).toBe(false);
    expect(await imapLogin('nobody@alpha.test')).toBe(false);
  });

  it('a suspended mailbox (active=false) can use neither IMAP nor POP3 nor receive mail; re-activation restores it', async () => {
    await mailbox('alpha.test', 'bob');
    expect(await imapLogin('bob@alpha.test')).toBe(true);
    await updateMailbox(tdb.db, OPERATOR_SYSTEM, 'bob@alpha.test', { active: false }, MIN_PASSWORD);
    expect(await imapLogin('bob@alpha.test')).toBe(false);
    expect(await pop3('bob@alpha.test')).toBe(false);
    // nor does it receive: Postfix no longer lists it, Dovecot's userdb no longer knows it
    const msg = makeMessage({ from: SENDER, to: 'bob@alpha.test', subject: 'to a suspended mailbox' });
    expect((await sendMail({ port: stack.ports.smtp, from: SENDER, to: ['bob@alpha.test'], message: msg })).rcpt.map(code)).toEqual([550]);
    expect((await sendMail({ port: stack.ports.lmtp, lmtp: true, from: SENDER, to: ['bob@alpha.test'], message: msg })).rcpt.map(code)).toEqual([550]);
    await updateMailbox(tdb.db, OPERATOR_SYSTEM, 'bob@alpha.test', { active: true }, MIN_PASSWORD);
    expect(await pop3('bob@alpha.test')).toBe(true);
  });

  it('suspending the customer locks its mailboxes out and its domain stops receiving', async () => {
    await mailbox('beta.test', 'carol');
    expect(await imapLogin('carol@beta.test')).toBe(true);
    await sql`UPDATE customers SET active = false WHERE name = 'customer of beta.test'`.execute(tdb.db);
    expect(await imapLogin('carol@beta.test')).toBe(false);
    expect(await pop3('carol@beta.test')).toBe(false);
    const smtp = await sendMail({
      port: stack.ports.smtp,
      from: SENDER,
      to: ['carol@beta.test'],
      message: makeMessage({ from: SENDER, to: 'carol@beta.test', subject: 'to a suspended customer' }),
    });
    expect(smtp.rcpt.map(code)).toEqual([554]); // mail_domains no longer lists beta.test: relay access denied
  });
});

describe('mail flow', () => {
  it('mail sent through Postfix lands in the Maildir under mailRoot and IMAP shows it', async () => {
    const subject = `hello ${Date.now()}`;
    const r = await sendMail({
      port: stack.ports.smtp,
      from: SENDER,
      to: ['alice@alpha.test', 'nobody@alpha.test', 'someone@elsewhere.test'],
      message: makeMessage({ from: SENDER, to: 'alice@alpha.test', subject }),
    });
    expect(r.rcpt.map(code)).toEqual([250, 550, 554]); // unlisted recipient, relay attempt
    expect(r.data.map(code)).toEqual([250]);
    // the policy service is asked after reject_unauth_destination/reject_unlisted_recipient: only about alice
    expect(policy.requests.filter((a) => a.protocol_state === 'RCPT').map((a) => a.recipient)).toEqual(['alice@alpha.test']);

    const file = await waitForMaildir('alice@alpha.test', subject);
    expect(file).toMatch(/^Delivered-To: alice@alpha.test/m);
    const subjects = await withImap('alice@alpha.test', async (c) => {
      await c.mailboxOpen('INBOX');
      const out: string[] = [];
      for await (const m of c.fetch('1:*', { envelope: true })) out.push(m.envelope?.subject ?? '');
      return out;
    });
    expect(subjects).toContain(subject);
  });

  it('a policy service answer rejects at RCPT time', async () => {
    policyAnswers.set('alice@alpha.test', '552 5.2.2 Mailbox is full');
    try {
      const r = await sendMail({
        port: stack.ports.smtp,
        from: SENDER,
        to: ['alice@alpha.test'],
        message: makeMessage({ from: SENDER, to: 'alice@alpha.test', subject: 'refused' }),
      });
      expect(r.rcpt.map((x) => `${x.code} ${x.text}`)).toEqual([expect.stringMatching(/^552 5\.2\.2 .*Mailbox is full/)]);
    } finally {
      policyAnswers.clear();
    }
  });
});

describe('quota', () => {
  const full = 'full@alpha.test';
  const lmtp = (to: string, subject: string, padTo: number, port = stack.ports.lmtp) =>
    sendMail({ port, lmtp: true, from: SENDER, to: [to], message: makeMessage({ from: SENDER, to, subject, padTo }) });

  it('Dovecot refuses LMTP delivery and IMAP APPEND beyond the quota', async () => {
    await mailbox('alpha.test', 'full', { quotaBytes: 20_000 });
    expect((await lmtp(full, 'one', 8000)).data.map(code)).toEqual([250]);
    expect((await lmtp(full, 'two', 8000)).data.map(code)).toEqual([250]);
    // 16 kB used: another 8 kB does not fit (quota_grace = 0), refused while saving
    const third = await lmtp(full, 'three', 8000);
    expect(third.rcpt.map(code)).toEqual([250]);
    expect(third.data.map((r) => `${r.code} ${r.text}`)).toEqual([expect.stringMatching(/^552 5\.2\.2 /)]);

    const append = await withImap(full, (c) =>
      c.append('INBOX', makeMessage({ from: SENDER, to: full, subject: 'appended', padTo: 8000 })).then(
        () => null,
        (e: Error & { serverResponseCode?: string; responseText?: string }) => e,
      ),
    );
    expect(append).not.toBeNull();
    expect(`${append?.serverResponseCode} ${append?.responseText}`).toMatch(/OVERQUOTA|[Qq]uota/);

    // The panel lowers the quota below the usage: from now on LMTP refuses already at RCPT
    // (lmtp_rcpt_check_quota), and Dovecot's quota-status service calls the mailbox full.
    await updateMailbox(tdb.db, OPERATOR_SYSTEM, full, { quotaBytes: 10_000 }, MIN_PASSWORD);
    const small = await lmtp(full, 'tiny', 0);
    expect(small.rcpt.map((r) => `${r.code} ${r.text}`)).toEqual([expect.stringMatching(/^552 5\.2\.2 /)]);
    expect(small.data).toEqual([]);
    expect(await quotaStatus(full)).toBe('action=552 5.2.2 Mailbox is full');
    expect(await quotaStatus('alice@alpha.test')).toBe('action=DUNNO');
  });

  it('the notice path delivers the panel’s notice to the full mailbox; normal delivery stays refused', async () => {
    const notice = await lmtp(full, 'Your mailbox is full', 3000, stack.ports.lmtpNotice);
    expect(notice.rcpt.map(code)).toEqual([250]);
    expect(notice.data.map(code)).toEqual([250]);
    await waitForMaildir(full, 'Your mailbox is full');

    expect((await lmtp(full, 'after the notice', 0)).rcpt.map(code)).toEqual([552]);
    // the notice counts towards the usage like any message (IMAP reports whole kB)
    const quota = await withImap(full, (c) => c.getQuota('INBOX'));
    const storage = (quota ? quota.storage : undefined) ?? {};
    expect(storage.limit).toBeGreaterThan(9 * 1024); // the panel's 10,000 bytes
    expect(storage.limit).toBeLessThanOrEqual(10 * 1024);
    expect(storage.usage).toBeGreaterThanOrEqual(18 * 1024);
  });
});

describe('when the policy service is down', () => {
  it('Postfix applies smtpd_policy_service_default_action (DUNNO): mail is accepted and delivered', async () => {
    await policy.close();
    const subject = `policy down ${Date.now()}`;
    const r = await sendMail({
      port: stack.ports.smtp,
      from: SENDER,
      to: ['bob@alpha.test'],
      message: makeMessage({ from: SENDER, to: 'bob@alpha.test', subject }),
    });
    expect(r.rcpt.map(code)).toEqual([250]);
    await waitForMaildir('bob@alpha.test', subject);
  });
});

/** Asks Dovecot's quota-status service (Postfix policy protocol) about a 100-byte message. */
async function quotaStatus(recipient: string): Promise<string> {
  const c = await LineClient.connect(stack.ports.quotaStatus);
  try {
    c.write(`request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=${recipient}\nsize=100\n\n`);
    return await c.readLine();
  } finally {
    c.close();
  }
}
