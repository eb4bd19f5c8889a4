import type { Redis } from 'ioredis';
import { sha256 } from './tokens.js';

// Failed logins are counted per account and per client address in a one-hour window. Once either
// count reaches the limit, further attempts are refused until the window ends: the operator is
// never locked out for longer than that.
export const FAILURE_LIMIT = 100;
const WINDOW_SECONDS = 3600;

export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private keys(email: string, ip: string) {
    // The same account however it is typed, so spaces or case cannot reach a fresh counter.
    return [`${this.prefix}:login-fail:acct:${sha256(email.trim().toLowerCase())}`, `${this.prefix}:login-fail:ip:${ip}`];
  }

  async isBlocked(email: string, ip: string): Promise<boolean> {
    const counts = await this.redis.mget(...this.keys(email, ip));
    return counts.some((c) => Number(c ?? 0) >= FAILURE_LIMIT);
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    const tx = this.redis.multi();
    for (const key of this.keys(email, ip)) tx.incr(key).expire(key, WINDOW_SECONDS, 'NX');
    await tx.exec();
  }

  async clearAccount(email: string): Promise<void> {
    await this.redis.del(this.keys(email, '')[0]);
  }
}
