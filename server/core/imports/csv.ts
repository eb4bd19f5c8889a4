// Pure CSV reading and writing (RFC 4180 plus what spreadsheets really produce). No I/O here.
import { msg, type Text } from '../message.js';

export const MAX_CSV_BYTES = 5 * 1024 * 1024;
export const MAX_CSV_ROWS = 20_000;

export interface CsvRecord {
  /** The physical line the record starts on (1-based), which is what a user sees in an editor. */
  line: number;
  cells: string[];
}

export type CsvResult = { ok: true; records: CsvRecord[]; delimiter: string } | { ok: false; message: Text };

export interface CsvLimits {
  maxBytes?: number;
  maxRows?: number;
}

const DELIMITERS = [',', ';', '\t'] as const;

/**
 * Turns uploaded bytes into text: UTF-8 only (with or without BOM). Guessing a legacy code page could
 * silently change the passwords in the file, so anything else is refused with a way out.
 */
const tooLarge = (maxBytes: number) => msg('The file is larger than {max}; split it into smaller files.', { max: { bytes: maxBytes } });

export function decodeCsv(bytes: Uint8Array, maxBytes = MAX_CSV_BYTES): { ok: true; text: string } | { ok: false; message: Text } {
  if (bytes.byteLength > maxBytes) return { ok: false, message: tooLarge(maxBytes) };
  if (bytes.includes(0)) return { ok: false, message: 'This is not a CSV text file. In your spreadsheet choose "Save as" → "CSV UTF-8".' };
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes) };
  } catch {
    return { ok: false, message: 'The file is not UTF-8 text. In your spreadsheet choose "Save as" → "CSV UTF-8".' };
  }
}

/**
 * Spreadsheets in many locales (German Excel among them) separate with ";" and some exports use tabs;
 * the first line decides, counting separators outside quotes.
 */
export function detectDelimiter(text: string): string {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ',';
  for (const d of DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

/**
 * Parses CSV text into records: quoted fields with "" escapes, delimiters and line breaks inside
 * quotes, CRLF / LF / CR line ends, a leading BOM. Blank lines are skipped. A quote inside an unquoted
 * field is kept as a character, as spreadsheets do; text after a closing quote is an error, because
 * the file is then ambiguous.
 */
export function parseCsv(input: string, limits: CsvLimits = {}): CsvResult {
  const maxBytes = limits.maxBytes ?? MAX_CSV_BYTES;
  const maxRows = limits.maxRows ?? MAX_CSV_ROWS;
  if (input.length > maxBytes) return { ok: false, message: tooLarge(maxBytes) };
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const delimiter = detectDelimiter(text);
  const records: CsvRecord[] = [];

  let line = 1;
  let recordLine = 1;
  let cells: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let wasQuoted = false; // the current field was quoted and has been closed

  const endField = () => {
    cells.push(field);
    field = '';
    wasQuoted = false;
  };
  const endRecord = (): string | null => {
    endField();
    // Spreadsheets end files with rows of empty cells (",,,"): those are blank lines too.
    if (cells.some((c) => c.trim() !== '')) {
      // One record of slack for the header; the row rules count data rows exactly.
      if (records.length >= maxRows + 1) return `The file has more than ${maxRows} rows; split it into smaller files.`;
      records.push({ line: recordLine, cells });
    }
    cells = [];
    return null;
  };

  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
          wasQuoted = true;
        }
      } else {
        if (ch === '\n' || (ch === '\r' && text[i + 1] !== '\n')) line++;
        field += ch;
      }
      continue;
    }
    if (ch === delimiter) {
      endField();
    } else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      const problem = endRecord();
      if (problem) return { ok: false, message: problem };
      line++;
      recordLine = line;
    } else if (wasQuoted) {
      return {
        ok: false,
        message: msg('Line {line}: unexpected text after a closing quote. Put quotes around the whole field and double any quote inside it ("").', { line }),
      };
    } else if (ch === '"' && field === '') {
      quoted = true;
    } else {
      field += ch;
    }
  }
  if (quoted) return { ok: false, message: msg('Line {line}: a quoted field is never closed.', { line: recordLine }) };
  const problem = endRecord();
  if (problem) return { ok: false, message: problem };
  return { ok: true, records, delimiter };
}

export type CsvCell = string | number | boolean | null | undefined;

// Spreadsheets run a cell starting with one of these as a formula (CSV injection); a leading quote makes it text.
const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell for output: formula-like text is defused, and quoted when it holds a delimiter, quote or line break. */
export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",;\r\n\t]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: readonly CsvCell[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

export function toCsv(rows: readonly (readonly CsvCell[])[]): string {
  return rows.map(csvLine).join('');
}
