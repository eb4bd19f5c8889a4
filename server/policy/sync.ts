import type pg from 'pg';
import type { Db } from '../../db/database.js';
import { ChannelListener, withTimeout } from '../../db/listen.js';
import type { MailboxCache } from './cache.js';
import type { PolicyLogger } from './logger.js';
import { allMailboxes, mailboxesByAddress, rowOf, type Compiled } from '../../db/repositories/policy.js';

// Keeps the cache true to the database over one dedicated connection (db/listen.ts): LISTEN first,
// then a full load, then one re-read per announced address. A lost connection may have lost
// notifications, so every (re)connect starts over with a full load; until then the cache says it is stale.

export const CHANNEL = 'mailpanel_mailbox';

export interface SyncOptions {
  db: Db;
  databaseUrl: string;
  cache: MailboxCache;
  logger: PolicyLogger;
  /** First and longest wait between reconnect attempts. */
  backoffMs?: { initial: number; max: number };
  /** An idle connection is probed this often, so one that died silently is noticed. */
  pingIntervalMs?: number;
  queryTimeoutMs?: number;
  /** Most addresses re-read in one query when many changes arrive at once (a scanner run). */
  batchSize?: number;
}

export class MailboxSync {
  readonly #listener: ChannelListener;

  constructor(o: SyncOptions) {
    const queryTimeoutMs = o.queryTimeoutMs ?? 30_000;
    const query = (client: pg.Client, q: Compiled) => withTimeout(client.query(q.sql, q.parameters as unknown[]), queryTimeoutMs);
    this.#listener = new ChannelListener(
      {
        databaseUrl: o.databaseUrl,
        channel: CHANNEL,
        applicationName: 'mailpanel-policy',
        backoffMs: o.backoffMs ?? { initial: 100, max: 5000 },
        pingIntervalMs: o.pingIntervalMs,
        probeTimeoutMs: Math.min(5000, queryTimeoutMs),
        batchSize: o.batchSize ?? 2000,
      },
      {
        catchUp: async (client, failures) => {
          const all = await query(client, allMailboxes(o.db));
          o.cache.replaceAll(all.rows.map(rowOf));
          o.logger.info({ mailboxes: o.cache.size, after_failures: failures }, 'policy cache loaded');
        },
        apply: async (client, addresses) => {
          const result = await query(client, mailboxesByAddress(o.db, addresses));
          o.cache.applyReload(addresses, result.rows.map(rowOf));
        },
        down: () => o.cache.markStale(),
        failed: (err, failures, retryMs) => {
          // Loud at the start of an outage and about once a minute after (retries every few seconds at most).
          const log = failures === 1 || failures % 12 === 0 ? o.logger.warn : o.logger.debug;
          log.call(o.logger, { err, failures, retry_ms: retryMs }, 'policy cache: database unavailable, deferring recipient checks until it is back');
        },
      },
    );
  }

  start(): void {
    this.#listener.start();
  }

  stop(): Promise<void> {
    return this.#listener.stop();
  }
}
