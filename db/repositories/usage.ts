// Queries on mailbox_usage and usage_samples. The rules for what to write (which measurement is newer,
// levels, drift) are the usage service's (server/services/usage/store.ts); these only read and write.
import { type Selectable, type Transaction, sql } from 'kysely';
import type { Db } from '../database.js';
import type { Database, MailboxUsageTable } from '../schema.js';

export type UsageRow = Selectable<MailboxUsageTable>;
type Trx = Transaction<Database>;

/**
 * The mailboxes of a usage write, locked: a quota change in flight commits first, so the level is
 * computed from the quota that holds, and two writes for one mailbox (a scan and Dovecot's count) are
 * decided one after the other. FOR NO KEY UPDATE in id order, not FOR SHARE: mailbox_usage_copy
 * updates these rows, and two batches sharing a row must not both hold it shared and wait to upgrade.
 */
export function lockMailboxes(trx: Trx, ids: number[]) {
  return trx.selectFrom('mailboxes').select(['id', 'quota_bytes', 'address']).where('id', 'in', ids).orderBy('id').forNoKeyUpdate().execute();
}

export function usageRows(trx: Trx, ids: number[]): Promise<UsageRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return trx.selectFrom('mailbox_usage').selectAll().where('mailbox_id', 'in', ids).execute();
}

/** Dovecot's own last counts (the quota_clone feed) of these users. */
export function dovecotCounts(trx: Trx, usernames: string[]) {
  if (usernames.length === 0) return Promise.resolve([]);
  return trx.selectFrom('dovecot_quota').select(['username', 'bytes', 'updated_at']).where('username', 'in', usernames).execute();
}

export async function upsertUsage(trx: Trx, rows: UsageRow[]): Promise<void> {
  if (rows.length === 0) return;
  await trx
    .insertInto('mailbox_usage')
    .values(rows)
    .onConflict((oc) =>
      oc.column('mailbox_id').doUpdateSet({
        used_bytes: (eb) => eb.ref('excluded.used_bytes'),
        messages: (eb) => eb.ref('excluded.messages'),
        scanned_at: (eb) => eb.ref('excluded.scanned_at'),
        level: (eb) => eb.ref('excluded.level'),
        level_changed_at: (eb) => eb.ref('excluded.level_changed_at'),
        source: (eb) => eb.ref('excluded.source'),
        scan_state: (eb) => eb.ref('excluded.scan_state'),
        full_scanned_at: (eb) => eb.ref('excluded.full_scanned_at'),
        disk_bytes: (eb) => eb.ref('excluded.disk_bytes'),
        disk_messages: (eb) => eb.ref('excluded.disk_messages'),
        disk_at: (eb) => eb.ref('excluded.disk_at'),
        drift_bytes: (eb) => eb.ref('excluded.drift_bytes'),
        drift_at: (eb) => eb.ref('excluded.drift_at'),
      }),
    )
    .execute();
}

/** A history sample per row; with `every`, only for a mailbox that has none that recent. */
export async function insertSamples(trx: Trx, rows: UsageRow[], every?: string): Promise<void> {
  if (rows.length === 0) return;
  await sql`
    INSERT INTO usage_samples (mailbox_id, at, used_bytes, messages)
    SELECT f.id, f.at, f.bytes, f.messages
      FROM unnest(${rows.map((w) => w.mailbox_id)}::bigint[], ${rows.map((w) => w.scanned_at)}::timestamptz[],
                  ${rows.map((w) => w.used_bytes)}::bigint[], ${rows.map((w) => w.messages)}::bigint[]) AS f(id, at, bytes, messages)
     WHERE ${every ?? null}::interval IS NULL
        OR NOT EXISTS (SELECT 1 FROM usage_samples s WHERE s.mailbox_id = f.id AND s.at > f.at - ${every ?? null}::interval)
    ON CONFLICT DO NOTHING`.execute(trx);
}

/**
 * A verification that found the disk as the last scan left it: only its time is recorded (and that
 * it was a full one), in one statement. No figure changes, so no level, sample, warning or policy
 * announcement follows; that is most mailboxes in most rounds.
 */
export async function recordVerified(db: Db, ids: number[], fullIds: number[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    UPDATE mailbox_usage
       SET disk_at = ${at},
           full_scanned_at = CASE WHEN mailbox_id = ANY(${fullIds}::bigint[]) THEN ${at} ELSE full_scanned_at END
     WHERE mailbox_id = ANY(${ids}::bigint[]) AND (disk_at IS NULL OR disk_at < ${at})`.execute(db);
}

/** The database's clock: scans and Dovecot's figures are ordered by one clock, whatever a node's says. */
export async function databaseNow(db: Db): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`SELECT clock_timestamp() AS now`.execute(db);
  return rows[0].now;
}

export async function pruneSamples(db: Db, retentionDays: number): Promise<number> {
  const res = await db.deleteFrom('usage_samples').where(sql<boolean>`at < now() - make_interval(days => ${retentionDays})`).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** What the last scan stored of a mailbox's tree (per-folder counts) and when it read the disk. */
export function storedScan(db: Db, mailboxId: number) {
  return db.selectFrom('mailbox_usage').select(['scan_state', 'disk_at']).where('mailbox_id', '=', mailboxId).executeTakeFirst();
}
