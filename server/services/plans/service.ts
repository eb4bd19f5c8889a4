import type { Db } from '../../../db/database.js';
import * as repo from '../../../db/repositories/plans.js';
import { type Principal, assertRole, assertWritable } from '../auth/principal.js';
import { MAX_QUOTA_BYTES, MIN_QUOTA_BYTES } from '../../core/quota.js';
import { MAX, checkName } from '../../core/text.js';
import { AppError, notFound } from '../../platform/errors.js';
import { recordChange } from '../audit/record.js';
import { isUniqueViolation } from '../../../db/errors.js';
import { msg } from '../../core/message.js';
import { MAX_UPGRADE_SIZES } from '../../core/space-requests.js';
import { MAX_SEND_LIMIT, sendLimitProblem, type SendLimits } from '../../core/send-limits.js';

export interface PlanInput {
  name: string;
  defaultQuotaBytes: number;
  maxQuotaBytes: number | null;
  maxMailboxes: number | null;
  maxStorageBytes: number | null;
  /** How long deleted mailboxes stay restorable; absent keeps the plan's (30 for a new plan). */
  deletedRetentionDays?: number;
  /** Room to delete: how far over the quota saving into Trash may go, in percent of it (absent keeps the plan's; 10 for a new plan). */
  trashRoomPercent?: number;
  /** Whether Junk gets the same room; absent keeps the plan's (no for a new plan). */
  junkRoom?: boolean;
  /** Automatic purge: Trash (Junk) loses what was moved there more than this many days ago; null = off; absent keeps the plan's. */
  trashPurgeDays?: number | null;
  junkPurgeDays?: number | null;
  /** The quotas customers may request (requests for more space); absent keeps the plan's (none for a new plan). */
  upgradeSizes?: number[];
  /** Requests up to this size are approved by themselves; null = all by hand; absent keeps the plan's. */
  autoApproveBytes?: number | null;
  /** Send limits of the plan's mailboxes (a field null: no limit); absent keeps the plan's (none for a new plan). */
  sendLimits?: SendLimits;
}

/** The plan's row as stored, once every field is checked (AppError naming the field otherwise). */
function checkPlan(input: PlanInput) {
  const name = checkName(input.name, 'The plan name', MAX.shortName);
  if (!name.ok) throw new AppError('validation', name.message, 'name');
  const sizes: [keyof PlanInput, number | null][] = [
    ['defaultQuotaBytes', input.defaultQuotaBytes],
    ['maxQuotaBytes', input.maxQuotaBytes],
    ['maxStorageBytes', input.maxStorageBytes],
  ];
  for (const [field, v] of sizes) {
    if (v !== null && (!Number.isSafeInteger(v) || v < MIN_QUOTA_BYTES || v > MAX_QUOTA_BYTES))
      throw new AppError('validation', msg('Enter a size of at least {min}.', { min: { bytes: MIN_QUOTA_BYTES } }), field);
  }
  if (input.maxMailboxes !== null && (!Number.isSafeInteger(input.maxMailboxes) || input.maxMailboxes < 0 || input.maxMailboxes > 1_000_000)) {
    throw new AppError('validation', 'Enter a whole number of mailboxes.', 'maxMailboxes');
  }
  const keep = input.deletedRetentionDays;
  if (keep !== undefined && (!Number.isInteger(keep) || keep < 0 || keep > 3650))
    throw new AppError('validation', 'Enter a number of days from 0 (removed at the next cleanup) to 3650.', 'deletedRetentionDays');
  const room = input.trashRoomPercent;
  if (room !== undefined && (!Number.isInteger(room) || room < 0 || room > 100))
    throw new AppError('validation', 'Enter a whole percentage from 0 (no extra room) to 100.', 'trashRoomPercent');
  for (const field of ['trashPurgeDays', 'junkPurgeDays'] as const) {
    const days = input[field];
    if (days !== undefined && days !== null && (!Number.isInteger(days) || days < 1 || days > 3650))
      throw new AppError('validation', 'Enter a number of days from 1 to 3650, or leave it empty to keep mail there until it is deleted.', field);
  }
  if (input.maxQuotaBytes !== null && input.defaultQuotaBytes > input.maxQuotaBytes) {
    throw new AppError('validation', 'The default quota may not exceed the largest quota per mailbox.', 'defaultQuotaBytes');
  }
  const upgrades = input.upgradeSizes === undefined ? undefined : [...new Set(input.upgradeSizes)].sort((a, b) => a - b);
  if (upgrades !== undefined) {
    if (upgrades.length > MAX_UPGRADE_SIZES) throw new AppError('validation', 'Offer at most 10 sizes.', 'upgradeSizes');
    if (upgrades.some((v) => !Number.isSafeInteger(v) || v < MIN_QUOTA_BYTES || v > MAX_QUOTA_BYTES))
      throw new AppError('validation', msg('Enter sizes of at least {min}, like 1 GB, 2 GB, 5 GB.', { min: { bytes: MIN_QUOTA_BYTES } }), 'upgradeSizes');
    if (input.maxQuotaBytes !== null && upgrades.some((v) => v > input.maxQuotaBytes!))
      throw new AppError('validation', 'The sizes offered may not exceed the largest quota per mailbox.', 'upgradeSizes');
  }
  const auto = input.autoApproveBytes;
  if (auto !== undefined && auto !== null && (!Number.isSafeInteger(auto) || auto < MIN_QUOTA_BYTES || auto > MAX_QUOTA_BYTES))
    throw new AppError('validation', msg('Enter a size of at least {min}.', { min: { bytes: MIN_QUOTA_BYTES } }), 'autoApproveBytes');
  const send = input.sendLimits;
  const badLimit = send === undefined ? null : sendLimitProblem(send);
  if (badLimit) throw new AppError('validation', msg(badLimit.message, { max: MAX_SEND_LIMIT }), badLimit.field);
  return {
    name: name.value,
    default_quota_bytes: input.defaultQuotaBytes,
    max_quota_bytes: input.maxQuotaBytes,
    max_mailboxes: input.maxMailboxes,
    max_storage_bytes: input.maxStorageBytes,
    ...(keep !== undefined && { deleted_retention_days: keep }),
    ...(room !== undefined && { trash_room_percent: room }),
    ...(input.junkRoom !== undefined && { junk_room: input.junkRoom }),
    ...(input.trashPurgeDays !== undefined && { trash_purge_days: input.trashPurgeDays }),
    ...(input.junkPurgeDays !== undefined && { junk_purge_days: input.junkPurgeDays }),
    ...(upgrades !== undefined && { upgrade_sizes: upgrades }),
    ...(auto !== undefined && { auto_approve_bytes: auto }),
    ...(send !== undefined && { send_per_hour: send.perHour, send_per_day: send.perDay, send_recipients: send.recipientsPerMessage }),
  };
}

export async function createPlan(db: Db, p: Principal, input: PlanInput) {
  assertRole(p, 'reseller');
  assertWritable(p);
  const values = checkPlan(input);
  try {
    return await db.transaction().execute(async (trx) => {
      const plan = await repo.insertPlan(trx, p.resellerId!, values);
      await recordChange(trx, p, {
        action: 'plan.create',
        objectType: 'plan',
        objectId: plan.id,
        resellerId: p.resellerId,
        customerId: null,
        after: { ...input, name: values.name },
      });
      return plan;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('conflict', 'A plan with this name already exists.', 'name');
    throw err;
  }
}

/** New limits apply to what comes next; existing mailboxes keep their quotas. */
/** Why an edit from a stale page is refused (see MailboxPatch.ifUnchangedSince). */
export const STALE_PLAN = 'This plan was changed by someone else in the meantime. It is shown as it is now: make your change again if it still applies.';

/** A plan changed since the editing page showed it (its updatedAt, `ifUnchangedSince`) is not written: 409. */
const withoutVersion = <T extends { ifUnchangedSince?: string }>({ ifUnchangedSince: _, ...rest }: T) => rest;

async function assertUnchanged(trx: Db, id: number, ifUnchangedSince: string | undefined) {
  if (ifUnchangedSince !== undefined && (await repo.lockPlanVersion(trx, id)).updated_at.toISOString() !== ifUnchangedSince)
    throw new AppError('conflict', STALE_PLAN);
}

export async function updatePlanLimits(db: Db, p: Principal, id: number, input: PlanInput & { ifUnchangedSince?: string }) {
  assertRole(p, 'reseller');
  assertWritable(p);
  const before = await repo.getPlan(db, p, id);
  if (!before) throw notFound('Plan');
  const values = checkPlan(input);
  try {
    await db.transaction().execute(async (trx) => {
      await assertUnchanged(trx, id, input.ifUnchangedSince);
      await repo.updatePlan(trx, id, values);
      await recordChange(trx, p, {
        action: 'plan.update',
        objectType: 'plan',
        objectId: id,
        resellerId: p.resellerId,
        customerId: null,
        before: {
          name: before.name,
          defaultQuotaBytes: before.default_quota_bytes,
          maxQuotaBytes: before.max_quota_bytes,
          maxMailboxes: before.max_mailboxes,
          maxStorageBytes: before.max_storage_bytes,
          deletedRetentionDays: before.deleted_retention_days,
          trashRoomPercent: before.trash_room_percent,
          junkRoom: before.junk_room,
          trashPurgeDays: before.trash_purge_days,
          junkPurgeDays: before.junk_purge_days,
          upgradeSizes: before.upgrade_sizes,
          autoApproveBytes: before.auto_approve_bytes,
          sendLimits: { perHour: before.send_per_hour, perDay: before.send_per_day, recipientsPerMessage: before.send_recipients },
        },
        after: { ...withoutVersion(input), name: values.name },
      });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('conflict', 'A plan with this name already exists.', 'name');
    throw err;
  }
}

export interface AlertSettingsInput {
  warnPercents: number[];
  minFreeBytes: number | null;
  recipients: string[];
  reminderDays: number;
  texts: Record<'en' | 'de', { subject: string; text: string }>;
}

const RECIPIENTS = ['mailbox', 'contact', 'reseller'];

/** A reseller decides per plan when warnings go out, to whom, and in which words. */
export async function updatePlanAlerts(db: Db, p: Principal, id: number, input: AlertSettingsInput & { ifUnchangedSince?: string }) {
  assertRole(p, 'reseller');
  assertWritable(p);
  const plan = await repo.getPlan(db, p, id);
  if (!plan) throw notFound('Plan');
  const percents = [...new Set(input.warnPercents)].sort((a, b) => a - b);
  if (percents.length === 0 || percents.length > 5 || percents.some((n) => !Number.isInteger(n) || n < 1 || n > 99)) {
    throw new AppError('validation', 'Enter one to five whole percentages from 1 to 99, like 80, 90, 95.', 'warnPercents');
  }
  if (input.recipients.length === 0 || input.recipients.some((r) => !RECIPIENTS.includes(r)))
    throw new AppError('validation', 'Choose at least one recipient.', 'recipients');
  if (!Number.isInteger(input.reminderDays) || input.reminderDays < 0 || input.reminderDays > 30)
    throw new AppError('validation', 'Enter a number of days from 0 (no reminders) to 30.', 'reminderDays');
  const texts: Record<string, { subject?: string; text?: string }> = {};
  for (const lang of ['en', 'de'] as const) {
    const { subject, text } = input.texts[lang];
    if (/[\r\n]/.test(subject) || subject.length > 200)
      throw new AppError('validation', 'The subject must be one line of at most 200 characters.', `subject_${lang}`);
    if (text.length > 5000) throw new AppError('validation', 'The text may be at most 5000 characters long.', `text_${lang}`);
    if (subject.trim() || text.trim()) texts[lang] = { ...(subject.trim() && { subject: subject.trim() }), ...(text.trim() && { text: text.trim() }) };
  }
  const values = {
    warn_percents: percents,
    warn_min_free_bytes: input.minFreeBytes,
    alert_recipients: input.recipients,
    reminder_days: input.reminderDays,
    alert_texts: Object.keys(texts).length ? JSON.stringify(texts) : null,
  };
  await db.transaction().execute(async (trx) => {
    await assertUnchanged(trx, id, input.ifUnchangedSince);
    await repo.updatePlan(trx, id, values);
    await recordChange(trx, p, {
      action: 'plan.alerts',
      objectType: 'plan',
      objectId: id,
      resellerId: p.resellerId,
      customerId: null,
      after: {
        warnPercents: percents,
        minFreeBytes: input.minFreeBytes,
        recipients: input.recipients,
        reminderDays: input.reminderDays,
        customTexts: Object.keys(texts),
      },
    });
  });
}
