import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { sha256 } from '../../platform/tokens.js';

// One throttle for every secret check (panel password, TOTP codes at sign-in and in the account
// page, mailbox passwords): guessing is slowed without handing an attacker a way to lock the owner
// out. Failures are counted in a one-hour window per kind of secret:
//   - per client address, over all accounts: an address that guesses widely is stopped;
//   - per account and address: an address that failed on an account often is stopped for it;
//   - per account: past SOFT_LIMIT, only addresses without any failure on the account may still
//     try (the owner at home, not the attacker who failed); past HARD_LIMIT, nobody may, except
//   - from a device that signed in to the account before (device cookie): counted on its own, so
//     the owner signs in from a known device whatever others did.
export const ADDRESS_LIMIT = 100;
export const ACCOUNT_ADDRESS_LIMIT = 10;
export const SOFT_LIMIT = 10;
export const HARD_LIMIT = 1000;
export const DEVICE_LIMIT = 10;
const WINDOW_SECONDS = 3600;
const DEVICE_DAYS = 90;

/** `reset`: password links, asked for by email and used. */
export type SecretKind = 'login' | 'totp' | 'mailbox' | 'reset';

export interface Attempt {
  kind: SecretKind;
  /** The account the secret belongs to, as typed (folded here). */
  account: string;
  ip: string;
  /** The device cookie, when the client sent one. */
  device?: string | null;
}

export class SecretThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private keys(a: Attempt) {
    // The same account however it is typed, so spaces or case cannot reach a fresh counter.
    const acct = sha256(`${a.kind}:${a.account.trim().toLowerCase()}`);
    const p = `${this.prefix}:secret-fail:${a.kind}`;
    return {
      address: `${p}:ip:${a.ip}`,
      accountAddress: `${p}:acct-ip:${acct}:${a.ip}`,
      account: `${p}:acct:${acct}`,
      device: a.device ? `${p}:dev:${acct}:${sha256(a.device)}` : null,
      trusted: a.device ? `${this.prefix}:device:${sha256(`${a.account.trim().toLowerCase()}:${a.device}`)}` : null,
    };
  }

  /** Whether this attempt may be checked at all; false means answer 429 without looking at the secret. */
  async allowed(a: Attempt): Promise<boolean> {
    const k = this.keys(a);
    const [address, accountAddress, account, device, trusted] = await this.redis.mget(
      k.address,
      k.accountAddress,
      k.account,
      k.device ?? k.address,
      k.trusted ?? k.address,
    );
    if (k.trusted && trusted === '1') return Number(device ?? 0) < DEVICE_LIMIT;
    if (Number(address ?? 0) >= ADDRESS_LIMIT) return false;
    if (Number(accountAddress ?? 0) >= ACCOUNT_ADDRESS_LIMIT) return false;
    const n = Number(account ?? 0);
    if (n >= HARD_LIMIT) return false;
    return n < SOFT_LIMIT || Number(accountAddress ?? 0) === 0;
  }

  async failed(a: Attempt): Promise<void> {
    const k = this.keys(a);
    const tx = this.redis.multi();
    const trusted = k.trusted ? (await this.redis.get(k.trusted)) === '1' : false;
    // A known device's failures are its own: they neither block nor are blocked by the others.
    const keys = trusted && k.device ? [k.device] : [k.address, k.accountAddress, k.account];
    for (const key of keys) tx.incr(key).expire(key, WINDOW_SECONDS, 'NX');
    await tx.exec();
  }

  /** After a full sign-in: this address's failures on the account are forgiven. */
  async succeeded(a: Attempt): Promise<void> {
    const k = this.keys(a);
    await this.redis.del(k.accountAddress, ...(k.device ? [k.device] : []));
  }

  /** Remembers the device that just signed in to `account`; returns the cookie value to set. */
  async trustDevice(account: string, existing?: string | null): Promise<string> {
    const device = existing && /^[A-Za-z0-9_-]{20,64}$/.test(existing) ? existing : randomBytes(24).toString('base64url');
    await this.redis.set(`${this.prefix}:device:${sha256(`${account.trim().toLowerCase()}:${device}`)}`, '1', 'EX', DEVICE_DAYS * 86400);
    return device;
  }

  async clearAccount(kind: SecretKind, account: string): Promise<void> {
    await this.redis.del(this.keys({ kind, account, ip: '' }).account);
  }
}

export const DEVICE_COOKIE_DAYS = DEVICE_DAYS;
