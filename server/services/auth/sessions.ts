import type { Db } from '../../../db/database.js';
import { deleteSession, insertSession, loadSession } from '../../../db/repositories/sessions.js';
import type { Principal } from './principal.js';
import { randomToken, sha256 } from '../../platform/tokens.js';

export type SessionInfo = NonNullable<Awaited<ReturnType<typeof loadSession>>>;

export function cookieName(secure: boolean) {
  // __Host- requires Secure; the plain name is only for explicit plain-HTTP local use.
  return secure ? '__Host-mailpanel' : 'mailpanel';
}

/** A new session (always a new id: at login, after the second factor, when acting as a customer). */
export async function startSession(db: Db, userId: number, opts: { actingCustomerId?: number | null; pendingTotp?: boolean } = {}): Promise<string> {
  const token = randomToken();
  await insertSession(db, {
    id_hash: sha256(token),
    user_id: userId,
    csrf_token: randomToken(24),
    acting_customer_id: opts.actingCustomerId ?? null,
    pending_totp: !!opts.pendingTotp,
  });
  return token;
}

export function resumeSession(db: Db, token: string, idleSeconds: number, absoluteSeconds: number) {
  return loadSession(db, sha256(token), idleSeconds, absoluteSeconds);
}

export function endSession(db: Db, token: string) {
  return deleteSession(db, sha256(token));
}

export function principalFromSession(s: SessionInfo, ip: string): Principal {
  const acting = s.acting_customer_id;
  return {
    role: acting ? 'customer' : s.role,
    resellerId: s.reseller_id,
    customerId: acting ?? s.customer_id,
    domainId: null,
    readOnly: false,
    actor: { label: `user:${s.email}`, userId: s.user_id, keyId: null, ip },
  };
}
