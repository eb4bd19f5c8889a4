// The mailbox owner's own sign-in: the mailbox's address and password, checked against the very hash
// Dovecot verifies, under the same throttle as panel logins. The session it opens sees that mailbox
// only (Principal.mailboxId narrows every mailbox query).
import type { Db } from '../../../db/database.js';
import { deleteMailboxSession, insertMailboxSession, loadMailboxSession, mailboxForSignIn } from '../../../db/repositories/mailbox-sessions.js';
import { checkAddress } from '../../core/address.js';
import { verifyNothing, verifyPassword } from '../../platform/passwords.js';
import { randomToken, sha256 } from '../../platform/tokens.js';
import type { Principal } from '../auth/principal.js';
import type { SecretThrottle } from '../auth/throttle.js';

export type OwnerSession = NonNullable<Awaited<ReturnType<typeof loadMailboxSession>>>;

export function ownerCookieName(secure: boolean) {
  return secure ? '__Host-mailpanel-mailbox' : 'mailpanel-mailbox';
}

export function ownerPrincipal(s: OwnerSession, ip: string): Principal {
  return {
    role: 'mailbox',
    resellerId: s.reseller_id,
    customerId: s.customer_id,
    domainId: s.domain_id,
    mailboxId: s.mailbox_id,
    readOnly: false,
    actor: { label: `mailbox:${s.address}`, userId: null, keyId: null, ip },
  };
}

type Refused = { ok: false; reason: 'throttled' | 'wrong' };
export type SignIn = { ok: true; token: string; address: string } | Refused;

interface Attempt {
  address: string;
  password: string;
  ip: string;
  device: string | null;
}

/**
 * Checks a mailbox's address and password under the throttle: at sign-in, and again before the owner
 * changes the password. The address is read as the mail system reads it (IDN to ASCII, lower case); a
 * wrong password, an unknown address and a suspended mailbox answer alike.
 */
export async function checkOwnerPassword(db: Db, throttle: SecretThrottle, input: Attempt): Promise<{ ok: true; id: number; address: string } | Refused> {
  const checked = checkAddress(input.address);
  const address = checked.ok ? checked.value.address : input.address.trim().toLowerCase();
  const attempt = { kind: 'mailbox' as const, account: address, ip: input.ip, device: input.device };
  if (!(await throttle.allowed(attempt))) return { ok: false, reason: 'throttled' };
  const box = checked.ok ? await mailboxForSignIn(db, address) : undefined;
  const ok = box ? await verifyPassword(box.password_hash, input.password) : await verifyNothing(input.password);
  if (!box || !ok || !box.enabled) {
    await throttle.failed(attempt);
    return { ok: false, reason: 'wrong' };
  }
  await throttle.succeeded(attempt);
  return { ok: true, id: box.id, address: box.address };
}

/** Signs an owner in: the check above, then a session of its own. */
export async function signInOwner(db: Db, throttle: SecretThrottle, input: Attempt): Promise<SignIn> {
  const r = await checkOwnerPassword(db, throttle, input);
  return r.ok ? { ok: true, token: await startOwnerSession(db, r.id), address: r.address } : r;
}

export async function startOwnerSession(db: Db, mailboxId: number): Promise<string> {
  const token = randomToken();
  await insertMailboxSession(db, { id_hash: sha256(token), mailbox_id: mailboxId, csrf_token: randomToken(24) });
  return token;
}

export const resumeOwnerSession = (db: Db, token: string, idleSeconds: number, absoluteSeconds: number) =>
  loadMailboxSession(db, sha256(token), idleSeconds, absoluteSeconds);

export const endOwnerSession = (db: Db, token: string) => deleteMailboxSession(db, sha256(token));
