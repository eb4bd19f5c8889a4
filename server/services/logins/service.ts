// Panel logins after they exist: changing one's own password, staff handing out a one-time link,
// removing a login (a departed employee), and "forgot password" by email.
import type { Db } from '../../../db/database.js';
import * as repo from '../../../db/repositories/logins.js';
import { insertAudit } from '../../../db/repositories/audit.js';
import { passwordHashOf } from '../../../db/repositories/users.js';
import { findSignInUser } from '../../../db/repositories/users.js';
import type { Mailer } from '../../platform/mailer.js';
import { hashPassword, passwordProblem, verifyPassword } from '../../platform/passwords.js';
import { type Principal, assertWritable } from '../auth/principal.js';
import { randomToken, sha256 } from '../../platform/tokens.js';
import { AppError, notFound } from '../../platform/errors.js';
import { recordChange } from '../audit/record.js';

/** A link staff hand out stays usable for three days; one sent by email for an hour. */
const STAFF_LINK_HOURS = 72;
const EMAIL_LINK_MINUTES = 60;

type Login = NonNullable<Awaited<ReturnType<typeof repo.getLogin>>>;

/** Staff manage the logins below them (the operator every other login); a customer its own customer's. */
export async function managedLogin(db: Db, p: Principal, id: number): Promise<Login> {
  const login = await repo.getLogin(db, id);
  const mine =
    !!login &&
    login.id !== p.actor.userId &&
    (p.role === 'operator' ||
      (p.role === 'reseller' && (login.reseller_id === p.resellerId || login.customer_reseller_id === p.resellerId) && login.role !== 'operator') ||
      (p.role === 'customer' && login.role === 'customer' && login.customer_id === p.customerId));
  if (!mine) throw notFound('Login');
  return login;
}

export async function removeLogin(db: Db, p: Principal, id: number) {
  assertWritable(p);
  const login = await managedLogin(db, p, id);
  await db.transaction().execute(async (trx) => {
    // Its sessions go with it (cascade): whoever is signed in with it is out at the next request.
    await repo.deleteLogin(trx, login.id);
    await recordChange(trx, p, {
      action: 'user.remove',
      objectType: 'user',
      objectId: login.email,
      resellerId: login.reseller_id ?? login.customer_reseller_id,
      customerId: login.customer_id,
      before: { email: login.email, role: login.role },
    });
  });
  return login;
}

/** A one-time link that sets a managed login's password (shown to the staff member once); its sessions end. */
export async function staffResetLink(db: Db, p: Principal, id: number, publicUrl: string) {
  assertWritable(p);
  const login = await managedLogin(db, p, id);
  const token = randomToken();
  await db.transaction().execute(async (trx) => {
    await repo.insertReset(trx, {
      token_hash: sha256(token),
      user_id: login.id,
      kind: 'staff',
      expires_at: new Date(Date.now() + STAFF_LINK_HOURS * 3600_000),
    });
    await repo.endSessionsOf(trx, login.id);
    await recordChange(trx, p, {
      action: 'user.reset_link',
      objectType: 'user',
      objectId: login.email,
      resellerId: login.reseller_id ?? login.customer_reseller_id,
      customerId: login.customer_id,
    });
  });
  return { login, url: `${publicUrl}/reset/${token}`, hours: STAFF_LINK_HOURS };
}

/** The signed-in user's own password: the current one is asked for, the user's other sessions end. */
export async function changeOwnPassword(
  db: Db,
  p: Principal,
  input: { userId: number; email: string; sessionIdHash: string; current: string; next: string },
  minPasswordLength: number,
) {
  const user = await passwordHashOf(db, input.userId);
  if (!(await verifyPassword(user.password_hash, input.current))) throw new AppError('validation', 'The current password is not right.', 'current');
  const weak = passwordProblem(input.next, minPasswordLength, [input.email]);
  if (weak) throw new AppError('validation', weak, 'password');
  const hash = await hashPassword(input.next);
  await db.transaction().execute(async (trx) => {
    await repo.setPassword(trx, input.userId, hash);
    await repo.endSessionsOf(trx, input.userId, input.sessionIdHash);
    await recordChange(trx, p, { action: 'user.password', objectType: 'user', objectId: input.email, resellerId: p.resellerId, customerId: p.customerId });
  });
}

/** The login a reset link is for, or null when the link is unknown, used or expired. */
export function resetFor(db: Db, token: string) {
  return repo.findUsableReset(db, sha256(token));
}

/** Sets the password through a link, once; every session of the login ends. */
export async function completeReset(db: Db, token: string, password: string, minPasswordLength: number, ip: string) {
  const reset = await resetFor(db, token);
  if (!reset) throw notFound('Link');
  const weak = passwordProblem(password, minPasswordLength, [reset.email]);
  if (weak) throw new AppError('validation', weak, 'password');
  const hash = await hashPassword(password);
  await db.transaction().execute(async (trx) => {
    if (!(await repo.useReset(trx, reset.token_hash))) throw notFound('Link');
    await repo.setPassword(trx, reset.user_id, hash);
    await repo.endSessionsOf(trx, reset.user_id);
    await insertAudit(trx, {
      actor: `reset-link:${reset.email}`,
      actor_user_id: reset.user_id,
      actor_key_id: null,
      ip,
      reseller_id: reset.reseller_id,
      customer_id: reset.customer_id,
      action: 'user.password_reset',
      object_type: 'user',
      object_id: reset.email,
      before: null,
      after: null,
    });
  });
  return reset;
}

/**
 * "Forgot password": for a login that may sign in, a link valid for an hour goes to its email
 * address. The caller answers the same whatever happened, so the form tells nobody which
 * addresses have logins.
 */
export async function requestEmailReset(db: Db, mailer: Mailer, email: string, publicUrl: string): Promise<boolean> {
  const user = await findSignInUser(db, email.trim().toLowerCase());
  if (!user?.may_sign_in) return false;
  const token = randomToken();
  await repo.insertReset(db, { token_hash: sha256(token), user_id: user.id, kind: 'email', expires_at: new Date(Date.now() + EMAIL_LINK_MINUTES * 60_000) });
  await mailer.send({
    to: user.email,
    subject: 'Set a new password for the control panel',
    text: [
      'Someone (hopefully you) asked for a new password for your control panel login.',
      '',
      `To set one, open this link within ${EMAIL_LINK_MINUTES} minutes. It works once:`,
      `${publicUrl}/reset/${token}`,
      '',
      'If it was not you, ignore this message: your password stays as it is.',
    ].join('\n'),
    messageId: `<reset-${sha256(token).slice(0, 16)}@mailpanel.invalid>`,
  });
  return true;
}
