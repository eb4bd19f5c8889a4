// App passwords: a mail program gets its own password, limited to some protocols, optionally to a
// date and to client networks, revocable on its own; the main password may then be kept off
// protocols. Shown once; stored as argon2id, which Dovecot verifies (deploy/dovecot/dovecot-sql-app.conf.ext).
import { randomInt } from 'node:crypto';
import type { Db } from '../../../db/database.js';
import { isUniqueViolation } from '../../../db/errors.js';
import * as repo from '../../../db/repositories/app-passwords.js';
import { checkCidr } from '../../core/cidr.js';
import { MAX, checkName } from '../../core/text.js';
import { AppError, notFound } from '../../platform/errors.js';
import { hashPassword } from '../../platform/passwords.js';
import { recordChange } from '../audit/record.js';
import { type Principal, assertWritable } from '../auth/principal.js';
import { getMailboxOr404 } from '../mailboxes/service.js';

export const PROTOCOLS = ['imap', 'pop3', 'smtp', 'sieve'] as const;
export type Protocol = (typeof PROTOCOLS)[number];
/** A mailbox keeps at most this many: each is one more secret that can leak. */
export const MAX_APP_PASSWORDS = 20;

// Letters and digits that cannot be misread (no 0/o, 1/l/i): typed by hand into a phone now and then.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const random = (n: number) => Array.from({ length: n }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');

export interface AppPasswordInput {
  name: string;
  protocols: string[];
  expiresAt?: string | null;
  /** Client networks (CIDR); empty or absent: any. */
  networks?: string[];
}

function checkInput(input: AppPasswordInput, now: Date) {
  const name = checkName(input.name, 'The name', MAX.shortName);
  if (!name.ok) throw new AppError('validation', name.message, 'name');
  const protocols = [...new Set(input.protocols)];
  if (protocols.length === 0 || protocols.some((p) => !(PROTOCOLS as readonly string[]).includes(p)))
    throw new AppError('validation', 'Choose at least one of IMAP, POP3, SMTP and ManageSieve.', 'protocols');
  let expires: Date | null = null;
  if (input.expiresAt) {
    expires = new Date(input.expiresAt);
    if (Number.isNaN(expires.getTime()) || expires <= now) throw new AppError('validation', 'Enter a date in the future, or none.', 'expiresAt');
  }
  const nets: string[] = [];
  for (const raw of input.networks ?? []) {
    if (!raw.trim()) continue;
    const c = checkCidr(raw);
    if (!c.ok) throw new AppError('validation', c.message, 'networks');
    nets.push(c.value);
  }
  if (nets.length > 20) throw new AppError('validation', 'Enter at most 20 networks.', 'networks');
  return { name: name.value, protocols, expires, nets };
}

/** Creates one; the answer carries the password, shown this once. */
export async function createAppPassword(db: Db, p: Principal, address: string, input: AppPasswordInput) {
  assertWritable(p);
  const m = await getMailboxOr404(db, p, address);
  const v = checkInput(input, new Date());
  if ((await repo.countAppPasswords(db, m.id)) >= MAX_APP_PASSWORDS)
    throw new AppError('limit_exceeded', 'This mailbox has 20 app passwords already. Revoke one it no longer needs.', 'name', 'app_passwords');
  // Its first 8 characters are its id: Dovecot looks up exactly this row (see the migration).
  const id = random(8);
  const password = `${id}-${random(6)}-${random(6)}-${random(6)}`;
  try {
    return await db.transaction().execute(async (trx) => {
      const row = await repo.insertAppPassword(trx, {
        id,
        mailbox_id: m.id,
        name: v.name,
        password_hash: await hashPassword(password),
        protocols: v.protocols,
        expires_at: v.expires,
        allow_nets: v.nets.length ? v.nets.join(',') : null,
      });
      await recordChange(trx, p, {
        action: 'app_password.create',
        objectType: 'mailbox',
        objectId: m.address,
        resellerId: m.reseller_id,
        customerId: m.customer_id,
        after: { id, name: v.name, protocols: v.protocols, expiresAt: v.expires?.toISOString() ?? null, networks: v.nets },
      });
      return { ...row, password };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('conflict', 'Please try again.');
    throw err;
  }
}

export async function listAppPasswords(db: Db, p: Principal, address: string) {
  const m = await getMailboxOr404(db, p, address);
  return repo.appPasswordsOf(db, m.id);
}

export async function revokeAppPassword(db: Db, p: Principal, address: string, id: string) {
  assertWritable(p);
  const m = await getMailboxOr404(db, p, address);
  await db.transaction().execute(async (trx) => {
    if (!(await repo.deleteAppPassword(trx, m.id, id))) throw notFound('App password');
    await recordChange(trx, p, {
      action: 'app_password.revoke',
      objectType: 'mailbox',
      objectId: m.address,
      resellerId: m.reseller_id,
      customerId: m.customer_id,
      after: { id },
    });
  });
}
