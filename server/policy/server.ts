import net from 'node:net';
import type { Db } from '../../db/database.js';
import { MailboxCache } from './cache.js';
import { checkFullReply, decide, DEFAULT_FULL_REPLY, DEFER, lookupAddress, outcomeOf, type DecideOptions, type Lookup, type Outcome } from './decide.js';
import type { PolicyLogger } from './logger.js';
import { formatReply, PolicyParser, type ParserLimits, type PolicyAttributes } from './protocol.js';
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

export async function startPolicyServer(options: PolicyServerOptions): Promise<PolicyServer> {
  const decideOptions: DecideOptions = { fullReply: checkFullReply(options.reply ?? DEFAULT_FULL_REPLY) };
  const deadlineMs = options.deadlineMs ?? 1000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 600_000;
  const { logger } = options;
  const cache = new MailboxCache();
  const counters: PolicyCounters = { dunno: 0, reject: 0, defer: 0 };
  const sync = new MailboxSync({ db: options.db, databaseUrl: options.databaseUrl, cache, logger, ...options.sync });
  const sockets = new Set<net.Socket>();

  /** The answer, or null when it needs a cache that is not fresh right now. */
  function answer(attrs: PolicyAttributes, mayWait: boolean): string | null {
    let action: string;
    try {
      const address = lookupAddress(attrs);
      let lookup: Lookup = 'unknown';
      if (address !== null) {
        if (cache.state !== 'fresh') {
          if (mayWait) return null;
          lookup = 'unavailable';
        } else {
          lookup = cache.get(address) ?? 'unknown';
        }
      }
      action = decide(attrs, lookup, decideOptions);
    } catch (err) {
      // A bug here must not bounce mail: defer, and let the next restriction or the retry sort it out.
      logger.error({ err }, 'policy decision failed');
      action = DEFER;
    }
    const outcome = outcomeOf(action);
    counters[outcome]++;
    if (outcome !== 'dunno') logger.debug({ outcome, recipient: attrs.recipient, size: attrs.size }, 'policy decision');
    return action;
  }

  function serve(socket: net.Socket): void {
    sockets.add(socket);
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const parser = new PolicyParser(options.limits);
    // Requests behind one that waits for the cache, with their arrival time: replies must keep request order.
    const queue: { attrs: PolicyAttributes; arrived: number }[] = [];
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

    // Answers queued requests until one has to wait for the cache.
    const drain = () => {
      let out = '';
      while (!waiting && queue.length > 0) {
        const { attrs, arrived } = queue[0];
        const remaining = arrived + deadlineMs - Date.now();
        const action = answer(attrs, remaining > 0);
        if (action === null) {
          waiting = true;
          void cache.whenFresh(remaining).then(() => {
            waiting = false;
            drain();
          });
          break;
        }
        queue.shift();
        out += formatReply(action);
      }
      send(out);
      finishIfDone();
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
          const action = answer(requests[i], true);
          if (action === null) {
            const now = Date.now();
            for (let j = i; j < requests.length; j++) queue.push({ attrs: requests[j], arrived: now });
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
      await Promise.all([closed, sync.stop()]);
    },
  };
}
