import type { Db } from '../../db/database.js';
import { recordLogin } from '../../db/repositories/last-logins.js';
import type { PolicyLogger } from './logger.js';

// SMTP submission's sign-ins for the mailboxes' last-login record: the policy service sees who sent
// (sasl_username) from where (client_address) at every message. Written at most once a minute per
// mailbox and client, never awaited by a decision.

const EVERY_MS = 60_000;

export class SmtpLogins {
  #written = new Map<string, number>();
  constructor(
    private readonly db: Db,
    private readonly logger: PolicyLogger,
  ) {}

  note(address: string, ip: string | undefined): void {
    const now = Date.now();
    const key = `${address} ${ip ?? ''}`;
    const last = this.#written.get(key);
    if (last !== undefined && now - last < EVERY_MS) return;
    this.#written.set(key, now);
    if (this.#written.size > 50_000) for (const [k, at] of this.#written) if (now - at >= EVERY_MS) this.#written.delete(k);
    recordLogin(this.db, address, 'smtp', ip || 'unknown', Math.floor(now / 1000)).catch((err: Error) =>
      this.logger.warn({ err }, 'could not record an SMTP sign-in'),
    );
  }
}
