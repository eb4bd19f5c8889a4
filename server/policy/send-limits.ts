import type { Redis } from 'ioredis';
import { DAY_MS, HOUR_MS, LIMITS_UNAVAILABLE_REPLY, countsMessages, limitReply, type SendLimitKind, type SendLimits } from '../core/send-limits.js';

// The message counter behind the send limits: one sorted set per mailbox in Redis, a member per
// message scored by the time it was accepted, so "the last hour" and "the last day" are exact
// sliding windows (not fixed buckets that allow twice the limit across a boundary). Checking and
// counting are one Lua script: parallel sessions of one mailbox cannot both take the last place.
// (The keys of a batch may name many mailboxes: one Redis, not a cluster.)

// One call counts a batch: every check that arrived in the same turn of the event loop (Postfix's
// processes ask in parallel), so a busy service makes one round trip per turn, not one per message.
// Entries run in order, so two messages of one mailbox in a batch are counted one after the other.
// KEYS[i]: the mailbox's window; ARGV[1]: one line per key, "now perHour perDay force member" (limits
// 0: none; force 1: already let through, count it whatever the limits; member: the message, never
// holds a line break). One string rather than five arguments per entry: building the command is most
// of what a count costs the service, in time and in garbage. Every line is read before anything is
// written, so a batch that does not parse changes nothing. The windows are counted with ZCOUNT, so
// members older than a day need not be gone: they are trimmed now and then (one add in 16), not at
// every count. Returns code, hour and day counts per entry.
const RESERVE = `
local nows, hours, days, forces, members = {}, {}, {}, {}, {}
for line in string.gmatch(ARGV[1], '[^\\n]+') do
  local now, perHour, perDay, force, member = string.match(line, '^(%d+) (%d+) (%d+) ([01]) (.*)$')
  if not now then return redis.error_reply('send limits: entry ' .. (#nows + 1) .. ' does not parse') end
  local n = #nows + 1
  nows[n], hours[n], days[n], forces[n], members[n] = tonumber(now), tonumber(perHour), tonumber(perDay), force == '1', member
end
if #nows ~= #KEYS then return redis.error_reply('send limits: ' .. #KEYS .. ' keys, ' .. #nows .. ' entries') end
local out = {}
for i = 1, #KEYS do
  local key, now = KEYS[i], nows[i]
  local day = redis.call('ZCOUNT', key, '(' .. (now - ${DAY_MS}), '+inf')
  local hour = redis.call('ZCOUNT', key, '(' .. (now - ${HOUR_MS}), '+inf')
  local code = 0
  if not forces[i] and days[i] > 0 and day >= days[i] then
    code = 2
  elseif not forces[i] and hours[i] > 0 and hour >= hours[i] then
    code = 1
  else
    -- NX: a message counted before (the same transaction asked again after a reconnect) is not counted twice.
    local added = redis.call('ZADD', key, 'NX', now, members[i])
    redis.call('PEXPIRE', key, ${DAY_MS})
    if added == 1 and now % 16 == 0 then redis.call('ZREMRANGEBYSCORE', key, '-inf', now - ${DAY_MS}) end
    day = day + added
    hour = hour + added
  end
  out[3 * i - 2] = code
  out[3 * i - 1] = hour
  out[3 * i] = day
end
return out`;

/** Most checks counted in one call; more wait for the next. */
const MAX_BATCH = 500;
/** How long a count nobody waits for may gather with others before it is sent. */
const LATER_MS = 10;
/**
 * How long what Redis last said of a mailbox's counts lets the next message through without waiting:
 * while its counts (and this service's messages since) stay a tenth below each limit, the message is
 * answered at once and counted in the next batch. Nearer a limit, or with nothing recent known, every
 * message waits for Redis' verdict, so the limit itself holds exactly.
 */
const KNOWN_MS = 5000;

type Reserving = Redis & { sendReserve(keys: number, ...args: (string | number)[]): Promise<number[]> };

export type Reservation = { ok: true } | { ok: false; kind: SendLimitKind; limit: number };
const OK: Reservation = { ok: true };
/**
 * A member as one line of the batch. Postfix's instance never holds a line break; for any other
 * caller "a\nb" and "a b" become the same message (counted once), which errs on the sender's side.
 */
const oneLine = (member: string) => (member.includes('\n') ? member.replaceAll('\n', ' ') : member);
/** The answer of a count nobody waits for (it was answered at once). */
const NOBODY = () => {};

interface Pending {
  /** The mailbox's entry: its key, and the figures the answer updates (held, so never swept meanwhile: inFlight > 0). */
  known: Known;
  limits: SendLimits;
  member: string;
  now: number;
  /** Already let through (see KNOWN_MS): counted whatever the limits, nobody waits for it. */
  force: boolean;
  resolve: (r: Reservation) => void;
  reject: (err: Error) => void;
}

/** What Redis last said of a mailbox's windows (at: when; 0: nothing usable), and this service's counts not answered yet. */
interface Known {
  /** The mailbox's window in Redis (made once, not at every count). */
  readonly key: string;
  hour: number;
  day: number;
  at: number;
  /** Every count sent or waiting to be sent, fast or not: each may take a place the known figures do not show. */
  inFlight: number;
}

/** Room for one more, a tenth of the limit (at least one message) kept back for other services and races. */
const roomFor = (limit: number | null, count: number) => limit === null || count + 1 <= limit - Math.max(1, Math.ceil(limit / 10));

export class SendCounter {
  readonly #redis: Reserving;
  #pending: Pending[] = [];
  #immediate = false;
  #timer: NodeJS.Timeout | undefined;
  #known = new Map<number, Known>();
  #swept = Date.now();
  constructor(
    redis: Redis,
    private readonly prefix: string,
    /** Messages already let through (KNOWN_MS) whose count Redis then failed: said, not lost silently. */
    private readonly onUncounted: (err: Error, messages: number) => void = () => {},
  ) {
    redis.defineCommand('sendReserve', { lua: RESERVE });
    this.#redis = redis as Reserving;
  }

  /**
   * Counts a message (`member`: its SMTP transaction) unless the mailbox already sent its hour's or
   * day's share; then says which limit it reached. Answers at once for a mailbox known to be well
   * below its limits (KNOWN_MS); rejects when Redis does not answer (the caller applies SEND_LIMITS_REDIS_DOWN).
   */
  reserve(mailboxId: number, limits: SendLimits, member: string, nowMs: number): Reservation | Promise<Reservation> {
    const k = this.#knownOf(mailboxId);
    const fast = Date.now() - k.at < KNOWN_MS && roomFor(limits.perHour, k.hour + k.inFlight) && roomFor(limits.perDay, k.day + k.inFlight);
    k.inFlight++;
    if (!fast) return this.#waitFor(k, limits, member, nowMs);
    this.#add({ known: k, limits, member, now: nowMs, force: true, resolve: NOBODY, reject: NOBODY });
    return OK;
  }

  // Apart from reserve(): its closure would otherwise be allocated for every message, fast or not.
  #waitFor(known: Known, limits: SendLimits, member: string, now: number): Promise<Reservation> {
    return new Promise((resolve, reject) => this.#add({ known, limits, member, now, force: false, resolve, reject }));
  }

  // A check someone waits for goes out at the end of this turn of the event loop; counts nobody waits
  // for (answered at once, see KNOWN_MS) gather for up to LATER_MS first, so they cost fewer calls.
  #add(p: Pending): void {
    this.#pending.push(p);
    if (this.#immediate) return;
    if (!p.force) {
      this.#immediate = true;
      setImmediate(() => this.#flush());
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => this.#flush(), LATER_MS);
    }
  }

  #flush(): void {
    this.#immediate = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending.splice(0, MAX_BATCH);
    if (this.#pending.length > 0) {
      this.#immediate = true;
      setImmediate(() => this.#flush());
    }
    if (batch.length === 0) return;
    this.#sweep();
    const keys = batch.map((p) => p.known.key);
    const entries = batch
      .map((p) => `${Math.floor(p.now)} ${p.limits.perHour ?? 0} ${p.limits.perDay ?? 0} ${p.force ? 1 : 0} ${oneLine(p.member)}`)
      .join('\n');
    this.#redis.sendReserve(batch.length, ...keys, entries).then(
      (out) => {
        const at = Date.now();
        batch.forEach((p, i) => {
          const k = this.#answered(p);
          // In order: the figures after this entry; later batches' entries are still in inFlight.
          k.hour = out[3 * i + 1];
          k.day = out[3 * i + 2];
          k.at = at;
          const code = out[3 * i];
          if (code === 2) p.resolve({ ok: false, kind: 'perDay', limit: p.limits.perDay ?? 0 });
          else if (code === 1) p.resolve({ ok: false, kind: 'perHour', limit: p.limits.perHour ?? 0 });
          else p.resolve(OK);
        });
      },
      (err: Error) => {
        // Nothing known can be trusted now: the next messages wait for Redis (and SEND_LIMITS_REDIS_DOWN).
        for (const k of this.#known.values()) k.at = 0;
        for (const p of batch) {
          this.#answered(p);
          p.reject(err);
        }
        const uncounted = batch.filter((p) => p.force).length;
        if (uncounted) this.onUncounted(err, uncounted);
      },
    );
  }

  #knownOf(mailboxId: number): Known {
    let k = this.#known.get(mailboxId);
    if (!k) {
      k = { key: `${this.prefix}:send:${mailboxId}`, hour: 0, day: 0, at: 0, inFlight: 0 };
      this.#known.set(mailboxId, k);
    }
    return k;
  }

  /** The mailbox's entry, one count fewer waiting. */
  #answered(p: Pending): Known {
    const k = p.known;
    k.inFlight = Math.max(0, k.inFlight - 1);
    return k;
  }

  /** Forgets what is too old to use, now and then (the map holds recent senders only). */
  #sweep(): void {
    const now = Date.now();
    if (now - this.#swept < KNOWN_MS * 4) return;
    this.#swept = now;
    for (const [id, k] of this.#known) if (now - k.at >= KNOWN_MS && k.inFlight === 0) this.#known.delete(id);
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
  counter: SendCounter;
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
    if (tx.recipients > 1 || !countsMessages(limits)) return null;
    const now = this.#now();
    const deny = (r: Reservation) => {
      if (r.ok) return null;
      tx.deferred = this.#breach(mailbox.id, r.kind, r.limit);
      return tx.deferred;
    };
    // The transaction names the message: counted once however often it is asked about.
    const r = this.#o.counter.reserve(mailbox.id, limits, instance || `${now}:${Math.random()}`, now);
    if (!(r instanceof Promise)) return deny(r);
    return r.then(deny, (err: Error) => {
      this.#o.onRedisError(err);
      if (this.#o.redisDown === 'open') return null;
      tx.deferred = LIMITS_UNAVAILABLE_REPLY;
      return tx.deferred;
    });
  }

  #breach(mailboxId: number, kind: SendLimitKind, limit: number): string {
    const at = new Date(this.#now());
    void this.#o.counter
      .firstBreachThisHour(mailboxId, kind)
      .then((first) => (first ? this.#o.onBreach({ mailboxId, kind, limit, at }) : undefined))
      .catch((err: Error) => this.#o.onRedisError(err));
    return limitReply(kind, limit);
  }
}
