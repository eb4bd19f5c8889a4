import pg from 'pg';
import type { Db } from '../../db/database.js';
import type { MailboxCache } from './cache.js';
import type { PolicyLogger } from './logger.js';
import { allMailboxes, mailboxesByAddress, rowOf, type Compiled } from './queries.js';

// Keeps the cache true to the database over one dedicated connection: LISTEN first, then a full
// load, then one re-read per announced address. A lost connection may have lost notifications,
// so every (re)connect starts over with a full load; until then the cache says it is stale.

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
  private readonly o: Required<SyncOptions>;
  private stopped = false;
  private client: pg.Client | null = null;
  private lost = false;
  private readonly pending = new Set<string>();
  private wake: (() => void) | null = null;
  private loop: Promise<void> = Promise.resolve();

  constructor(options: SyncOptions) {
    this.o = { backoffMs: { initial: 100, max: 5000 }, pingIntervalMs: 15_000, queryTimeoutMs: 30_000, batchSize: 2000, ...options };
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    this.client?.end().catch(() => {});
    await this.loop;
  }

  private async run(): Promise<void> {
    let delay = this.o.backoffMs.initial;
    let failures = 0;
    while (!this.stopped) {
      const client = this.connectionFor();
      try {
        await client.connect();
        // Announcements queued on an earlier connection are covered by the full load below.
        this.pending.clear();
        await client.query(`LISTEN ${CHANNEL}`);
        const all = await this.query(client, allMailboxes(this.o.db));
        this.o.cache.replaceAll(all.rows.map(rowOf));
        this.o.logger.info({ mailboxes: this.o.cache.size, after_failures: failures }, 'policy cache loaded');
        delay = this.o.backoffMs.initial;
        failures = 0;
        await this.follow(client);
      } catch (err) {
        if (!this.stopped) {
          failures++;
          // Loud at the start of an outage and about once a minute after (retries every few seconds at most).
          const log = failures === 1 || failures % 12 === 0 ? this.o.logger.warn : this.o.logger.debug;
          log.call(this.o.logger, { err, failures, retry_ms: delay }, 'policy cache: database unavailable, deferring recipient checks until it is back');
        }
      }
      this.o.cache.markStale();
      this.client = null;
      client.end().catch(() => {});
      if (this.stopped) break;
      await this.idle(delay);
      delay = Math.min(delay * 2, this.o.backoffMs.max);
    }
  }

  private connectionFor(): pg.Client {
    const client = new pg.Client({
      connectionString: this.o.databaseUrl,
      connectionTimeoutMillis: Math.min(5000, this.o.queryTimeoutMs),
      keepAlive: true,
      application_name: 'mailpanel-policy',
    });
    this.client = client;
    this.lost = false;
    // An unhandled 'error' on an idle client would crash the process; here it only means "reconnect".
    const onLost = () => {
      if (this.client !== client) return;
      this.lost = true;
      this.o.cache.markStale();
      this.wake?.();
    };
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', (msg) => {
      if (this.client !== client || !msg.payload) return;
      this.pending.add(msg.payload);
      this.wake?.();
    });
    return client;
  }

  /** Applies announced changes until the connection is lost (throws) or the service stops (returns). */
  private async follow(client: pg.Client): Promise<void> {
    while (!this.stopped) {
      if (this.lost) throw new Error('connection to the database lost');
      if (this.pending.size > 0) {
        const batch: string[] = [];
        for (const address of this.pending) {
          batch.push(address);
          this.pending.delete(address);
          if (batch.length >= this.o.batchSize) break;
        }
        // One connection, one query at a time: a later re-read never lands before an earlier one.
        const result = await this.query(client, mailboxesByAddress(this.o.db, batch));
        this.o.cache.applyReload(batch, result.rows.map(rowOf));
        continue;
      }
      const woken = await this.idle(this.o.pingIntervalMs);
      if (!woken && !this.stopped && !this.lost) await this.query(client, { sql: 'SELECT 1', parameters: [] }, Math.min(5000, this.o.queryTimeoutMs));
    }
  }

  private async query(client: pg.Client, q: Compiled, timeoutMs = this.o.queryTimeoutMs): Promise<pg.QueryResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`query took longer than ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([client.query(q.sql, q.parameters as unknown[]), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits up to ms; true when woken early by a notification, a lost connection or stop(). */
  private idle(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), ms);
      const finish = (woken: boolean) => {
        clearTimeout(timer);
        if (this.wake === wakeUp) this.wake = null;
        resolve(woken);
      };
      const wakeUp = () => finish(true);
      this.wake = wakeUp;
    });
  }
}
