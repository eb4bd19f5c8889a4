import type { Db } from '../../db/database.js';
import { recordLogins } from '../../db/repositories/last-logins.js';
import type { PolicyLogger } from './logger.js';

// SMTP submission's sign-ins for the mailboxes' last-login record: the policy service sees who sent
// (sasl_username) from where (client_address) at every message. Gathered and written together each
// second (one statement for many senders, not one per message), at most once a minute per mailbox and
// client, and at most CHUNK a second: a burst of new senders is written over the next seconds rather
// than taking the database's (and the machine's) time from the decisions. A decision never waits for it.

const EVERY_MS = 60_000;
const FLUSH_MS = 1_000;
const CHUNK = 500;

export class SmtpLogins {
  /** What was last written per mailbox id (client and time), so a busy sender is written once a minute. */
  #written = new Map<number, { ip: string; at: number }>();
  /** To write at the next flush, per mailbox id: its address, latest client and time. */
  #due = new Map<number, { address: string; ip: string; at: number }>();
  #timer: NodeJS.Timeout;

  constructor(
    private readonly db: Db,
    private readonly logger: PolicyLogger,
  ) {
    this.#timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.#timer.unref();
  }

  /** A message from this mailbox (its id keys the maps: cheaper than its address at every request). */
  note(mailbox: { id: number }, address: string, ip: string | undefined): void {
    const client = ip || 'unknown';
    const last = this.#written.get(mailbox.id);
    const now = Date.now();
    if (last && last.ip === client && now - last.at < EVERY_MS) return;
    this.#written.set(mailbox.id, { ip: client, at: now });
    this.#due.set(mailbox.id, { address, ip: client, at: now });
  }

  async flush(all = false): Promise<void> {
    const now = Date.now();
    if (this.#written.size > 50_000) for (const [k, w] of this.#written) if (now - w.at >= EVERY_MS) this.#written.delete(k);
    while (this.#due.size > 0) {
      const chunk: { address: string; protocol: string; ip: string; atEpoch: number }[] = [];
      for (const [id, d] of this.#due) {
        this.#due.delete(id);
        chunk.push({ address: d.address, protocol: 'smtp', ip: d.ip, atEpoch: Math.floor(d.at / 1000) });
        if (chunk.length === CHUNK) break;
      }
      await recordLogins(this.db, chunk).catch((err: Error) => this.logger.warn({ err, logins: chunk.length }, 'could not record SMTP sign-ins'));
      if (!all) return;
    }
  }

  /** Writes what is due and stops the timer. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush(true);
  }
}
