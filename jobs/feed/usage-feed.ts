// Follows Dovecot's change feed: the dovecot_quota rows its quota_clone plugin writes after every
// delivery, expunge and copy. One dedicated connection LISTENs (db/listen.ts); every (re)connect
// first applies whatever changed during the gap, so a lost notification delays a figure but never
// loses it. Applied figures go through writeUsage like scan results (ordered by measurement time),
// then to the same callback as scans: level-change log and quota warnings.
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import { ChannelListener } from '../../db/listen.js';
import { pendingFeedRows } from '../../db/repositories/usage-feed.js';
import { feedConnected, feedGaps, feedLag, feedUpdates } from '../../server/platform/metrics.js';
import { writeUsage, type WriteOutcome } from '../../server/services/usage/store.js';

export const FEED_CHANNEL = 'mailpanel_usage_feed';

export interface UsageFeedOptions {
  db: Db;
  databaseUrl: string;
  logger: Logger;
  /** What follows a write: the worker logs level changes and queues warnings. */
  onWritten: (outcome: WriteOutcome) => Promise<void>;
  backoffMs?: { initial: number; max: number };
  pingIntervalMs?: number;
}

export class UsageFeed {
  readonly #listener: ChannelListener;

  constructor(private readonly o: UsageFeedOptions) {
    this.#listener = new ChannelListener(
      {
        databaseUrl: o.databaseUrl,
        channel: FEED_CHANNEL,
        applicationName: 'mailpanel-feed',
        backoffMs: o.backoffMs ?? { initial: 200, max: 5000 },
        pingIntervalMs: o.pingIntervalMs,
      },
      {
        catchUp: async (_client, failures) => {
          // Whatever Dovecot wrote while nobody listened.
          const caughtUp = await this.#apply();
          feedConnected.set(1);
          if (failures > 0 || caughtUp > 0) o.logger.info({ caughtUp, afterFailures: failures }, 'usage feed connected');
        },
        apply: async (_client, usernames) => {
          await this.#apply(usernames);
        },
        down: () => feedConnected.set(0),
        failed: (err, failures, retryMs) => {
          feedGaps.inc();
          const log = failures === 1 || failures % 12 === 0 ? o.logger.warn : o.logger.debug;
          log.call(o.logger, { err, failures, retryMs }, 'usage feed: gap (database unavailable); usage comes from scans until it is back');
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

  /** Applies Dovecot's figures newer than the mailboxes' current ones; returns how many. */
  async #apply(usernames?: string[]): Promise<number> {
    const rows = await pendingFeedRows(this.o.db, usernames);
    if (rows.length === 0) return 0;
    const outcome = await writeUsage(
      this.o.db,
      rows.map((r) => ({
        mailboxId: r.mailboxId,
        bytes: r.bytes,
        messages: r.messages,
        scannedAt: r.at,
        state: null,
        full: false,
        source: 'dovecot' as const,
      })),
    );
    const now = Date.now();
    for (const r of rows) feedLag.observe(Math.max(0, now - r.at.getTime()) / 1000);
    feedUpdates.inc(outcome.written.length);
    if (outcome.written.length) await this.o.onWritten(outcome);
    return rows.length;
  }
}
