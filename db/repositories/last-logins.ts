import { sql } from 'kysely';
import type { Db } from '../database.js';
import { mailboxesInScope, type Scope } from './scope.js';

/** A mailbox's latest sign-in per protocol, with the client's address (Dovecot writes them). */
export function lastLoginsOf(db: Db, address: string) {
  return db.selectFrom('mailbox_last_logins').select(['protocol', 'ip', 'at']).where('address', '=', address).orderBy('protocol').execute();
}

/**
 * Records sign-ins the way Dovecot's dict does (seconds since the epoch; the table's trigger keeps the
 * latest client address only): the policy service writes SMTP submission's, which Dovecot's
 * last_login plugin never sees (it runs in mail processes, not in auth). One row per address.
 */
export async function recordLogins(db: Db, rows: readonly { address: string; protocol: string; ip: string; atEpoch: number }[]) {
  if (rows.length === 0) return;
  // Four arrays, not four parameters a row: the statement costs the same to build for 1 or 1,000 rows.
  await sql`
    INSERT INTO mailbox_last_logins (address, protocol, ip, at_epoch)
    SELECT * FROM unnest(${rows.map((r) => r.address)}::text[], ${rows.map((r) => r.protocol)}::text[],
                         ${rows.map((r) => r.ip)}::text[], ${rows.map((r) => r.atEpoch)}::bigint[])
    ON CONFLICT (address, protocol, ip) DO UPDATE SET at_epoch = excluded.at_epoch`.execute(db);
}

/**
 * Mailboxes in scope nobody signed in to for `days` days: their latest sign-in (or, never signed in,
 * their creation) is older than that. Oldest first, so the longest unused lead the report.
 */
export function unusedMailboxes(db: Db, scope: Scope, days: number, limit: number, offset: number) {
  const last = sql<Date | null>`(select max(l.at) from mailbox_last_logins l where l.address = m.address)`;
  const since = sql<Date>`coalesce(${last}, m.created_at)`;
  return mailboxesInScope(db, scope)
    .select(['m.address', 'd.name as domain', 'c.name as customer', 'm.created_at', 'm.quota_bytes', 'm.used_bytes', last.as('last_login_at')])
    .where(since, '<', sql<Date>`now() - make_interval(days => ${days})`)
    .orderBy(since)
    .orderBy('m.address')
    .limit(limit)
    .offset(offset)
    .execute();
}
