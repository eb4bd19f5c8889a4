import type { Db } from '../../../db/database.js';
import * as usage from '../../../db/repositories/usage.js';
import { quotaLevel, type Level } from '../../core/quota.js';
import { emitLevelChanges } from '../webhooks/emit.js';

export type UsageSource = 'scan' | 'dovecot';

export interface UsageResult {
  mailboxId: number;
  bytes: number;
  messages: number;
  /** When the measurement began (a scan) or was made (Dovecot's count): the newest one is current. */
  scannedAt: Date;
  /** The scanner's state; ignored for Dovecot's counts. */
  state: unknown;
  full: boolean;
  /** Default 'scan'. */
  source?: UsageSource;
}

export interface LevelChange {
  mailboxId: number;
  from: Level | null;
  to: Level;
}

export interface Drift {
  mailboxId: number;
  address: string;
  /** Disk minus Dovecot's count. */
  bytes: number;
}

export interface WriteOutcome {
  /** Mailboxes whose current figure this write replaced. */
  written: number[];
  changes: LevelChange[];
  /** Mailboxes whose disk and Dovecot's count disagree by more than the threshold. */
  drifted: Drift[];
}

/** Disk and Dovecot may disagree by this much before a mailbox counts as drifted (a recount is asked for). */
export const DEFAULT_DRIFT_BYTES = 1024 * 1024;
/** Dovecot reports every delivery; history keeps at most one of its figures per mailbox this often. */
export const FEED_SAMPLE_EVERY = '5 minutes';

/**
 * Writes a batch of measurements, scans and Dovecot's counts alike, in one transaction.
 * Idempotent and ordered by measurement time: a repeated or late result never replaces a newer
 * current figure. A scan always records what it found on the disk (if newer than the last scan's),
 * so the next scan can build on it and drift is judged against Dovecot's count of that moment.
 * Returns the mailboxes whose figure changed, their level changes and the drifted ones.
 */
export async function writeUsage(db: Db, results: UsageResult[], opts: { driftBytes?: number } = {}): Promise<WriteOutcome> {
  const none: WriteOutcome = { written: [], changes: [], drifted: [] };
  if (results.length === 0) return none;
  const driftLimit = opts.driftBytes ?? DEFAULT_DRIFT_BYTES;
  return db.transaction().execute(async (trx) => {
    // Locked: a quota change in flight commits first, so the level is computed from the quota that holds,
    // and two writes for one mailbox (a scan and Dovecot's count) are decided one after the other.
    // FOR NO KEY UPDATE in id order, not FOR SHARE: mailbox_usage_copy updates these rows, and two
    // batches sharing a row must not both hold it shared and wait for each other to upgrade.
    const ids = [...new Set(results.map((r) => r.mailboxId))];
    const boxes = await usage.lockMailboxes(trx, ids);
    if (boxes.length === 0) return none;
    const box = new Map(boxes.map((b) => [b.id, b]));
    const before = new Map(
      (
        await usage.usageRows(
          trx,
          boxes.map((b) => b.id),
        )
      ).map((p) => [p.mailbox_id, p]),
    );
    const scanned = results.filter((r) => (r.source ?? 'scan') === 'scan' && box.has(r.mailboxId));
    const dovecot = new Map(
      (
        await usage.dovecotCounts(
          trx,
          scanned.map((r) => box.get(r.mailboxId)!.address),
        )
      ).map((d) => [d.username, d]),
    );

    const rows = new Map<number, UsageRow>();
    const outcome: WriteOutcome = { written: [], changes: [], drifted: [] };
    // Oldest first, so that of two results for one mailbox in a batch the newer is decided last.
    for (const r of [...results].sort((a, b) => a.scannedAt.getTime() - b.scannedAt.getTime())) {
      const m = box.get(r.mailboxId);
      if (!m) continue; // deleted meanwhile
      const prev = before.get(r.mailboxId);
      const isScan = (r.source ?? 'scan') === 'scan';
      const newer = !prev || prev.scanned_at < r.scannedAt;
      const diskNewer = isScan && (!prev?.disk_at || prev.disk_at < r.scannedAt);
      if (!newer && !diskNewer) continue;
      const level = quotaLevel(r.bytes, m.quota_bytes);
      const row: UsageRow = {
        mailbox_id: r.mailboxId,
        used_bytes: newer ? r.bytes : prev!.used_bytes,
        messages: newer ? r.messages : prev!.messages,
        scanned_at: newer ? r.scannedAt : prev!.scanned_at,
        level: newer ? level : prev!.level,
        level_changed_at: !prev || (newer && prev.level !== level) ? r.scannedAt : prev.level_changed_at,
        source: newer ? (r.source ?? 'scan') : prev!.source,
        // The scanner hands its state over as JSON text already.
        scan_state: diskNewer ? toJson(r.state) : toJson(prev?.scan_state ?? null),
        full_scanned_at: diskNewer && r.full ? r.scannedAt : (prev?.full_scanned_at ?? null),
        disk_bytes: diskNewer ? r.bytes : (prev?.disk_bytes ?? null),
        disk_messages: diskNewer ? r.messages : (prev?.disk_messages ?? null),
        disk_at: diskNewer ? r.scannedAt : (prev?.disk_at ?? null),
        drift_bytes: prev?.drift_bytes ?? null,
        drift_at: prev?.drift_at ?? null,
      };
      if (diskNewer) {
        // Judged only against a count Dovecot made before the scan began: one made during it may differ
        // simply because mail arrived or left meanwhile.
        const d = dovecot.get(m.address);
        const gap = d && d.updated_at <= r.scannedAt ? r.bytes - d.bytes : 0;
        if (Math.abs(gap) > driftLimit) {
          row.drift_bytes = gap;
          row.drift_at = r.scannedAt;
          outcome.drifted.push({ mailboxId: r.mailboxId, address: m.address, bytes: gap });
        } else {
          row.drift_bytes = null;
        }
      }
      before.set(r.mailboxId, row);
      rows.set(r.mailboxId, row);
      if (newer) {
        const from = prev ? (prev.level as Level) : null;
        outcome.written.push(r.mailboxId);
        const c = outcome.changes.findIndex((x) => x.mailboxId === r.mailboxId);
        if (c >= 0) outcome.changes.splice(c, 1);
        if (from !== level) outcome.changes.push({ mailboxId: r.mailboxId, from, to: level });
      }
    }
    if (rows.size === 0) return none;
    await usage.upsertUsage(trx, [...rows.values()]);
    const current = [...rows.values()].filter((r) => outcome.written.includes(r.mailbox_id));
    await usage.insertSamples(
      trx,
      current.filter((r) => r.source === 'scan'),
    );
    // Every delivery would be a sample: one per mailbox and FEED_SAMPLE_EVERY keeps history readable.
    await usage.insertSamples(
      trx,
      current.filter((r) => r.source === 'dovecot'),
      FEED_SAMPLE_EVERY,
    );
    // Level changes become webhook events with the rows that make them: committed together, or neither.
    await emitLevelChanges(trx, outcome.changes);
    return outcome;
  });
}

type UsageRow = usage.UsageRow;

const toJson = (state: unknown): string | null => (state === null || state === undefined ? null : typeof state === 'string' ? state : JSON.stringify(state));
