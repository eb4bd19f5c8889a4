import { DEFAULT_QUOTA_BYTES, MAX_QUOTA_BYTES, MIN_QUOTA_BYTES } from './quota.js';
import { type Message, msg } from './message.js';
import type { UpgradeRules } from './space-requests.js';

export interface PlanLimits {
  defaultQuotaBytes: number;
  maxQuotaBytes: number | null;
  maxMailboxes: number | null;
  maxStorageBytes: number | null;
}

/** Room to delete and the automatic purge, per plan. */
export interface SpaceRules {
  /** Room to delete: saving into Trash may exceed the quota by this share of it (Dovecot's quota_rule2). */
  trashRoomPercent: number;
  /** Whether Junk gets the same room (quota_rule3). */
  junkRoom: boolean;
  /** Days after which mail moved to Trash (Junk) is purged; null = never. */
  trashPurgeDays: number | null;
  junkPurgeDays: number | null;
}

/** Without a plan, and for new plans: as the column defaults (db/migrations/2026-12-04T1000-trash-room.ts). */
export const DEFAULT_TRASH_ROOM_PERCENT = 10;

/** The bytes Trash (and Junk, if the plan says so) may go over the quota: as mail_accounts computes it. */
export function trashRoomBytes(room: SpaceRules, quotaBytes: number): number {
  return Math.floor((quotaBytes * room.trashRoomPercent) / 100);
}

/** Customers without a plan get the provider's default quota and no further limits. */
export const NO_PLAN: PlanLimits & SpaceRules & UpgradeRules = {
  defaultQuotaBytes: DEFAULT_QUOTA_BYTES,
  maxQuotaBytes: null,
  maxMailboxes: null,
  maxStorageBytes: null,
  trashRoomPercent: DEFAULT_TRASH_ROOM_PERCENT,
  junkRoom: false,
  trashPurgeDays: null,
  junkPurgeDays: null,
  upgradeSizes: [],
  autoApproveBytes: null,
};

export interface CustomerFootprint {
  mailboxes: number;
  allocatedBytes: number; // sum of the quotas of the customer's mailboxes
}

export type LimitViolation = { limit: 'quota_range' | 'max_quota_bytes' | 'max_mailboxes' | 'max_storage_bytes'; message: Message };

export function checkQuota(limits: PlanLimits, quotaBytes: number): LimitViolation | null {
  if (!Number.isSafeInteger(quotaBytes) || quotaBytes < MIN_QUOTA_BYTES || quotaBytes > MAX_QUOTA_BYTES) {
    return { limit: 'quota_range', message: msg('Enter a quota of at least {min}, like 500 MB or 2 GB.', { min: { bytes: MIN_QUOTA_BYTES } }) };
  }
  if (limits.maxQuotaBytes !== null && quotaBytes > limits.maxQuotaBytes) {
    return { limit: 'max_quota_bytes', message: msg('The plan allows at most {max} per mailbox.', { max: { bytes: limits.maxQuotaBytes } }) };
  }
  return null;
}

/** Would adding a mailbox with this quota (or changing one by `deltaBytes`) stay within the plan? */
export function checkFootprint(limits: PlanLimits, now: CustomerFootprint, addMailboxes: number, deltaBytes: number): LimitViolation | null {
  if (limits.maxMailboxes !== null && addMailboxes > 0 && now.mailboxes + addMailboxes > limits.maxMailboxes) {
    return { limit: 'max_mailboxes', message: msg('The plan allows at most {max} mailboxes.', { max: limits.maxMailboxes }) };
  }
  if (limits.maxStorageBytes !== null && deltaBytes > 0 && now.allocatedBytes + deltaBytes > limits.maxStorageBytes) {
    return { limit: 'max_storage_bytes', message: msg('The plan allows at most {max} of storage in total.', { max: { bytes: limits.maxStorageBytes } }) };
  }
  return null;
}

/**
 * Whether `rows` new mailboxes (with these quotas) fit the plan at all: a file that cannot fit is
 * refused before any row is worked on (nothing hashed, nothing created).
 */
export function checkBatch(limits: PlanLimits, now: CustomerFootprint, quotas: number[]): LimitViolation | null {
  if (limits.maxMailboxes !== null && now.mailboxes + quotas.length > limits.maxMailboxes) {
    const room = Math.max(0, limits.maxMailboxes - now.mailboxes);
    return {
      limit: 'max_mailboxes',
      message: msg('The plan allows at most {max} mailboxes; {room} more fit, and this file has {n}. Nothing was imported.', {
        max: limits.maxMailboxes,
        room,
        n: quotas.length,
      }),
    };
  }
  const adding = quotas.reduce((a, b) => a + b, 0);
  if (limits.maxStorageBytes !== null && now.allocatedBytes + adding > limits.maxStorageBytes) {
    const room = Math.max(0, limits.maxStorageBytes - now.allocatedBytes);
    return {
      limit: 'max_storage_bytes',
      message: msg("The plan allows at most {max} of storage; {room} is left, and this file's mailboxes need {need}. Nothing was imported.", {
        max: { bytes: limits.maxStorageBytes },
        room: { bytes: room },
        need: { bytes: adding },
      }),
    };
  }
  return null;
}
