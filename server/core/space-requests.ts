// Pure rules of requests for more space: which sizes a mailbox may ask for, when the plan approves
// by itself, and what a note or a reason may hold.
import type { Checked } from './address.js';

/** At most this many requests per mailbox within a day (declined and withdrawn ones count too). */
export const REQUESTS_PER_DAY = 3;
export const MAX_NOTE = 500;
/** A plan offers at most this many sizes. */
export const MAX_UPGRADE_SIZES = 10;

export interface UpgradeRules {
  /** The quotas a customer may ask for; empty: requests are not offered. */
  upgradeSizes: number[];
  /** A request up to this size is approved without the reseller; null: all are decided by hand. */
  autoApproveBytes: number | null;
}

/** The sizes a mailbox with this quota may ask for: the plan's that are larger than what it has. */
export function upgradeOptions(rules: UpgradeRules, quotaBytes: number): number[] {
  return rules.upgradeSizes.filter((s) => s > quotaBytes).sort((a, b) => a - b);
}

export const autoApproves = (rules: UpgradeRules, requestedBytes: number) => rules.autoApproveBytes !== null && requestedBytes <= rules.autoApproveBytes;

// Line breaks are allowed in a note; every other control character is not.
const CONTROL = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f]/;

/** A customer's note or a reseller's reason: free text of at most 500 characters, line breaks allowed. */
export function checkNote(input: string, what: 'note' | 'reason'): Checked<string> {
  const value = input.replace(/\r\n?/g, '\n').trim();
  if (value.length > MAX_NOTE) return { ok: false, message: 'Write at most 500 characters.' };
  if (CONTROL.test(value)) return { ok: false, message: 'Only text and line breaks, please: no control characters.' };
  if (what === 'reason' && !value) return { ok: false, message: 'Say why, so the customer knows what to do next.' };
  return { ok: true, value };
}
