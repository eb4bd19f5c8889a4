// Pure: the shape the report templates show, for a dry run and for a finished import alike.
import type { CheckedRow } from './rows.js';
import type { ReportEntry } from '../../../db/tables/imports.js';
import type { Text } from '../../core/message.js';

export interface ReportLine {
  line: number;
  address: string;
  /** ok: would be created (dry run); the others as stored for an import. */
  status: 'ok' | 'created' | 'failed' | 'pending';
  problems: { field: string; message: Text }[];
}

export interface ReportView {
  problems: ReportLine[];
  fine: ReportLine[];
  /** How many of each are shown; the rest are counted only (a page of 20,000 rows helps nobody). */
  shown: number;
}

export const REPORT_SHOWN = 1000;

export function fromDryRun(rows: readonly CheckedRow[]): ReportLine[] {
  return rows.map((r) =>
    r.ok ? { line: r.line, address: r.address, status: 'ok', problems: [] } : { line: r.line, address: r.address, status: 'failed', problems: r.errors },
  );
}

export function fromReport(entries: readonly ReportEntry[]): ReportLine[] {
  return entries.map((e) => ({ line: e.line, address: e.address, status: e.status, problems: e.problems ?? [] }));
}

export function reportView(lines: readonly ReportLine[], shown = REPORT_SHOWN): ReportView {
  return { problems: lines.filter((l) => l.status === 'failed'), fine: lines.filter((l) => l.status !== 'failed'), shown };
}
