import type { Db } from '../../db/database.js';
import { recordLogins } from '../../db/repositories/last-logins.js';
import type { PolicyLogger } from './logger.js';

// SMTP submission's sign-ins for the mailboxes' last-login record: the policy service sees who sent
// (sasl_username) from where (client_address) at every message. Gathered and written together every
// few seconds (one statement for many senders, not one per message), at most once a minute per
// mailbox and client; a decision never waits for it.

const EVERY_MS = 60_000;
const FLUSH_MS = 2_000;
const CHUNK = 1000;

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

  async flush(): Promise<void> {
    if (this.#due.size === 0) return;
    const rows = [...this.#due.values()].map((d) => ({ address: d.address, protocol: 'smtp', ip: d.ip, atEpoch: Math.floor(d.at / 1000) }));
    this.#due.clear();
    const now = Date.now();
    if (this.#written.size > 50_000) for (const [k, w] of this.#written) if (now - w.at >= EVERY_MS) this.#written.delete(k);
    for (let i = 0; i < rows.length; i += CHUNK)
      await recordLogins(this.db, rows.slice(i, i + CHUNK)).catch((err: Error) =>
        this.logger.warn({ err, logins: Math.min(CHUNK, rows.length - i) }, 'could not record SMTP sign-ins'),
      );
  }

  /** Writes what is due and stops the timer. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
