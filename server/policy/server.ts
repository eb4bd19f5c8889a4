import net from 'node:net';
import type { Redis } from 'ioredis';
import type { Db } from '../../db/database.js';
import { MailboxCache } from './cache.js';
import {
  checkFullReply,
  decide,
  DEFAULT_FULL_REPLY,
  DEFER,
  lookupAddress,
  outcomeOf,
  REQUEST_ATTRIBUTES,
  type DecideOptions,
  type Lookup,
  type Outcome,
  type PolicyRequest,
} from './decide.js';
import type { PolicyLogger } from './logger.js';
import { formatReply, PolicyParser, type ParserLimits } from './protocol.js';
import { mailboxAddressOf } from './recipient.js';
import { type Breach, SendCounter, SendLimiter, type Transaction } from './send-limits.js';
import { SmtpLogins } from './smtp-logins.js';
import { MailboxSync, type SyncOptions } from './sync.js';

// The TCP side of the policy service: one parser per connection, answers in request order,
// decisions from the in-memory cache. Only recipient checks ever wait, and never longer than deadlineMs.

export interface PolicyServerOptions {
  db: Db;
  /** For the dedicated LISTEN connection (a pool connection cannot hold a LISTEN). */
  databaseUrl: string;
  host: string;
  /** 0 picks a free port; the handle says which. */
  port: number;
  logger: PolicyLogger;
  /** Action for a full mailbox; default "552 5.2.2 Mailbox full". */
  reply?: string;
  /** How long a recipient check may wait for an unloaded or reconnecting cache before DEFER_IF_PERMIT; far below Postfix's 100 s. */
  deadlineMs?: number;
  limits?: Partial<ParserLimits>;
  /** A connection that sends nothing for this long is closed; Postfix drops its own idle ones after 300 s. */
  idleTimeoutMs?: number;
  sync?: Pick<SyncOptions, 'backoffMs' | 'pingIntervalMs' | 'queryTimeoutMs' | 'batchSize'>;
  /** Send limits of authenticated senders (submission); without them no message is counted. */
  sendLimits?: {
    /** A connection of its own with a short command timeout: a decision never waits long for Redis. */
    redis: Redis;
    prefix: string;
    redisDown: 'open' | 'closed';
    onBreach: (b: Breach) => Promise<void>;
    now?: () => number;
  };
}

export type PolicyCounters = Record<Outcome, number>;

export interface PolicyServer {
  port: number;
  /** Decisions since start, for metrics. Live: read it, do not keep a copy. */
  readonly counters: Readonly<PolicyCounters>;
  readonly cache: MailboxCache;
  close(): Promise<void>;
}

// A client that stops reading its replies while pipelining would otherwise grow our write buffer without bound.
const MAX_UNSENT_BYTES = 1 << 20;

interface Queued {
  attrs: PolicyRequest;
  arrived: number;
  /** Its answer is being worked out (a count in Redis); then it is there. */
  pending?: Promise<string>;
  result?: string;
}

/** The authenticated sender of a submission request, as its mailbox is stored; null for mail from outside. */
function senderOf(attrs: PolicyRequest): string | null {
  return attrs.sasl_username ? mailboxAddressOf(attrs.sasl_username) : null;
}

function sendLimiter(o: PolicyServerOptions): SendLimiter | null {
  const s = o.sendLimits;
  if (!s) return null;
  let lastWarned = 0;
  return new SendLimiter({
    counter: new SendCounter(s.redis, s.prefix, (err, messages) =>
      o.logger.warn({ err, messages }, 'send limits: messages let through were not counted (Redis failed)'),
    ),
    redisDown: s.redisDown,
    onBreach: (b) => s.onBreach(b).catch((err: Error) => o.logger.warn({ err, mailboxId: b.mailboxId }, 'send limit breach not reported')),
    onRedisError: (err) => {
      // Loud once a minute at most: an outage fails every message's count.
      if (Date.now() - lastWarned < 60_000) return;
      lastWarned = Date.now();
      o.logger.warn(
        { err, redis_down: s.redisDown },
        `send limits: Redis does not answer; mail is ${s.redisDown === 'open' ? 'let through uncounted' : 'deferred'}`,
      );
    },
    now: s.now,
  });
}

export async function startPolicyServer(options: PolicyServerOptions): Promise<PolicyServer> {
  const decideOptions: DecideOptions = { fullReply: checkFullReply(options.reply ?? DEFAULT_FULL_REPLY) };
  const deadlineMs = options.deadlineMs ?? 1000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 600_000;
  const { logger } = options;
  const cache = new MailboxCache();
  const counters: PolicyCounters = { dunno: 0, reject: 0, defer: 0, limit: 0 };
  const limiter = sendLimiter(options);
  const logins = new SmtpLogins(options.db, logger);
  const sync = new MailboxSync({ db: options.db, databaseUrl: options.databaseUrl, cache, logger, ...options.sync });
  const sockets = new Set<net.Socket>();

  /**
   * The answer; null when it needs a cache that is not fresh right now; a promise when a sender's
   * message must first be counted (send limits, the first recipient of a message only).
   */
  function answer(attrs: PolicyRequest, mayWait: boolean, conn: { tx: Transaction | null }): string | null | Promise<string> {
    try {
      const address = lookupAddress(attrs);
      const sender = address === null ? null : senderOf(attrs);
      let lookup: Lookup = 'unknown';
      if (address !== null) {
        if (cache.state !== 'fresh') {
          if (mayWait) return null;
          lookup = 'unavailable';
        } else {
          lookup = cache.get(address) ?? 'unknown';
        }
      }
      const from = sender === null || lookup === 'unavailable' ? undefined : cache.get(sender);
      if (from && sender) logins.note(from, sender, attrs.client_address);
      const limited = from && limiter?.check(from, attrs.instance ?? '', conn);
      if (!limited) return settle(decide(attrs, lookup, decideOptions), attrs);
      if (typeof limited === 'string') return settleLimit(limited, attrs);
      // Whatever goes wrong after the count defers, as on the synchronous path (never an unhandled rejection).
      return limited
        .then((reply) => (reply === null ? settle(decide(attrs, lookup, decideOptions), attrs) : settleLimit(reply, attrs)))
        .catch((err: Error) => failed(err));
    } catch (err) {
      return failed(err as Error);
    }
  }

  // A bug here must not bounce mail: defer, and let the next restriction or the retry sort it out.
  function failed(err: Error): string {
    logger.error({ err }, 'policy decision failed');
    counters.defer++;
    return DEFER;
  }

  function settle(action: string, attrs: PolicyRequest): string {
    const outcome = outcomeOf(action);
    counters[outcome]++;
    if (outcome !== 'dunno') logger.debug({ outcome, recipient: attrs.recipient, size: attrs.size }, 'policy decision');
    return action;
  }

  function settleLimit(reply: string, attrs: PolicyRequest): string {
    counters.limit++;
    logger.debug({ outcome: 'limit', sender: attrs.sasl_username }, 'policy decision');
    return reply;
  }

  function serve(socket: net.Socket): void {
    sockets.add(socket);
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const parser = new PolicyParser({ ...options.limits, keep: REQUEST_ATTRIBUTES });
    // Requests behind one that waits (for the cache or for Redis), with their arrival time: replies keep request order.
    const queue: Queued[] = [];
    // The SMTP transaction this connection's smtpd process is in (send limits count per message).
    const conn: { tx: Transaction | null } = { tx: null };
    let waiting = false;
    let closing = false;

    const send = (out: string) => {
      if (out === '' || socket.destroyed) return;
      if (!socket.write(out) && socket.writableLength > MAX_UNSENT_BYTES) socket.pause();
    };

    const finishIfDone = () => {
      if (!closing || waiting) return;
      socket.end();
      // end() only half-closes; a peer that never closes its side must not hold the socket forever.
      setTimeout(() => socket.destroy(), 1000).unref();
    };

    // Answers queued requests until one has to wait for the cache or for its count.
    const drain = () => {
      // A connection gone meanwhile: what it asked is not worked out (nor counted) for nobody.
      if (socket.destroyed) {
        queue.length = 0;
        return;
      }
      let out = '';
      while (!waiting && queue.length > 0) {
        const item = queue[0];
        const remaining = item.arrived + deadlineMs - Date.now();
        const action = item.result ?? item.pending ?? answer(item.attrs, remaining > 0, conn);
        if (action === null) {
          waiting = true;
          void cache.whenFresh(remaining).then(() => {
            waiting = false;
            drain();
          });
          break;
        }
        if (typeof action !== 'string') {
          waitFor(item, action);
          break;
        }
        queue.shift();
        out += formatReply(action);
      }
      send(out);
      finishIfDone();
    };

    const waitFor = (item: Queued, pending: Promise<string>) => {
      waiting = true;
      item.pending = pending;
      // answer() catches what goes wrong after a count: `pending` always settles with an action.
      void pending.then((result) => {
        item.result = result;
        waiting = false;
        drain();
      });
    };

    socket.setNoDelay(true);
    socket.setTimeout(idleTimeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      if (closing) return;
      const { requests, error } = parser.push(chunk);
      if (waiting || queue.length > 0) {
        const now = Date.now();
        for (const attrs of requests) queue.push({ attrs, arrived: now });
      } else {
        // The hot path: the cache is fresh, so every answer is immediate and nothing is queued.
        let out = '';
        for (let i = 0; i < requests.length; i++) {
          const action = answer(requests[i], true, conn);
          if (typeof action !== 'string') {
            const now = Date.now();
            for (let j = i; j < requests.length; j++) queue.push({ attrs: requests[j], arrived: now });
            if (action !== null) waitFor(queue[0], action);
            break;
          }
          out += formatReply(action);
        }
        send(out);
      }
      if (error) {
        // Postfix's rule for a policy server in trouble: no reply, log, disconnect. The line itself may hold addresses, so it is not logged.
        logger.warn({ remote, error }, 'malformed policy request; closing the connection');
        closing = true;
      }
      if (queue.length > 0 && !waiting) drain();
      else finishIfDone();
    });
    socket.on('drain', () => socket.resume());
    socket.on('error', (err) => logger.debug({ remote, err }, 'policy connection error'));
    socket.on('close', () => sockets.delete(socket));
  }

  const server = net.createServer(serve);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err }, 'policy listener error'));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  // Listening before the cache is loaded is deliberate: until then recipient checks defer instead of Postfix timing out on connect.
  sync.start();
  logger.info({ host: options.host, port, deadline_ms: deadlineMs }, 'policy service listening');

  return {
    port,
    counters,
    cache,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await Promise.all([closed, sync.stop(), logins.close()]);
    },
  };
}
