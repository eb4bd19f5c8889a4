import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { DeletedState } from '../schema.js';
import { escapeLike } from './scope.js';

/**
 * Moves a mailbox row into deleted_mailboxes (one transaction, the caller's): from this commit on,
 * Dovecot and Postfix no longer know the address. Returns the deleted record's id.
 */
export async function moveToDeleted(db: Db, mailboxId: number, retentionDays: number): Promise<number> {
  const { rows } = await sql<{ id: number }>`
    WITH gone AS (
      DELETE FROM mailboxes m USING domains d WHERE m.id = ${mailboxId} AND d.id = m.domain_id
      RETURNING d.customer_id, d.name AS domain_name, m.local_part, m.address, m.password_hash, m.quota_bytes,
                m.imap_enabled, m.pop3_enabled, m.active, m.node, m.maildir, m.used_bytes, m.created_at,
                jsonb_build_object('smtp_enabled', m.smtp_enabled, 'sieve_enabled', m.sieve_enabled, 'suspend_login', m.suspend_login,
                                   'suspend_incoming', m.suspend_incoming, 'suspend_outgoing', m.suspend_outgoing, 'outgoing_locked', m.outgoing_locked,
                                   'main_password_protocols', to_jsonb(m.main_password_protocols), 'auto_purge', m.auto_purge,
                                   'send_limits', m.send_limits) AS access
    )
    INSERT INTO deleted_mailboxes (customer_id, domain_name, local_part, address, password_hash, quota_bytes, imap_enabled, pop3_enabled, active, node, maildir, used_bytes, created_at, access, purge_after)
    SELECT customer_id, domain_name, local_part, address, password_hash, quota_bytes, imap_enabled, pop3_enabled, active, node, maildir, used_bytes, created_at, access,
           now() + make_interval(days => ${retentionDays})
      FROM gone
    RETURNING id`.execute(db);
  return rows[0].id;
}

const PUBLIC = ['id', 'customer_id', 'domain_name', 'local_part', 'address', 'node', 'maildir', 'used_bytes', 'deleted_at', 'purge_after', 'state'] as const;

/** The deleted mailboxes of one customer's domain (also after the domain itself was deleted and added again). */
export function listDeleted(db: Db, customerId: number, domainName: string) {
  return db
    .selectFrom('deleted_mailboxes')
    .select(PUBLIC)
    .where('customer_id', '=', customerId)
    .where('domain_name', '=', domainName)
    .orderBy('deleted_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

export function getDeleted(db: Db, id: number) {
  return db.selectFrom('deleted_mailboxes').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Moves the record to `to` only from one of `from`; false when another request got there first. */
export async function setDeletedState(db: Db, id: number, from: DeletedState[], to: DeletedState): Promise<boolean> {
  const res = await db.updateTable('deleted_mailboxes').set({ state: to }).where('id', '=', id).where('state', 'in', from).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

export async function removeDeleted(db: Db, id: number): Promise<void> {
  await db.deleteFrom('deleted_mailboxes').where('id', '=', id).execute();
}

/** Records whose retention has ended, for the purge. */
export function expiredDeleted(db: Db, limit = 1000) {
  return db
    .selectFrom('deleted_mailboxes')
    .select(['id', 'node'])
    .where('state', '=', 'kept')
    .where('purge_after', '<', new Date())
    .orderBy('purge_after')
    .limit(limit)
    .execute();
}

/** Deleted records whose files were not moved yet (a lost job): the housekeeping queues them again. */
export function unmovedDeleted(db: Db, olderThanMinutes: number) {
  return db
    .selectFrom('deleted_mailboxes')
    .select(['id', 'node', 'state'])
    .where('state', 'in', ['moving', 'restoring', 'purging'])
    .where(sql<boolean>`deleted_at < now() - make_interval(mins => ${olderThanMinutes})`)
    .execute();
}

/**
 * The maildir path for a new mailbox: `<domain>/<local>` for an address never deleted before, else
 * a path no earlier incarnation used (`<domain>/<local>~2`, ...), so a re-created address can never
 * see its predecessor's mail, whether those files are still being moved, kept for restoring, or left
 * behind by a deletion from before deletions were kept.
 */
export async function freshMaildir(db: Db, node: string, domain: string, localPart: string, address: string): Promise<string> {
  const base = `${domain}/${localPart}`;
  const later = `${escapeLike(base)}~%`;
  const { rows } = await sql<{ maildir: string }>`
    SELECT maildir FROM deleted_mailboxes WHERE node = ${node} AND (maildir = ${base} OR maildir LIKE ${later})
    UNION ALL SELECT maildir FROM mailboxes WHERE node = ${node} AND maildir LIKE ${later}
    UNION ALL SELECT ${base} FROM audit_log WHERE action = 'mailbox.delete' AND object_id = ${address}`.execute(db);
  if (rows.length === 0) return base;
  const used = new Set(rows.map((r) => r.maildir));
  for (let n = 2; ; n++) if (!used.has(`${base}~${n}`)) return `${base}~${n}`;
}

/** How long the customer's plan keeps deleted mailboxes; null without a plan (or a setting). */
export async function retentionOfPlan(db: Db, customerId: number): Promise<number | null> {
  const row = await db
    .selectFrom('customers as c')
    .leftJoin('plans as p', 'p.id', 'c.plan_id')
    .select('p.deleted_retention_days')
    .where('c.id', '=', customerId)
    .executeTakeFirst();
  return row?.deleted_retention_days ?? null;
}
