// End to end: app passwords and the main password's protocols, checked by the real Dovecot (IMAP,
// POP3, and SASL for Postfix's submission).
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppPassword, revokeAppPassword } from '../../server/services/app-passwords/service.js';
import { OPERATOR_SYSTEM } from '../../server/services/auth/principal.js';
import { createMailbox, updateMailbox } from '../../server/services/mailboxes/service.js';
import { imapLogin } from '../support/imap.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type MailStack, type PolicyStub, makeMessage, pop3Login, sendMail, startMailStack, startPolicyStub } from '../support/mail-stack.js';

const PASSWORD = 'correct-horse-battery';
const A = 'fay@delta.test';
let tdb: TestDatabase;
let stack: MailStack;
let policy: PolicyStub;

const imap = (user: string, pass: string) => imapLogin(stack, user, pass);
const pop3 = async (pass: string) => (await pop3Login(stack.ports.pop3, A, pass)).ok;
const smtp = async (pass: string) =>
  (await sendMail({ port: stack.ports.submission, auth: { user: A, pass }, from: A, to: [A], message: makeMessage({ from: A, to: A, subject: 'x' }) })).auth!
    .code === 235;
/** Where this password signs in: [imap, pop3, smtp]. */
const where = async (pass: string) => ({ imap: await imap(A, pass), pop3: await pop3(pass), smtp: await smtp(pass) });

beforeAll(async () => {
  tdb = await createTestDatabase();
  policy = await startPolicyStub(() => 'DUNNO');
  stack = await startMailStack({ databaseName: tdb.name, policyPort: policy.port });
  const r = await sql<{ id: number }>`INSERT INTO resellers (name) VALUES ('reseller') RETURNING id`.execute(tdb.db);
  const c = await sql<{
    id: number;
  }>`INSERT INTO customers (reseller_id, name, contact_email) VALUES (${r.rows[0].id}, 'customer', 'owner@outside.test') RETURNING id`.execute(tdb.db);
  await sql`INSERT INTO domains (customer_id, name) VALUES (${c.rows[0].id}, 'delta.test')`.execute(tdb.db);
  await createMailbox(tdb.db, OPERATOR_SYSTEM, 'delta.test', { localPart: 'fay', password: PASSWORD }, 10);
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await policy?.close();
  await tdb?.drop();
});

describe('app passwords', () => {
  it('one limited to IMAP signs in over IMAP only; the main password everywhere until kept off IMAP', async () => {
    const phone = await createAppPassword(tdb.db, OPERATOR_SYSTEM, A, { name: 'phone', protocols: ['imap'] });
    expect(phone.password).toMatch(/^[a-z2-9]{8}-/);
    expect(await where(phone.password)).toEqual({ imap: true, pop3: false, smtp: false });
    expect(await where(PASSWORD)).toEqual({ imap: true, pop3: true, smtp: true });
    // A wrong secret behind a right id is still wrong.
    expect(await imap(A, `${phone.password.slice(0, 9)}aaaaaa-aaaaaa-aaaaaa`)).toBe(false);

    await updateMailbox(tdb.db, OPERATOR_SYSTEM, A, { mainPasswordProtocols: ['pop3', 'smtp'] }, 10);
    expect(await where(PASSWORD)).toEqual({ imap: false, pop3: true, smtp: true });
    expect(await imap(A, phone.password)).toBe(true);
    // The mailbox's own switches still rule: IMAP off stops the app password too.
    await updateMailbox(tdb.db, OPERATOR_SYSTEM, A, { imap: false }, 10);
    expect(await imap(A, phone.password)).toBe(false);
    await updateMailbox(tdb.db, OPERATOR_SYSTEM, A, { imap: true, mainPasswordProtocols: ['imap', 'pop3', 'smtp', 'sieve'] }, 10);

    await revokeAppPassword(tdb.db, OPERATOR_SYSTEM, A, phone.id);
    expect(await imap(A, phone.password)).toBe(false);
  });

  it('an expired one fails everywhere; one limited to a network fails from elsewhere', async () => {
    const laptop = await createAppPassword(tdb.db, OPERATOR_SYSTEM, A, { name: 'laptop', protocols: ['imap', 'pop3', 'smtp'] });
    expect(await where(laptop.password)).toEqual({ imap: true, pop3: true, smtp: true });
    await sql`UPDATE app_passwords SET expires_at = now() - interval '1 second' WHERE id = ${laptop.id}`.execute(tdb.db);
    expect(await where(laptop.password)).toEqual({ imap: false, pop3: false, smtp: false });

    const office = await createAppPassword(tdb.db, OPERATOR_SYSTEM, A, { name: 'office', protocols: ['imap', 'smtp'], networks: ['203.0.113.0/24'] });
    expect(await where(office.password)).toEqual({ imap: false, pop3: false, smtp: false });
    const here = await createAppPassword(tdb.db, OPERATOR_SYSTEM, A, { name: 'here', protocols: ['imap', 'smtp'], networks: ['127.0.0.0/8'] });
    expect(await where(here.password)).toEqual({ imap: true, pop3: false, smtp: true });
    // Never stored in clear.
    const stored = await sql<{ password_hash: string }>`SELECT password_hash FROM app_passwords`.execute(tdb.db);
    for (const r of stored.rows) expect(r.password_hash).toMatch(/^\{ARGON2ID\}\$argon2id\$/);
  });
});
