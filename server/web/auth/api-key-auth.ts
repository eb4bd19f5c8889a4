import type { Db } from '../../../db/database.js';
import { findUsableKey, touchKey } from '../../../db/repositories/api-keys.js';
import { ipAllowed } from '../../core/cidr.js';
import { AppError } from '../../platform/errors.js';
import type { Principal } from '../../services/auth/principal.js';
import { parseApiKey, safeEqual, sha256 } from '../../platform/tokens.js';

/** Turns an `Authorization: Bearer <key>` header into a principal, or throws 401. */
export async function principalFromApiKey(db: Db, header: string | undefined, ip: string): Promise<Principal> {
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  const parsed = m ? parseApiKey(m[1]) : null;
  if (!parsed) throw new AppError('unauthorized', 'Send a valid API key as "Authorization: Bearer <key>".');
  const key = await findUsableKey(db, parsed.prefix);
  if (!key || !safeEqual(key.secret_hash, sha256(parsed.secret))) throw new AppError('unauthorized', 'The API key is invalid, revoked or expired.');
  if (key.allowed_cidrs?.length && !ipAllowed(ip, key.allowed_cidrs)) throw new AppError('unauthorized', 'The API key may not be used from this address.');
  // last_used_at is informational; don't make the request wait for it.
  touchKey(db, key.id).catch(() => {});
  const role = key.reseller_id === null ? 'operator' : key.customer_id === null ? 'reseller' : 'customer';
  return {
    role,
    resellerId: key.reseller_id,
    customerId: key.customer_id,
    domainId: key.domain_id,
    readOnly: key.read_only,
    actor: { label: `api-key:${key.prefix} (${key.name})`, userId: null, keyId: key.id, ip },
  };
}
