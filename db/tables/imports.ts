// The mailbox_imports table: rows to create, stored until the job finishes.
import type { ColumnType, Generated } from 'kysely';
import type { Text } from '../../server/core/message.js';

export type ImportStatus = 'queued' | 'running' | 'done' | 'failed';

/** One mailbox to create, as stored until the job finishes (then the whole list is wiped). */
export interface ImportRowData {
  line: number;
  localPart: string;
  address: string;
  password: string;
  /** The import made the password up; it is handed out once afterwards. */
  generated: boolean;
  quotaBytes: number | null;
  imap: boolean;
  pop3: boolean;
}

export interface ReportEntry {
  line: number;
  address: string;
  status: 'pending' | 'created' | 'failed';
  /** For failures: each problem with the CSV column at fault ("row" for the row as a whole). */
  problems?: { field: string; message: Text }[];
}

export interface GeneratedPassword {
  address: string;
  password: string;
}

// jsonb goes in as JSON text (pg would write a JS array as a PostgreSQL array) and comes back parsed.
// Every jsonb column here has a default or may be NULL, so it is optional on insert.
type Json<T> = ColumnType<T, string | undefined, string>;

export interface MailboxImportsTable {
  id: Generated<number>;
  domain_id: number;
  created_by: number | null;
  status: Generated<ImportStatus>;
  total: number;
  done: Generated<number>;
  created: Generated<number>;
  failed: Generated<number>;
  report: Json<ReportEntry[]>;
  rows: Json<ImportRowData[] | null>;
  generated_passwords: Json<GeneratedPassword[] | null>;
  error: string | null;
  created_at: ColumnType<Date, Date | undefined, Date>;
  finished_at: Date | null;
}
