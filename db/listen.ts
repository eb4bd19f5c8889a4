// One dedicated connection that LISTENs on a channel and hands over what was announced, for the
// followers that keep something true to the database (the policy service's cache, Dovecot's usage
// feed). A lost connection may have lost announcements, so every (re)connect starts with the
// follower's catch-up; reconnects back off; an idle connection is probed, so one that died silently
// is noticed.
import pg from 'pg';

export interface ListenHooks {
  /** On a new connection, after LISTEN: bring everything up to date (earlier announcements are covered). */
  catchUp(client: pg.Client, failuresBefore: number): Promise<void>;
  /** Announced payloads, at most `batchSize` at a time, one batch after the other, in order. */
  apply(client: pg.Client, payloads: string[]): Promise<void>;
  /** The connection is gone (or stopped): what the follower holds may be out of date from now on. */
  down(): void;
  /** An attempt failed: `failures` in a row so far, the next one in `retryMs`. */
  failed(err: unknown, failures: number, retryMs: number): void;
}

export interface ListenOptions {
  databaseUrl: string;
  channel: string;
  applicationName: string;
  backoffMs?: { initial: number; max: number };
  pingIntervalMs?: number;
  /** Connecting, and each probe of an idle connection, may take this long. */
  probeTimeoutMs?: number;
  batchSize?: number;
}

export class ChannelListener {
  readonly #o: Required<ListenOptions>;
  #stopped = false;
  #client: pg.Client | null = null;
  #lost = false;
  readonly #pending = new Set<string>();
  #wake: (() => void) | null = null;
  #loop: Promise<void> = Promise.resolve();

  constructor(
    options: ListenOptions,
    private readonly hooks: ListenHooks,
  ) {
    this.#o = { backoffMs: { initial: 100, max: 5000 }, pingIntervalMs: 15_000, probeTimeoutMs: 5000, batchSize: 1000, ...options };
  }

  start(): void {
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    this.#client?.end().catch(() => {});
    await this.#loop;
  }

  async #run(): Promise<void> {
    let delay = this.#o.backoffMs.initial;
    let failures = 0;
    while (!this.#stopped) {
      const client = this.#connect();
      try {
        await client.connect();
        // Announcements queued on an earlier connection are covered by the catch-up.
        this.#pending.clear();
        await client.query(`LISTEN ${this.#o.channel}`);
        await this.hooks.catchUp(client, failures);
        delay = this.#o.backoffMs.initial;
        failures = 0;
        await this.#follow(client);
      } catch (err) {
        if (!this.#stopped) this.hooks.failed(err, ++failures, delay);
      }
      this.hooks.down();
      this.#client = null;
      client.end().catch(() => {});
      if (this.#stopped) break;
      await this.#idle(delay);
      delay = Math.min(delay * 2, this.#o.backoffMs.max);
    }
  }

  #connect(): pg.Client {
    const client = new pg.Client({
      connectionString: this.#o.databaseUrl,
      connectionTimeoutMillis: this.#o.probeTimeoutMs,
      keepAlive: true,
      application_name: this.#o.applicationName,
    });
    this.#client = client;
    this.#lost = false;
    // An unhandled 'error' on an idle client would crash the process; here it only means "reconnect".
    const onLost = () => {
      if (this.#client !== client) return;
      this.#lost = true;
      this.hooks.down();
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

  /** Applies announcements until the connection is lost (throws) or the listener stops (returns). */
  async #follow(client: pg.Client): Promise<void> {
    while (!this.#stopped) {
      if (this.#lost) throw new Error('connection to the database lost');
      if (this.#pending.size > 0) {
        const batch: string[] = [];
        for (const payload of this.#pending) {
          batch.push(payload);
          this.#pending.delete(payload);
          if (batch.length >= this.#o.batchSize) break;
        }
        // One batch at a time: a later re-read never lands before an earlier one.
        await this.hooks.apply(client, batch);
        continue;
      }
      const woken = await this.#idle(this.#o.pingIntervalMs);
      if (!woken && !this.#stopped && !this.#lost) await withTimeout(client.query('SELECT 1'), this.#o.probeTimeoutMs);
    }
  }

  /** Waits up to ms; true when woken early by an announcement, a lost connection or stop(). */
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

/** A query on a dedicated client that may not hang: rejected after `ms`. */
export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`query took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
