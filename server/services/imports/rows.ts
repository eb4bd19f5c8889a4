// Pure rules for the rows of a mailbox import: which column is which, and what each row means.
import { passwordProblem } from '../../platform/passwords.js';
import { checkAddress, checkDomain, checkLocalPart, displayDomain } from '../../core/address.js';
import { NO_PLAN, checkQuota } from '../../core/plan-limits.js';
import { parseSize } from '../../core/quota.js';
import { MAX_CSV_ROWS, type CsvRecord } from '../../core/imports/csv.js';
import { msg, type Text } from '../../core/message.js';

export type Column = 'address' | 'password' | 'quota' | 'imap' | 'pop3';
/** Positional order when a file has no header line. */
export const COLUMNS: readonly Column[] = ['address', 'password', 'quota', 'imap', 'pop3'];

// Header names people (and our own export) write, normalised: lower case, without spaces, "-" and "_".
// Words that are also common mailbox names ("mail", "user") are left out, so a file without header
// whose first mailbox is called so is not mistaken for one.
const ALIASES: Record<string, Column> = {
  address: 'address',
  emailaddress: 'address',
  email: 'address',
  mailbox: 'address',
  localpart: 'address',
  username: 'address',
  adresse: 'address',
  password: 'password',
  passwort: 'password',
  kennwort: 'password',
  quota: 'quota',
  quotabytes: 'quota',
  imap: 'imap',
  imapenabled: 'imap',
  pop3: 'pop3',
  pop: 'pop3',
  pop3enabled: 'pop3',
};
const normalise = (cell: string) =>
  cell
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '');

export interface Layout {
  hasHeader: boolean;
  /** Cell index of each known column, when present. */
  index: Partial<Record<Column, number>>;
  /** Header cells that mean nothing to an import (e.g. used_bytes from an export): shown, never fatal. */
  ignored: string[];
}

/**
 * The first line is a header when it holds no address and at least two known column names (or is a
 * single known name); otherwise the columns are positional, in the documented order.
 */
export function detectLayout(first: string[]): Layout {
  const cells = first.map((c) => c.trim()).filter((c) => c !== '');
  const known = cells.filter((c) => ALIASES[normalise(c)] !== undefined).length;
  const isHeader = known >= Math.min(2, cells.length) && known > 0 && !cells.some((c) => c.includes('@'));
  if (!isHeader) return { hasHeader: false, index: Object.fromEntries(COLUMNS.map((c, i) => [c, i])), ignored: [] };
  const index: Layout['index'] = {};
  const ignored: string[] = [];
  first.forEach((raw, i) => {
    const col = ALIASES[normalise(raw)];
    if (col && index[col] === undefined) index[col] = i;
    else if (raw.trim() !== '') ignored.push(raw.trim());
  });
  return { hasHeader: true, index, ignored };
}

export interface RowProblem {
  /** The CSV column the problem is in (or "row" for the row as a whole). */
  field: Column | 'row';
  message: Text;
}

export interface ValidRow {
  ok: true;
  line: number;
  localPart: string;
  address: string;
  /** null: the import generates one, shown once afterwards. */
  password: string | null;
  /** null: the plan's default quota. */
  quotaBytes: number | null;
  imap: boolean;
  pop3: boolean;
}

export interface InvalidRow {
  ok: false;
  line: number;
  /** What the row names, as far as it can be read, so the report can show it. */
  address: string;
  errors: RowProblem[];
}

export type CheckedRow = ValidRow | InvalidRow;

const YES = new Set(['yes', 'y', 'true', '1', 'on', 'ja', 'j']);
const NO = new Set(['no', 'n', 'false', '0', 'off', 'nein']);

export function parseSwitch(raw: string | undefined): boolean | null {
  const v = (raw ?? '').trim().toLowerCase();
  if (v === '') return true;
  if (YES.has(v)) return true;
  if (NO.has(v)) return false;
  return null;
}

/**
 * Bytes as a bare whole number (what our export writes), or a size with a unit ("500 MB", "1.5 GB").
 * A bare number is never read as MB here, unlike the panel's form: a file may be an export fed back.
 */
export function parseQuota(raw: string | undefined): { ok: true; bytes: number | null } | { ok: false; message: Text } {
  const v = (raw ?? '').trim();
  if (v === '') return { ok: true, bytes: null };
  let bytes: number | null;
  if (/^\d+$/.test(v)) bytes = Number(v);
  else if (/[a-z]\s*$/i.test(v)) bytes = parseSize(v);
  else bytes = null;
  if (bytes === null || !Number.isSafeInteger(bytes))
    return { ok: false, message: msg('"{value}" is not a size: write bytes (524288000) or a size with a unit (500 MB, 2 GB).', { value: v }) };
  const range = checkQuota(NO_PLAN, bytes);
  if (range)
    return {
      ok: false,
      message: /^\d+$/.test(v)
        ? msg('{problem} A bare number counts bytes; write "{value} MB" for megabytes.', { problem: range.message, value: v })
        : range.message,
    };
  return { ok: true, bytes };
}

/** The local part of an "address or local part" cell, which must belong to the domain imported into. */
export function parseAddressCell(raw: string | undefined, domain: string): { ok: true; localPart: string } | { ok: false; message: Text } {
  const v = (raw ?? '').trim();
  if (v === '') return { ok: false, message: 'The address is missing.' };
  if (!v.includes('@')) {
    const local = checkLocalPart(v);
    return local.ok ? { ok: true, localPart: local.value } : local;
  }
  const checked = checkAddress(v);
  if (!checked.ok) return checked;
  const own = checkDomain(domain);
  if (!own.ok || checked.value.domain !== own.value) {
    return {
      ok: false,
      message: msg('The address belongs to {theirs}, not to {ours}.', { theirs: displayDomain(checked.value.domain), ours: displayDomain(domain) }),
    };
  }
  return { ok: true, localPart: checked.value.localPart };
}

/** One data row on its own: every problem at once, each naming its column. */
export function checkRow(record: CsvRecord, layout: Layout, domain: string, minPasswordLength: number): CheckedRow {
  const cell = (c: Column) => {
    const i = layout.index[c];
    return i === undefined ? undefined : record.cells[i];
  };
  const errors: RowProblem[] = [];
  const rawAddress = (cell('address') ?? '').trim();
  const address = parseAddressCell(rawAddress, domain);
  if (!address.ok) errors.push({ field: 'address', message: address.message });

  // Passwords are taken as written: leading or trailing spaces are part of them, as in the panel's form.
  const rawPassword = cell('password') ?? '';
  const password = rawPassword === '' ? null : rawPassword;
  const weak = password === null ? null : passwordProblem(password, minPasswordLength, [], { estimate: false });
  if (weak) errors.push({ field: 'password', message: weak });

  const quota = parseQuota(cell('quota'));
  if (!quota.ok) errors.push({ field: 'quota', message: quota.message });

  const imap = parseSwitch(cell('imap'));
  if (imap === null) errors.push({ field: 'imap', message: msg('"{value}" is not yes or no.', { value: cell('imap')!.trim() }) });
  const pop3 = parseSwitch(cell('pop3'));
  if (pop3 === null) errors.push({ field: 'pop3', message: msg('"{value}" is not yes or no.', { value: cell('pop3')!.trim() }) });

  const shown = address.ok ? `${address.localPart}@${domain}` : rawAddress;
  if (errors.length > 0 || !address.ok || !quota.ok) return { ok: false, line: record.line, address: shown, errors };
  return { ok: true, line: record.line, localPart: address.localPart, address: shown, password, quotaBytes: quota.bytes, imap: imap!, pop3: pop3! };
}

export type FileCheck = { ok: true; rows: CheckedRow[]; layout: Layout } | { ok: false; message: Text };

/**
 * Every data row of a parsed file, checked on its own and against the rows before it: the second
 * row naming an address is the duplicate (the first one is what the user most likely meant).
 */
export function checkRows(records: CsvRecord[], domain: string, minPasswordLength: number, maxRows = MAX_CSV_ROWS): FileCheck {
  const layout = detectLayout(records[0]?.cells ?? []);
  if (layout.index.address === undefined) return { ok: false, message: 'The header line has no address column; name one "address".' };
  const data = layout.hasHeader ? records.slice(1) : records;
  if (data.length === 0) return { ok: false, message: 'The file has no rows to import.' };
  if (data.length > maxRows)
    return {
      ok: false,
      message: msg('The file has {rows} rows; at most {max} can be imported at once. Split it into smaller files.', { rows: data.length, max: maxRows }),
    };

  const firstLine = new Map<string, number>();
  const rows = data.map((record): CheckedRow => {
    const row = checkRow(record, layout, domain, minPasswordLength);
    // A row wrong in another column still claims its address: a later row with it is a duplicate.
    if (!row.ok && row.errors.some((e) => e.field === 'address')) return row;
    const earlier = firstLine.get(row.address);
    if (earlier === undefined) {
      firstLine.set(row.address, row.line);
      return row;
    }
    const duplicate: RowProblem = { field: 'address', message: msg('The address is already on line {line} of this file.', { line: earlier }) };
    return { ok: false, line: row.line, address: row.address, errors: row.ok ? [duplicate] : [duplicate, ...row.errors] };
  });
  return { ok: true, rows, layout };
}
