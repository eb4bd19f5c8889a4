// Pure: what createMailbox would say to each row, given the domain's state before the import.
import { type CustomerFootprint, type PlanLimits, checkFootprint, checkQuota } from '../../core/plan-limits.js';
import { displayAddress } from '../../core/address.js';
import type { CheckedRow, Column } from './rows.js';
import { msg } from '../../core/message.js';

export interface DomainState {
  /** Addresses among the file's that exist already (anywhere: addresses are unique system-wide). */
  existing: ReadonlySet<string>;
  limits: PlanLimits;
  footprint: CustomerFootprint;
}

/** The CSV column a service error belongs to; createMailbox names its own form fields. */
export function columnOf(serviceField: string | undefined): Column | 'row' {
  if (serviceField === 'localPart') return 'address';
  if (serviceField === 'quotaBytes') return 'quota';
  if (serviceField === 'password') return 'password';
  return 'row';
}

/**
 * Replays the file in order against the plan, the way createMailbox checks one mailbox at a time:
 * each accepted row uses up a mailbox and its quota, so the first row over a limit and every later
 * one that does not fit are the ones refused.
 */
export function checkAgainstDomain(rows: readonly CheckedRow[], state: DomainState): CheckedRow[] {
  let footprint = { ...state.footprint };
  return rows.map((row): CheckedRow => {
    if (!row.ok) return row;
    if (state.existing.has(row.address)) {
      return {
        ok: false,
        line: row.line,
        address: row.address,
        errors: [{ field: 'address', message: msg('The mailbox {address} already exists.', { address: displayAddress(row.address) }) }],
      };
    }
    const quota = row.quotaBytes ?? state.limits.defaultQuotaBytes;
    const bad = checkQuota(state.limits, quota) ?? checkFootprint(state.limits, footprint, 1, quota);
    if (bad) {
      return {
        ok: false,
        line: row.line,
        address: row.address,
        errors: [{ field: columnOf(bad.limit === 'max_mailboxes' ? 'localPart' : 'quotaBytes'), message: bad.message }],
      };
    }
    footprint = { mailboxes: footprint.mailboxes + 1, allocatedBytes: footprint.allocatedBytes + quota };
    return row;
  });
}
