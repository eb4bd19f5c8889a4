import { sql } from 'kysely';
import type { Db } from '../database.js';
import { NO_SEND_LIMITS, sendLimitsOf, type SendLimits } from '../../server/core/send-limits.js';
import { PLAN_SEND_LIMITS } from './plans.js';

// Built with kysely so column names are checked against db/schema.ts, but run on sync.ts's own
// connection: reloads must be ordered after its LISTEN and after one another.

/** A mailbox as the policy service holds it in memory. */
export interface MailboxRow {
  id: number;
  address: string;
  quotaBytes: number;
  usedBytes: number;
  /** As stored by the scanner (and by quota edits): 'ok' | '80' | '90' | '95' | 'full'. */
  level: string;
  active: boolean;
  /** What it may send through submission: its own limits, else its plan's. */
  sendLimits: SendLimits;
}

export interface Compiled {
  sql: string;
  parameters: readonly unknown[];
}

// Only mailboxes.active, not the domain/customer/reseller flags of mail_accounts: the trigger announces
// mailbox and usage changes only, and for a disabled account Postfix's own maps refuse the recipient anyway.
function selectQuotas(db: Db) {
  return db
    .selectFrom('mailboxes as m')
    .leftJoin('mailbox_usage as u', 'u.mailbox_id', 'm.id')
    .innerJoin('domains as d', 'd.id', 'm.domain_id')
    .innerJoin('customers as c', 'c.id', 'd.customer_id')
    .select([
      // Its own limits, else its plan's.
      sql<unknown>`coalesce(m.send_limits, ${PLAN_SEND_LIMITS})`.as('send_limits'),
      'm.id',
      'm.address',
      'm.quota_bytes',
      'm.active',
      sql<number>`coalesce(u.used_bytes, 0)`.as('used_bytes'),
      sql<string>`coalesce(u.level, 'ok')`.as('level'),
    ]);
}

export function allMailboxes(db: Db): Compiled {
  return selectQuotas(db).compile();
}

export function mailboxesByAddress(db: Db, addresses: readonly string[]): Compiled {
  return selectQuotas(db).where(sql<boolean>`m.address = any(${addresses}::text[])`).compile();
}

/** int8 arrives as a string unless db/database.ts's type parser is loaded in this process; accept both. */
export function rowOf(raw: Record<string, unknown>): MailboxRow {
  return {
    id: Number(raw.id),
    address: String(raw.address),
    quotaBytes: Number(raw.quota_bytes),
    usedBytes: Number(raw.used_bytes),
    level: String(raw.level),
    active: raw.active === true,
    sendLimits: sendLimitsOf(raw.send_limits) ?? NO_SEND_LIMITS,
  };
}
