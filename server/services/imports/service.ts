import type { Db } from '../../../db/database.js';
import { customerFootprint } from '../../../db/repositories/customers.js';
import { existingOf } from '../../../db/repositories/mailboxes.js';
import type { DomainRow } from '../../../db/repositories/domains.js';
import { queueWithin } from '../../../jobs/queue/enqueue.js';
import type { Queues } from '../../../jobs/queue/queues.js';
import { generatePassword } from '../../platform/passwords.js';
import { type Principal, assertWritable } from '../auth/principal.js';
import { AppError, notFound } from '../../platform/errors.js';
import { recordChange } from '../audit/record.js';
import { getDomainOr404 } from '../domains/service.js';
import { planLimitsFor } from '../mailboxes/service.js';
import { decodeCsv, parseCsv } from '../../core/imports/csv.js';
import { assertFits } from './fit.js';
import { checkAgainstDomain } from './limits.js';
import { type CheckedRow, type Layout, checkRows } from './rows.js';
import * as store from '../../../db/repositories/imports.js';
import type { ImportRowData, ReportEntry } from '../../../db/tables/imports.js';

export interface PreparedImport {
  domain: DomainRow;
  layout: Layout;
  rows: CheckedRow[];
}

const LOOKUP_BATCH = 1000;

/** Reads an upload for one of the user's domains and checks every row on its own (no database rules yet). */
export async function prepareImport(db: Db, p: Principal, domainName: string, bytes: Uint8Array, minPasswordLength: number): Promise<PreparedImport> {
  assertWritable(p);
  const domain = await getDomainOr404(db, p, domainName);
  const text = decodeCsv(bytes);
  if (!text.ok) throw new AppError('validation', text.message, 'file');
  const parsed = parseCsv(text.text);
  if (!parsed.ok) throw new AppError('validation', parsed.message, 'file');
  const checked = checkRows(parsed.records, domain.name, minPasswordLength);
  if (!checked.ok) throw new AppError('validation', checked.message, 'file');
  return { domain, layout: checked.layout, rows: checked.rows };
}

async function existingAddresses(db: Db, addresses: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < addresses.length; i += LOOKUP_BATCH) {
    const batch = addresses.slice(i, i + LOOKUP_BATCH);
    for (const address of await existingOf(db, batch)) found.add(address);
  }
  return found;
}

/**
 * The dry run: every row as createMailbox would judge it now, against the mailboxes that exist and
 * the customer's plan, changing nothing.
 */
export async function dryRun(db: Db, prepared: PreparedImport): Promise<CheckedRow[]> {
  const { domain, rows } = prepared;
  const [existing, limits, footprint] = await Promise.all([
    existingAddresses(
      db,
      rows.filter((r) => r.ok).map((r) => r.address),
    ),
    planLimitsFor(db, domain.customer_id),
    customerFootprint(db, domain.customer_id),
  ]);
  return checkAgainstDomain(rows, { existing, limits, footprint });
}

export function failedEntry(row: Extract<CheckedRow, { ok: false }>): ReportEntry {
  return { line: row.line, address: row.address, status: 'failed', problems: row.errors };
}

/**
 * Stores the import and queues its job. Rows that break the file's own rules are reported as failed
 * at once; the rest are left to the job, which asks createMailbox (the database may change meanwhile).
 * Missing passwords are made up here, so a retried job sets the same ones.
 */
export async function startImport(db: Db, queues: Queues, p: Principal, prepared: PreparedImport): Promise<number> {
  assertWritable(p);
  const { domain, rows } = prepared;
  const valid = rows.filter((r) => r.ok);
  if (valid.length === 0) throw new AppError('validation', 'No row of this file can be imported; the report below says why.', 'file');
  await assertFits(
    db,
    domain.customer_id,
    valid.map((r) => r.quotaBytes),
  );
  const report: ReportEntry[] = rows.map((r) => (r.ok ? { line: r.line, address: r.address, status: 'pending' } : failedEntry(r)));
  const toCreate: ImportRowData[] = valid.map((r) => ({
    line: r.line,
    localPart: r.localPart,
    address: r.address,
    password: r.password ?? generatePassword(),
    generated: r.password === null,
    quotaBytes: r.quotaBytes,
    imap: r.imap,
    pop3: r.pop3,
  }));
  const invalid = rows.length - valid.length;
  const id = await db.transaction().execute(async (trx) => {
    const importId = await store.insertImport(trx, {
      domainId: domain.id,
      createdBy: p.actor.userId,
      total: rows.length,
      report,
      rows: toCreate,
      counts: { done: invalid, created: 0, failed: invalid },
    });
    await recordChange(trx, p, {
      action: 'mailbox.import',
      objectType: 'domain',
      objectId: domain.name,
      resellerId: domain.reseller_id,
      customerId: domain.customer_id,
      after: { importId, rows: rows.length, invalid },
    });
    return importId;
  });
  try {
    // Within a second, or the queue is said to be unavailable, as for scans.
    await queueWithin(queues.enqueue('import-mailboxes', { importId: id }, {}));
  } catch (err) {
    // Without its job the import would wait forever, holding passwords: end it now instead.
    await store.finishImport(db, id, { status: 'failed', error: 'The job queue was unavailable; nothing was imported. Please upload the file again.' });
    throw err;
  }
  return id;
}

export async function getImportOr404(db: Db, p: Principal, id: number) {
  const imp = await store.getImport(db, p, id);
  if (!imp) throw notFound('Import');
  return imp;
}

/**
 * The generated passwords, once, to the user who ran the import (anyone else in scope sees that
 * they exist but not them). null when they were already taken or there were none.
 */
export async function takePasswords(db: Db, p: Principal, id: number) {
  const imp = await getImportOr404(db, p, id);
  if (imp.created_by === null || imp.created_by !== p.actor.userId)
    throw new AppError('forbidden', 'Only the user who ran the import can download its passwords.');
  if (imp.status !== 'done' && imp.status !== 'failed')
    throw new AppError('conflict', 'The import is still running; the passwords can be downloaded when it has finished.');
  const passwords = await store.takeGeneratedPasswords(db, id);
  if (passwords) {
    await recordChange(db, p, {
      action: 'mailbox.import.passwords',
      objectType: 'domain',
      objectId: imp.domain,
      resellerId: imp.reseller_id,
      customerId: imp.customer_id,
      after: { importId: id, count: passwords.length },
    });
  }
  return { imp, passwords };
}
