import type { MailboxRow } from '../../db/repositories/policy.js';
import type { SendLimits } from '../core/send-limits.js';
import type { MailboxQuota } from './decide.js';

// What the policy service knows about every mailbox, held in memory so a decision costs a Map lookup.
// The cache only says whether it can be trusted; keeping it true to the database is sync.ts's job.

/** loading: nothing loaded yet; fresh: loaded and every change is being followed; stale: changes may have been missed. */
export type CacheState = 'loading' | 'fresh' | 'stale';

export class MailboxCache {
  private byAddress = new Map<string, Entry>();
  // A renamed mailbox is announced under its new address only; the id finds the old entry to drop.
  private addressById = new Map<number, string>();
  private waiters = new Set<(fresh: boolean) => void>();
  private current: CacheState = 'loading';

  get state(): CacheState {
    return this.current;
  }

  get size(): number {
    return this.byAddress.size;
  }

  /** The entry for an address in stored form; only meaningful while state is 'fresh'. */
  get(address: string): Entry | undefined {
    return this.byAddress.get(address);
  }

  /** A complete snapshot replaces everything and makes the cache trustworthy again. */
  replaceAll(rows: Iterable<MailboxRow>): void {
    const byAddress = new Map<string, Entry>();
    const addressById = new Map<number, string>();
    for (const row of rows) {
      byAddress.set(row.address, entryOf(row));
      addressById.set(row.id, row.address);
    }
    this.byAddress = byAddress;
    this.addressById = addressById;
    this.setState('fresh');
  }

  /** The result of re-reading some addresses: rows found are current, addresses asked for but not found are gone. */
  applyReload(addresses: Iterable<string>, rows: Iterable<MailboxRow>): void {
    const found = new Set<string>();
    for (const row of rows) {
      const previous = this.addressById.get(row.id);
      if (previous !== undefined && previous !== row.address) this.byAddress.delete(previous);
      this.byAddress.set(row.address, entryOf(row));
      this.addressById.set(row.id, row.address);
      found.add(row.address);
    }
    for (const address of addresses) {
      const gone = found.has(address) ? undefined : this.byAddress.get(address);
      if (!gone) continue;
      this.byAddress.delete(address);
      if (this.addressById.get(gone.id) === address) this.addressById.delete(gone.id);
    }
  }

  /** Keeps the old entries (the next full load replaces them) but stops vouching for them. */
  markStale(): void {
    if (this.current === 'fresh') this.setState('stale');
  }

  /** Resolves true as soon as the cache is fresh, false if it is not within timeoutMs. */
  whenFresh(timeoutMs: number): Promise<boolean> {
    if (this.current === 'fresh') return Promise.resolve(true);
    if (timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (fresh: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(fresh);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(done);
    });
  }

  private setState(state: CacheState): void {
    this.current = state;
    if (state !== 'fresh') return;
    for (const waiter of [...this.waiters]) waiter(true);
  }
}

export type Entry = MailboxQuota & { id: number; sendLimits: SendLimits };

function entryOf(row: MailboxRow): Entry {
  return { id: row.id, quotaBytes: row.quotaBytes, usedBytes: row.usedBytes, level: row.level, active: row.active, sendLimits: row.sendLimits };
}
