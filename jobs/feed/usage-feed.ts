// Follows Dovecot's change feed: the dovecot_quota rows its quota_clone plugin writes after every
// delivery, expunge and copy. One dedicated connection LISTENs; every (re)connect first applies
// whatever changed during the gap, so a lost notification delays a figure but never loses it.
// Applied figures go through writeUsage like scan results (ordered by measurement time), then
// to the same callback as scans: level-change log and quota warnings.
import pg from 'pg';
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import { pendingFeedRows } from '../../db/repositories/usage-feed.js';
import { feedConnected, feedGaps, feedLag, feedUpdates } from '../../server/metrics.js';
import { writeUsage, type WriteOutcome } from '../usage-store.js';

export const FEED_CHANNEL = 'mailpanel_usage_feed';

export interface UsageFeedOptions {
  db: Db;
  databaseUrl: string;
  logger: Logger;
  /** What follows a write: the worker logs level changes and queues warnings. */
  onWritten: (outcome: WriteOutcome) => Promise<void>;
  backoffMs?: { initial: number; max: number };
  /** An idle connection is probed this often, so one that died silently is noticed. */
  pingIntervalMs?: number;
}

export class UsageFeed {
  #stopped = false;
  #client: pg.Client | null = null;
  #pending = new Set<string>();
  #wake: (() => void) | null = null;
  #lost = false;
  #loop: Promise<void> = Promise.resolve();

  constructor(private readonly o: UsageFeedOptions) {}

  start(): void {
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    this.#client?.end().catch(() => {});
    await this.#loop;
    feedConnected.set(0);
  }

  async #run(): Promise<void> {
    const backoff = this.o.backoffMs ?? { initial: 200, max: 5000 };
    let delay = backoff.initial;
    let failures = 0;
    while (!this.#stopped) {
      const client = this.#connect();
      try {
        await client.connect();
        this.#pending.clear();
        await client.query(`LISTEN ${FEED_CHANNEL}`);
        // Whatever Dovecot wrote while nobody listened.
        const caughtUp = await this.#apply();
        feedConnected.set(1);
        if (failures > 0 || caughtUp > 0) this.o.logger.info({ caughtUp, afterFailures: failures }, 'usage feed connected');
        delay = backoff.initial;
        failures = 0;
        await this.#follow(client);
      } catch (err) {
        if (!this.#stopped) {
          failures++;
          feedGaps.inc();
          const log = failures === 1 || failures % 12 === 0 ? this.o.logger.warn : this.o.logger.debug;
          log.call(this.o.logger, { err, failures, retryMs: delay }, 'usage feed: gap (database unavailable); usage comes from scans until it is back');
        }
      }
      feedConnected.set(0);
      this.#client = null;
      client.end().catch(() => {});
      if (this.#stopped) break;
      await this.#idle(delay);
      delay = Math.min(delay * 2, backoff.max);
    }
  }

  #connect(): pg.Client {
    const client = new pg.Client({ connectionString: this.o.databaseUrl, connectionTimeoutMillis: 5000, keepAlive: true, application_name: 'mailpanel-feed' });
    this.#client = client;
    this.#lost = false;
    const onLost = () => {
      if (this.#client !== client) return;
      this.#lost = true;
      this.#wake?.();
    };
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', (msg) => {
      if (this.#client !== client || !msg.payload) return;
      this.#pending.add(msg.payload);
      this.#wake?.();
    });
    return client;
  }

  async #follow(client: pg.Client): Promise<void> {
    while (!this.#stopped) {
      if (this.#lost) throw new Error('connection to the database lost');
      if (this.#pending.size > 0) {
        const users = [...this.#pending].slice(0, 1000);
        for (const u of users) this.#pending.delete(u);
        await this.#apply(users);
        continue;
      }
      const woken = await this.#idle(this.o.pingIntervalMs ?? 15_000);
      if (!woken && !this.#stopped && !this.#lost) await client.query('SELECT 1');
    }
  }

  /** Applies Dovecot's figures newer than the mailboxes' current ones; returns how many. */
  async #apply(usernames?: string[]): Promise<number> {
    const rows = await pendingFeedRows(this.o.db, usernames);
    if (rows.length === 0) return 0;
    const outcome = await writeUsage(
      this.o.db,
      rows.map((r) => ({ mailboxId: r.mailboxId, bytes: r.bytes, messages: r.messages, scannedAt: r.at, state: null, full: false, source: 'dovecot' as const })),
    );
    const now = Date.now();
    for (const r of rows) feedLag.observe(Math.max(0, now - r.at.getTime()) / 1000);
    feedUpdates.inc(outcome.written.length);
    if (outcome.written.length) await this.o.onWritten(outcome);
    return rows.length;
  }

  #idle(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), ms);
      const finish = (woken: boolean) => {
        clearTimeout(timer);
        if (this.#wake === wakeUp) this.#wake = null;
        resolve(woken);
      };
      const wakeUp = () => finish(true);
      this.#wake = wakeUp;
    });
  }
}
