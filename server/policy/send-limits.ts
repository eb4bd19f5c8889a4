import type { Redis } from 'ioredis';
import { DAY_MS, HOUR_MS, LIMITS_UNAVAILABLE_REPLY, limitReply, type SendLimitKind, type SendLimits } from '../core/send-limits.js';

// The message counter behind the send limits: one sorted set per mailbox in Redis, a member per
// message scored by the time it was accepted, so "the last hour" and "the last day" are exact
// sliding windows (not fixed buckets that allow twice the limit across a boundary). Checking and
// counting are one Lua call: parallel sessions of one mailbox cannot both take the last place.

const RESERVE = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ${DAY_MS})
local perDay = tonumber(ARGV[3])
if perDay > 0 and redis.call('ZCARD', KEYS[1]) >= perDay then return 2 end
local perHour = tonumber(ARGV[2])
if perHour > 0 and redis.call('ZCOUNT', KEYS[1], '(' .. (now - ${HOUR_MS}), '+inf') >= perHour then return 1 end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], ${DAY_MS})
return 0`;

type Reserving = Redis & { sendReserve(key: string, now: number, perHour: number, perDay: number, member: string): Promise<number> };

export type Reservation = { ok: true } | { ok: false; kind: SendLimitKind; limit: number };

export class SendCounter {
  readonly #redis: Reserving;
  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('sendReserve', { numberOfKeys: 1, lua: RESERVE });
    this.#redis = redis as Reserving;
  }

  /**
   * Counts a message (`member`: its SMTP transaction, so counting it twice is harmless) unless the
   * mailbox already sent its hour's or day's share; then says which limit it reached. Rejects when
   * Redis does not answer (the caller applies SEND_LIMITS_REDIS_DOWN).
   */
  async reserve(mailboxId: number, limits: SendLimits, member: string, nowMs: number): Promise<Reservation> {
    const r = await this.#redis.sendReserve(`${this.prefix}:send:${mailboxId}`, nowMs, limits.perHour ?? 0, limits.perDay ?? 0, member);
    if (r === 2) return { ok: false, kind: 'perDay', limit: limits.perDay ?? 0 };
    if (r === 1) return { ok: false, kind: 'perHour', limit: limits.perHour ?? 0 };
    return { ok: true };
  }

  /** True the first time in an hour a mailbox breaches a kind of limit: only then is anyone told. */
  async firstBreachThisHour(mailboxId: number, kind: SendLimitKind): Promise<boolean> {
    return (await this.#redis.set(`${this.prefix}:send-breach:${mailboxId}:${kind}`, '1', 'PX', HOUR_MS, 'NX')) === 'OK';
  }
}

/** What one policy connection remembers of the SMTP transaction it is asked about (one smtpd process, one at a time). */
export interface Transaction {
  instance: string;
  recipients: number;
  /** The reply every further recipient of a message over the hour's or day's limit gets. */
  deferred: string | null;
}

export const newTransaction = (instance: string): Transaction => ({ instance, recipients: 0, deferred: null });

/** A breach reported to the worker (it counts them, tells those concerned and may suspend sending). */
export interface Breach {
  mailboxId: number;
  kind: SendLimitKind;
  limit: number;
  at: Date;
}

export interface SendLimiterOptions {
  /** Absent: no Redis, the limits per message are still enforced, the counts are not. */
  counter: SendCounter | null;
  /** SEND_LIMITS_REDIS_DOWN: open lets mail through uncounted, closed defers it until Redis answers. */
  redisDown: 'open' | 'closed';
  /** Called once per mailbox, kind and hour (the counter decides), never awaited by a decision. */
  onBreach: (b: Breach) => Promise<void>;
  onRedisError: (err: Error) => void;
  now?: () => number;
}

/**
 * The send limits of one recipient check from an authenticated sender: a reply when a limit stops it,
 * null to go on to the recipient's own checks. The first recipient of a message counts the message
 * (and waits for Redis); the others reuse that verdict from the connection's transaction.
 */
export class SendLimiter {
  readonly #o: SendLimiterOptions;
  readonly #now: () => number;
  constructor(o: SendLimiterOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  check(mailbox: { id: number; sendLimits: SendLimits }, instance: string, conn: { tx: Transaction | null }): string | null | Promise<string | null> {
    const limits = mailbox.sendLimits;
    if (!conn.tx || conn.tx.instance !== instance || instance === '') conn.tx = newTransaction(instance);
    const tx = conn.tx;
    if (tx.deferred) return tx.deferred;
    const most = limits.recipientsPerMessage;
    if (most !== null && tx.recipients >= most) return this.#breach(mailbox.id, 'recipientsPerMessage', most);
    tx.recipients++;
    if (tx.recipients > 1 || (limits.perHour === null && limits.perDay === null)) return null;
    const { counter } = this.#o;
    if (!counter) return null;
    const now = this.#now();
    return counter.reserve(mailbox.id, limits, `${now}:${instance}`, now).then(
      (r) => {
        if (r.ok) return null;
        tx.deferred = this.#breach(mailbox.id, r.kind, r.limit);
        return tx.deferred;
      },
      (err: Error) => {
        this.#o.onRedisError(err);
        if (this.#o.redisDown === 'open') return null;
        tx.deferred = LIMITS_UNAVAILABLE_REPLY;
        return tx.deferred;
      },
    );
  }

  #breach(mailboxId: number, kind: SendLimitKind, limit: number): string {
    const at = new Date(this.#now());
    void this.#o.counter
      ?.firstBreachThisHour(mailboxId, kind)
      .then((first) => (first ? this.#o.onBreach({ mailboxId, kind, limit, at }) : undefined))
      .catch((err: Error) => this.#o.onRedisError(err));
    return limitReply(kind, limit);
  }
}
