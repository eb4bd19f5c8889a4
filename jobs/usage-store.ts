import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { quotaLevel, type Level } from '../server/domain/quota.js';

export interface UsageResult {
  mailboxId: number;
  bytes: number;
  messages: number;
  /** When the measurement began: a result older than the stored one is ignored. */
  scannedAt: Date;
  state: unknown;
  full: boolean;
}

export interface LevelChange {
  mailboxId: number;
  from: Level | null;
  to: Level;
}

/**
 * Writes a batch of scan results in one statement. Idempotent: a repeated or late result never
 * overwrites a newer one (the WHERE on scanned_at), and its sample is written at most once.
 * Returns the mailboxes whose quota level changed.
 */
export async function writeUsage(db: Db, results: UsageResult[]): Promise<{ written: number[]; changes: LevelChange[] }> {
  if (results.length === 0) return { written: [], changes: [] };
  return db.transaction().execute(async (trx) => {
    // Locked: a quota change in flight commits first, so the level is computed from the quota that holds.
    // FOR NO KEY UPDATE in id order, not FOR SHARE: mailbox_usage_copy updates these rows, and two
    // batches sharing a row must not both hold it shared and wait for each other to upgrade.
    const quotas = await trx
      .selectFrom('mailboxes')
      .select(['id', 'quota_bytes'])
      .where('id', 'in', results.map((r) => r.mailboxId))
      .orderBy('id')
      .forNoKeyUpdate()
      .execute();
    const quotaOf = new Map(quotas.map((q) => [q.id, q.quota_bytes]));
    const rows = results
      .filter((r) => quotaOf.has(r.mailboxId)) // deleted meanwhile
      .map((r) => ({
        mailbox_id: r.mailboxId,
        used_bytes: r.bytes,
        messages: r.messages,
        scanned_at: r.scannedAt,
        level: quotaLevel(r.bytes, quotaOf.get(r.mailboxId)!),
        // The scanner hands its state over as JSON text already.
        scan_state: r.state === null || r.state === undefined ? null : typeof r.state === 'string' ? r.state : JSON.stringify(r.state),
        full_scanned_at: r.full ? r.scannedAt : null,
      }));
    if (rows.length === 0) return { written: [], changes: [] };
    const previous = await trx.selectFrom('mailbox_usage').select(['mailbox_id', 'level']).where('mailbox_id', 'in', rows.map((r) => r.mailbox_id)).execute();
    const levelBefore = new Map(previous.map((p) => [p.mailbox_id, p.level as Level]));
    const written = await trx
      .insertInto('mailbox_usage')
      .values(rows.map((r) => ({ ...r, level_changed_at: r.scanned_at })))
      .onConflict((oc) =>
        oc.column('mailbox_id').doUpdateSet({
          used_bytes: (eb) => eb.ref('excluded.used_bytes'),
          messages: (eb) => eb.ref('excluded.messages'),
          scanned_at: (eb) => eb.ref('excluded.scanned_at'),
          level: (eb) => eb.ref('excluded.level'),
          scan_state: sql`excluded.scan_state`,
          full_scanned_at: sql`coalesce(excluded.full_scanned_at, mailbox_usage.full_scanned_at)`,
          level_changed_at: sql`CASE WHEN mailbox_usage.level IS DISTINCT FROM excluded.level THEN excluded.scanned_at ELSE mailbox_usage.level_changed_at END`,
        }).where(sql<boolean>`mailbox_usage.scanned_at < excluded.scanned_at`),
      )
      .returning(['mailbox_id', 'level', 'scanned_at', 'used_bytes', 'messages'])
      .execute();
    if (written.length) {
      await trx
        .insertInto('usage_samples')
        .values(written.map((w) => ({ mailbox_id: w.mailbox_id, at: w.scanned_at, used_bytes: w.used_bytes, messages: w.messages })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    return {
      written: written.map((w) => w.mailbox_id),
      changes: written
        .filter((w) => levelBefore.get(w.mailbox_id) !== w.level)
        .map((w) => ({ mailboxId: w.mailbox_id, from: levelBefore.get(w.mailbox_id) ?? null, to: w.level as Level })),
    };
  });
}

export async function pruneSamples(db: Db, retentionDays: number): Promise<number> {
  const res = await db.deleteFrom('usage_samples').where(sql<boolean>`at < now() - make_interval(days => ${retentionDays})`).executeTakeFirst();
  return Number(res.numDeletedRows);
}
