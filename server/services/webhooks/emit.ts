import type { Db } from '../../../db/database.js';
import { anyWebhookEnabled, insertEvents, mailboxFacts, type NewEvent } from '../../../db/repositories/webhooks.js';
import { percentUsed, type Level } from '../../core/quota.js';
import { levelEvents, type WebhookEvent } from '../../core/webhooks/events.js';

// Events are written where they happen, in the transaction of the change (a usage write included);
// their commit is announced to the central worker, whose jobs fan them out and send them, so no
// request and no scan ever waits for a receiver.

type Facts = Awaited<ReturnType<typeof mailboxFacts>>[number];

/** What every mailbox event carries: ids, address, usage and quota. */
export function mailboxData(m: Facts): Record<string, unknown> {
  return {
    mailboxId: m.id,
    address: m.address,
    domain: m.domain,
    customerId: m.customer_id,
    resellerId: m.reseller_id,
    quotaBytes: m.quota_bytes,
    usedBytes: m.used_bytes,
    percent: m.used_bytes === null ? null : percentUsed(m.used_bytes, m.quota_bytes),
    level: m.usage_level,
    active: m.active,
  };
}

const event = (type: WebhookEvent, m: Facts, extra: Record<string, unknown> = {}): NewEvent => ({
  type,
  resellerId: m.reseller_id,
  customerId: m.customer_id,
  mailboxId: m.id,
  data: { ...mailboxData(m), ...extra },
});

/** An event about one mailbox as it is now (created, updated, restored); `extra` adds to its data. */
export async function emitMailboxEvent(db: Db, type: WebhookEvent, mailboxId: number, extra: Record<string, unknown> = {}) {
  if (!(await anyWebhookEnabled(db))) return;
  const [m] = await mailboxFacts(db, [mailboxId]);
  if (m) await insertEvents(db, [event(type, m, extra)]);
}

/** A mailbox that is about to go (deleted): its facts are read before, the event written with the deletion. */
export async function emitDeletion(db: Db, mailboxIds: readonly number[], extra: Record<string, unknown> = {}) {
  if (!(await anyWebhookEnabled(db))) return;
  const facts = await mailboxFacts(db, mailboxIds);
  await insertEvents(
    db,
    facts.map((m) => event('mailbox.deleted', m, extra)),
  );
}

/** Level changes (from a usage write or a new quota) as quota events: level_changed, full, recovered. */
export async function emitLevelChanges(db: Db, changes: readonly { mailboxId: number; from: Level | null; to: Level }[]): Promise<number> {
  const moved = changes.filter((c) => levelEvents(c.from, c.to).length > 0);
  if (moved.length === 0 || !(await anyWebhookEnabled(db))) return 0;
  const facts = new Map(
    (
      await mailboxFacts(
        db,
        moved.map((c) => c.mailboxId),
      )
    ).map((m) => [m.id, m]),
  );
  const events = moved.flatMap((c) => {
    const m = facts.get(c.mailboxId);
    return m ? levelEvents(c.from, c.to).map((type) => event(type, m, { oldLevel: c.from, newLevel: c.to })) : [];
  });
  return insertEvents(db, events);
}
