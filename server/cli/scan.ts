import type { Db } from '../../db/database.js';
import { nodeMailboxesAfter } from '../../db/repositories/usage-feed.js';
import type { Config } from '../platform/config.js';
import { formatBytes } from '../core/quota.js';
import { scanMailboxes, type ScanItem } from '../../jobs/scan/index.js';
import { writeUsage, type WriteOutcome } from '../services/usage/store.js';
import { databaseNow } from '../../db/repositories/usage.js';

export interface ScanSummary {
  mailboxes: number;
  messages: number;
  bytes: number;
  refused: number;
  failed: number;
  levelChanges: number;
  seconds: number;
}

/** Streams the node's mailboxes out of the database in pages, with their stored scan state. */
async function* itemsOf(db: Db, node: string, full: boolean, fullScanHours: number, startedAt: Date): AsyncGenerator<ScanItem> {
  let after = 0;
  for (;;) {
    const rows = await nodeMailboxesAfter(db, node, after, 2000);
    if (rows.length === 0) return;
    for (const r of rows) {
      const stale = !r.full_scanned_at || startedAt.getTime() - r.full_scanned_at.getTime() > fullScanHours * 3600_000;
      yield { id: r.id, maildir: r.maildir, previous: full || stale ? undefined : r.scan_state };
    }
    after = rows[rows.length - 1].id;
  }
}

/**
 * Scans every mailbox of one node in the foreground with the thread pool, writing results in
 * batches. `progress` is called after each batch.
 */
export async function scanNode(
  db: Db,
  config: Pick<Config, 'node' | 'mailRoot' | 'fullScanHours'>,
  opts: {
    full: boolean;
    total: number;
    progress?: (s: ScanSummary) => void;
    onRefused?: (id: number | string, code: string) => void;
    /** What follows a write (server/services/usage/after-write.ts): warnings, drift recounts. */
    onWritten?: (outcome: WriteOutcome) => Promise<unknown>;
  },
): Promise<ScanSummary> {
  // The database's clock, as the worker's scans and Dovecot's figures: newest wins across all three.
  const startedAt = await databaseNow(db);
  const t0 = performance.now();
  const summary: ScanSummary = { mailboxes: 0, messages: 0, bytes: 0, refused: 0, failed: 0, levelChanges: 0, seconds: 0 };
  const fullIds = new Set<number>();
  const items = (async function* () {
    for await (const item of itemsOf(db, config.node, opts.full, config.fullScanHours, startedAt)) {
      if (item.previous === undefined) fullIds.add(Number(item.id));
      yield item;
    }
  })();
  for await (const batch of scanMailboxes(config.mailRoot, items, { full: opts.full, batchSize: 500 })) {
    const ok = [];
    for (const r of batch) {
      summary.mailboxes++;
      if (r.ok) {
        summary.messages += r.messages;
        summary.bytes += r.bytes;
        ok.push({ mailboxId: Number(r.id), bytes: r.bytes, messages: r.messages, scannedAt: startedAt, state: r.state, full: fullIds.has(Number(r.id)) });
      } else if (r.error.refused) {
        summary.refused++;
        opts.onRefused?.(r.id, r.error.code);
      } else summary.failed++;
    }
    const outcome = await writeUsage(db, ok);
    summary.levelChanges += outcome.changes.length;
    await opts.onWritten?.(outcome);
    summary.seconds = (performance.now() - t0) / 1000;
    opts.progress?.(summary);
  }
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}

export function progressLine(s: ScanSummary, total: number): string {
  const width = 30;
  const done = total ? Math.min(1, s.mailboxes / total) : 1;
  const bar = '#'.repeat(Math.round(done * width)).padEnd(width, '.');
  const rate = s.seconds > 0 ? Math.round(s.mailboxes / s.seconds) : 0;
  return `[${bar}] ${s.mailboxes}/${total} mailboxes  ${s.messages} messages  ${formatBytes(s.bytes)}  ${rate} mailboxes/s`;
}

export function summaryTable(s: ScanSummary): string {
  const rows: [string, string][] = [
    ['mailboxes scanned', String(s.mailboxes)],
    ['messages', String(s.messages)],
    ['bytes', `${s.bytes} (${formatBytes(s.bytes)})`],
    ['refused paths', String(s.refused)],
    ['failed', String(s.failed)],
    ['quota level changes', String(s.levelChanges)],
    ['time', `${s.seconds.toFixed(2)} s`],
    ['rate', `${s.seconds > 0 ? Math.round(s.mailboxes / s.seconds) : s.mailboxes} mailboxes/s`],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  const line = `+${'-'.repeat(w + 2)}+${'-'.repeat(Math.max(...rows.map((r) => r[1].length)) + 2)}+`;
  return [line, ...rows.map(([k, v]) => `| ${k.padEnd(w)} | ${v.padEnd(line.length - w - 7)} |`), line].join('\n');
}
