import { type Db, inTransaction } from '../../../db/database.js';
import { customerFootprint, lockCustomer } from '../../../db/repositories/customers.js';
import * as repo from '../../../db/repositories/mailboxes.js';
import { planOfCustomer } from '../../../db/repositories/plans.js';
import { hashPassword, passwordProblem } from '../../platform/passwords.js';
import { type Principal, assertWritable } from '../auth/principal.js';
import { checkAddress, checkLocalPart, displayAddress, displayDomain } from '../../core/address.js';
import { freshMaildir } from '../../../db/repositories/deleted-mailboxes.js';
import { type LimitViolation, NO_PLAN, type PlanLimits, type SpaceRules, checkFootprint, checkQuota } from '../../core/plan-limits.js';
import type { UpgradeRules } from '../../core/space-requests.js';
import { type Level, percentUsed, quotaLevel } from '../../core/quota.js';
import { MAX_SEND_LIMIT, effectiveSendLimits, sendLimitProblem, type SendLimits } from '../../core/send-limits.js';
import { AppError, notFound } from '../../platform/errors.js';
import { enqueueScan } from '../../../jobs/queue/enqueue.js';
import type { Queues } from '../../../jobs/queue/queues.js';
import { recordChange } from '../audit/record.js';
import { getDomainOr404 } from '../domains/service.js';
import { isUniqueViolation } from '../../../db/errors.js';
import { endMailboxSessions } from '../../../db/repositories/mailbox-sessions.js';
import { msg } from '../../core/message.js';
import { emitLevelChanges, emitMailboxEvent } from '../webhooks/emit.js';

export interface MailboxInput {
  localPart: string;
  password: string;
  /** Set by the import for passwords it generated: no strength estimate needed. */
  generated?: boolean;
  quotaBytes?: number;
  imap?: boolean;
  pop3?: boolean;
  smtp?: boolean;
  sieve?: boolean;
}

/** Suspensions apart from `active`: login (no protocol signs in), incoming (mail to it refused), outgoing (no sending). */
export interface Suspensions {
  login: boolean;
  incoming: boolean;
  outgoing: boolean;
}

export interface MailboxPatch {
  password?: string;
  quotaBytes?: number;
  imap?: boolean;
  pop3?: boolean;
  /** SMTP submission: sending with the mailbox's credentials. */
  smtp?: boolean;
  /** ManageSieve: the owner's own filters and vacation replies. */
  sieve?: boolean;
  /** Any of the three; those left out stay as they are. */
  suspended?: Partial<Suspensions>;
  /** Where the main password signs in (imap, pop3, smtp, sieve); app passwords may sign in elsewhere. */
  mainPasswordProtocols?: string[];
  /** The mailbox's own send limits; null: its plan's again. */
  sendLimits?: SendLimits | null;
  active?: boolean;
  /** Whether the plan's automatic purge of Trash and Junk applies to this mailbox. */
  autoPurge?: boolean;
  /**
   * Optimistic concurrency: the mailbox's updatedAt as the editing page showed it. When the row has
   * changed since, nothing is written (409), so a stale page cannot undo someone else's change.
   */
  ifUnchangedSince?: string;
}

/** Why an edit from a stale page is refused. */
export const STALE_EDIT = 'This mailbox was changed by someone else in the meantime. It is shown as it is now: make your change again if it still applies.';

export function usageView(m: repo.MailboxRow) {
  const used = m.used_bytes;
  return {
    usedBytes: used,
    messages: m.messages,
    quotaBytes: m.quota_bytes,
    percent: used === null ? null : percentUsed(used, m.quota_bytes),
    level: used === null ? null : quotaLevel(used, m.quota_bytes),
    scannedAt: m.scanned_at ? m.scanned_at.toISOString() : null,
    source: (m.source ?? null) as 'scan' | 'dovecot' | null,
    diskBytes: m.disk_bytes,
    diskScannedAt: m.disk_at ? m.disk_at.toISOString() : null,
    drift: m.drift_bytes === null || !m.drift_at ? null : { bytes: m.drift_bytes, at: m.drift_at.toISOString() },
  };
}

export function mailboxView(m: repo.MailboxRow) {
  return {
    address: m.address,
    displayAddress: displayAddress(m.address),
    localPart: m.local_part,
    domain: m.domain,
    quotaBytes: m.quota_bytes,
    imap: m.imap_enabled,
    pop3: m.pop3_enabled,
    smtp: m.smtp_enabled,
    sieve: m.sieve_enabled,
    suspended: { login: m.suspend_login, incoming: m.suspend_incoming, outgoing: m.suspend_outgoing },
    outgoingLocked: m.outgoing_locked,
    mainPasswordProtocols: m.main_password_protocols,
    sendLimits: m.send_limits,
    effectiveSendLimits: effectiveSendLimits(m.send_limits, m.plan_send_limits),
    active: m.active,
    autoPurge: m.auto_purge,
    node: m.node,
    createdAt: m.created_at.toISOString(),
    updatedAt: m.updated_at.toISOString(),
    lastLoginAt: m.last_login_at ? new Date(m.last_login_at).toISOString() : null,
    usage: usageView(m),
  };
}

type Snapshotted = { quota_bytes: number; imap_enabled: boolean; pop3_enabled: boolean; active: boolean; auto_purge?: boolean } & Partial<
  Pick<
    repo.MailboxRow,
    'smtp_enabled' | 'sieve_enabled' | 'suspend_login' | 'suspend_incoming' | 'suspend_outgoing' | 'main_password_protocols' | 'send_limits'
  >
>;

const snapshot = (m: Snapshotted) => ({
  quotaBytes: m.quota_bytes,
  imap: m.imap_enabled,
  pop3: m.pop3_enabled,
  ...(m.smtp_enabled !== undefined && { smtp: m.smtp_enabled }),
  ...(m.sieve_enabled !== undefined && { sieve: m.sieve_enabled }),
  ...(m.main_password_protocols !== undefined && { mainPasswordProtocols: m.main_password_protocols }),
  ...(m.send_limits !== undefined && { sendLimits: m.send_limits }),
  ...(m.suspend_login !== undefined && { suspendedLogin: m.suspend_login, suspendedIncoming: m.suspend_incoming, suspendedOutgoing: m.suspend_outgoing }),
  active: m.active,
  ...(m.auto_purge !== undefined && { autoPurge: m.auto_purge }),
});

/**
 * The local part of what was typed: a whole address of this domain, pasted as it stands in a CSV file
 * or an email ("carol@example-ltd.test"), is taken as its local part; one of another domain is refused.
 */
function ownLocalPart(typed: string, domain: string): string {
  if (!typed.includes('@')) return typed;
  const full = checkAddress(typed.trim());
  if (full.ok && full.value.domain === domain) return full.value.localPart;
  throw new AppError(
    'validation',
    msg('Enter the part before the @ only: this mailbox is created in {domain}.', { domain: displayDomain(domain) }),
    'localPart',
  );
}

/** Send limits are the provider's protection against abuse: staff set them; customers and owners only see them. */
function checkSendLimits(p: Principal, limits: SendLimits | null) {
  if (p.role !== 'operator' && p.role !== 'reseller') throw new AppError('forbidden', 'Send limits are set by your provider.', 'sendLimits');
  const bad = sendLimitProblem(limits);
  if (bad) throw new AppError('validation', msg(bad.message, { max: MAX_SEND_LIMIT }), bad.field);
}

/** Finds a mailbox by the address a user typed; an address that breaks the rules cannot exist, so it is not found. */
export async function getMailboxOr404(db: Db, p: Principal, address: string) {
  const checked = checkAddress(address);
  const m = checked.ok ? await repo.getMailbox(db, p, checked.value.address) : undefined;
  if (!m) throw notFound('Mailbox');
  return m;
}

export async function planLimitsFor(db: Db, customerId: number): Promise<PlanLimits & SpaceRules & UpgradeRules> {
  const plan = await planOfCustomer(db, customerId);
  if (!plan) return NO_PLAN;
  return {
    defaultQuotaBytes: plan.default_quota_bytes,
    maxQuotaBytes: plan.max_quota_bytes,
    maxMailboxes: plan.max_mailboxes,
    maxStorageBytes: plan.max_storage_bytes,
    trashRoomPercent: plan.trash_room_percent,
    junkRoom: plan.junk_room,
    trashPurgeDays: plan.trash_purge_days,
    junkPurgeDays: plan.junk_purge_days,
    upgradeSizes: plan.upgrade_sizes,
    autoApproveBytes: plan.auto_approve_bytes,
  };
}

const mailboxExists = (address: string) => msg('The mailbox {address} already exists.', { address: displayAddress(address) });

function limitError(v: LimitViolation, field = 'quotaBytes') {
  return v.limit === 'quota_range' ? new AppError('validation', v.message, field) : new AppError('limit_exceeded', v.message, field, v.limit);
}

/**
 * Creates a mailbox; with `queues`, its node measures it at once, so no screen says "not measured
 * yet" until the next round (best effort: when the queue is away, that round measures it).
 */
export async function createMailbox(db: Db, p: Principal, domainName: string, input: MailboxInput, minPasswordLength: number, queues?: Queues) {
  const m = await insertNewMailbox(db, p, domainName, input, minPasswordLength);
  if (queues) await enqueueScan(queues, m, true).catch(() => undefined);
  return m;
}

async function insertNewMailbox(db: Db, p: Principal, domainName: string, input: MailboxInput, minPasswordLength: number) {
  assertWritable(p);
  const domain = await getDomainOr404(db, p, domainName);
  const local = checkLocalPart(ownLocalPart(input.localPart, domain.name));
  if (!local.ok) throw new AppError('validation', local.message, 'localPart');
  const address = `${local.value}@${domain.name}`;
  if (await repo.mailboxExists(db, address)) throw new AppError('conflict', mailboxExists(address), 'localPart');
  // The plan first: a mailbox that cannot fit costs no hashing (checked again under the lock below).
  const planned = await planLimitsFor(db, domain.customer_id);
  const over =
    checkQuota(planned, input.quotaBytes ?? planned.defaultQuotaBytes) ??
    checkFootprint(planned, await customerFootprint(db, domain.customer_id), 1, input.quotaBytes ?? planned.defaultQuotaBytes);
  if (over) throw limitError(over, over.limit === 'max_mailboxes' ? 'localPart' : 'quotaBytes');
  // A password the panel generated itself (imports) is strong by construction.
  const problem = input.generated ? null : passwordProblem(input.password, minPasswordLength, [address]);
  if (problem) throw new AppError('validation', problem, 'password');
  const passwordHash = await hashPassword(input.password);

  try {
    return await db.transaction().execute(async (trx) => {
      await lockCustomer(trx, domain.customer_id);
      const limits = await planLimitsFor(trx, domain.customer_id);
      const quotaBytes = input.quotaBytes ?? limits.defaultQuotaBytes;
      const bad = checkQuota(limits, quotaBytes) ?? checkFootprint(limits, await customerFootprint(trx, domain.customer_id), 1, quotaBytes);
      if (bad) throw limitError(bad, bad.limit === 'max_mailboxes' ? 'localPart' : 'quotaBytes');
      const values = {
        domain_id: domain.id,
        local_part: local.value,
        address,
        password_hash: passwordHash,
        quota_bytes: quotaBytes,
        imap_enabled: input.imap ?? true,
        pop3_enabled: input.pop3 ?? true,
        smtp_enabled: input.smtp ?? true,
        sieve_enabled: input.sieve ?? true,
        // A re-created address never gets its predecessor's files (see freshMaildir).
        maildir: await freshMaildir(trx, domain.node, domain.name, local.value, address),
        node: domain.node,
      };
      await repo.insertMailbox(trx, values);
      await recordChange(trx, p, {
        action: 'mailbox.create',
        objectType: 'mailbox',
        objectId: address,
        resellerId: domain.reseller_id,
        customerId: domain.customer_id,
        after: snapshot({ ...values, active: true }),
      });
      const created = (await repo.getMailbox(trx, p, address))!;
      await emitMailboxEvent(trx, 'mailbox.created', created.id);
      return created;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new AppError('conflict', mailboxExists(address), 'localPart');
    throw err;
  }
}

export async function updateMailbox(db: Db, p: Principal, address: string, patch: MailboxPatch, minPasswordLength: number) {
  assertWritable(p);
  const before = await getMailboxOr404(db, p, address);
  let passwordHash: string | undefined;
  if (patch.password !== undefined) {
    const problem = passwordProblem(patch.password, minPasswordLength, [before.address]);
    if (problem) throw new AppError('validation', problem, 'password');
    passwordHash = await hashPassword(patch.password);
  }
  const mainProtocols = patch.mainPasswordProtocols === undefined ? undefined : [...new Set(patch.mainPasswordProtocols)].sort();
  if (mainProtocols?.some((x) => !['imap', 'pop3', 'smtp', 'sieve'].includes(x)))
    throw new AppError('validation', 'Choose among IMAP, POP3, SMTP and ManageSieve.', 'mainPasswordProtocols');
  if (patch.sendLimits !== undefined) checkSendLimits(p, patch.sendLimits);
  const staff = p.role === 'operator' || p.role === 'reseller';
  if (patch.suspended?.outgoing === false && before.outgoing_locked && !staff)
    throw new AppError('forbidden', 'Sending was suspended after repeated breaches of the send limits: your provider lifts it.');
  // Within a caller's transaction (several mailboxes changed at once) it is part of that.
  return inTransaction(db, async (trx) => {
    if (patch.ifUnchangedSince !== undefined) {
      const { updated_at } = await repo.lockVersion(trx, before.id);
      if (updated_at.toISOString() !== patch.ifUnchangedSince) throw new AppError('conflict', STALE_EDIT);
    }
    if (patch.quotaBytes !== undefined && patch.quotaBytes !== before.quota_bytes) {
      await lockCustomer(trx, before.customer_id);
      // Read again under the customer's lock: a concurrent change may have moved it since.
      const current = await repo.quotaOf(trx, before.id);
      const limits = await planLimitsFor(trx, before.customer_id);
      const bad =
        checkQuota(limits, patch.quotaBytes) ??
        checkFootprint(limits, await customerFootprint(trx, before.customer_id), 0, patch.quotaBytes - current.quota_bytes);
      if (bad) throw limitError(bad);
    }
    await repo.updateMailbox(trx, before.id, {
      ...(passwordHash !== undefined && { password_hash: passwordHash }),
      ...(patch.quotaBytes !== undefined && { quota_bytes: patch.quotaBytes }),
      ...(patch.imap !== undefined && { imap_enabled: patch.imap }),
      ...(patch.pop3 !== undefined && { pop3_enabled: patch.pop3 }),
      ...(patch.smtp !== undefined && { smtp_enabled: patch.smtp }),
      ...(patch.sieve !== undefined && { sieve_enabled: patch.sieve }),
      ...(patch.suspended?.login !== undefined && { suspend_login: patch.suspended.login }),
      ...(patch.suspended?.incoming !== undefined && { suspend_incoming: patch.suspended.incoming }),
      ...(patch.suspended?.outgoing !== undefined && { suspend_outgoing: patch.suspended.outgoing }),
      // Lifted (by staff, see above): the lock goes with the suspension.
      ...(patch.suspended?.outgoing === false && { outgoing_locked: false }),
      ...(mainProtocols !== undefined && { main_password_protocols: mainProtocols }),
      ...(patch.sendLimits !== undefined && { send_limits: patch.sendLimits === null ? null : JSON.stringify(patch.sendLimits) }),
      ...(patch.active !== undefined && { active: patch.active }),
      ...(patch.autoPurge !== undefined && { auto_purge: patch.autoPurge }),
    });
    // A new password or a suspension signs the owner out of its own page everywhere.
    if (passwordHash !== undefined || patch.active === false || patch.suspended?.login === true) await endMailboxSessions(trx, before.id);
    const after = (await repo.getMailbox(trx, p, before.address))!;
    // A new quota moves the level at once; the next scan need not be awaited.
    let level: { from: Level | null; to: Level } | null = null;
    if (after.used_bytes !== null && after.quota_bytes !== before.quota_bytes) {
      level = { from: quotaLevel(after.used_bytes, before.quota_bytes), to: quotaLevel(after.used_bytes, after.quota_bytes) };
      await repo.setUsageLevel(trx, after.id, level.to);
    }
    await recordChange(trx, p, {
      action: 'mailbox.update',
      objectType: 'mailbox',
      objectId: before.address,
      resellerId: before.reseller_id,
      customerId: before.customer_id,
      before: snapshot(before),
      after: { ...snapshot(after), ...(passwordHash !== undefined && { passwordChanged: true }) },
    });
    const changed = Object.keys(patch).filter((k) => k !== 'ifUnchangedSince' && k !== 'password' && k !== 'suspended');
    for (const k of Object.keys(patch.suspended ?? {})) changed.push(`suspended.${k}`);
    await emitMailboxEvent(trx, 'mailbox.updated', after.id, { changed: passwordHash === undefined ? changed : [...changed, 'password'] });
    if (level) await emitLevelChanges(trx, [{ mailboxId: after.id, ...level }]);
    return after;
  });
}

/** Asks the mailbox's node to measure it now (a full recount): the web never reads mail directories. */
export async function requestScan(db: Db, queues: Queues, p: Principal, address: string) {
  assertWritable(p);
  const m = await getMailboxOr404(db, p, address);
  await enqueueScan(queues, { id: m.id, node: m.node }, true);
  return m;
}
