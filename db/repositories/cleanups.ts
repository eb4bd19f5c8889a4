import { type Insertable, type Updateable, sql } from 'kysely';
import type { Db } from '../database.js';
import type { CleanupsTable } from '../schema.js';
import { mailboxesWithOwners } from './scope.js';

/** A preview is confirmed within this time, or counted again: the mailbox may have changed. */
export const PREVIEW_VALID = '1 hour';

export function insertCleanup(db: Db, values: Insertable<CleanupsTable>) {
  return db.insertInto('cleanups').values(values).returningAll().executeTakeFirstOrThrow();
}

/** One of a mailbox's cleanups (never another mailbox's, whatever id is asked for). */
export function getCleanup(db: Db, mailboxId: number, id: number) {
  return db.selectFrom('cleanups').selectAll().where('mailbox_id', '=', mailboxId).where('id', '=', id).executeTakeFirst();
}

/** For the node's worker: the cleanup with its mailbox's address and place. */
export function cleanupToRun(db: Db, id: number) {
  return db
    .selectFrom('cleanups as cl')
    .innerJoin('mailboxes as m', 'm.id', 'cl.mailbox_id')
    .selectAll('cl')
    .select(['m.address', 'm.node'])
    .where('cl.id', '=', id)
    .executeTakeFirst();
}

/** Turns a fresh preview of this mailbox into a queued run, once: a second confirmation finds nothing. */
export function confirmPreview(db: Db, mailboxId: number, id: number, requestedBy: string) {
  return db
    .updateTable('cleanups')
    .set({ status: 'queued', requested_by: requestedBy })
    .where('id', '=', id)
    .where('mailbox_id', '=', mailboxId)
    .where('status', '=', 'preview')
    .where(sql<boolean>`created_at > now() - ${PREVIEW_VALID}::interval`)
    .returningAll()
    .executeTakeFirst();
}

export async function updateCleanup(db: Db, id: number, values: Updateable<CleanupsTable>): Promise<void> {
  await db.updateTable('cleanups').set(values).where('id', '=', id).execute();
}

/** The mailbox's recent cleanups that ran or run, newest first. */
export function recentCleanups(db: Db, mailboxId: number, limit = 10) {
  return db
    .selectFrom('cleanups')
    .selectAll()
    .where('mailbox_id', '=', mailboxId)
    .where('status', '!=', 'preview')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** Previews nobody confirmed: dropped by housekeeping. */
export async function pruneOldPreviews(db: Db): Promise<number> {
  const r = await db.deleteFrom('cleanups').where('status', '=', 'preview').where(sql<boolean>`created_at < now() - interval '1 day'`).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** The nodes with at least one mailbox whose plan purges Trash or Junk. */
export async function purgeNodes(db: Db): Promise<string[]> {
  const rows = await mailboxesWithOwners(db)
    .innerJoin('plans as p', 'p.id', 'c.plan_id')
    .select('m.node')
    .distinct()
    .where('m.auto_purge', '=', true)
    .where((eb) => eb.or([eb('p.trash_purge_days', 'is not', null), eb('p.junk_purge_days', 'is not', null)]))
    .execute();
  return rows.map((r) => r.node);
}

/** A page of a node's mailboxes whose plan purges Trash or Junk automatically (enabled, not opted out). */
export function purgeTargets(db: Db, node: string, afterId: number, limit: number) {
  return mailboxesWithOwners(db)
    .innerJoin('resellers as r', 'r.id', 'c.reseller_id')
    .innerJoin('plans as p', 'p.id', 'c.plan_id')
    .select(['m.id', 'm.address', 'p.trash_purge_days', 'p.junk_purge_days'])
    .where('m.node', '=', node)
    .where('m.id', '>', afterId)
    .where('m.auto_purge', '=', true)
    .where((eb) => eb.and([eb('m.active', '=', true), eb('d.active', '=', true), eb('c.active', '=', true), eb('r.active', '=', true)]))
    .where((eb) => eb.or([eb('p.trash_purge_days', 'is not', null), eb('p.junk_purge_days', 'is not', null)]))
    .orderBy('m.id')
    .limit(limit)
    .execute();
}
