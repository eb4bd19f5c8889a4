import { sql } from 'kysely';
import type { Db } from '../database.js';

export interface FeedRow {
  mailboxId: number;
  bytes: number;
  messages: number;
  at: Date;
}

/**
 * Dovecot's figures not yet applied to their mailboxes: newer than the mailbox's current figure.
 * `usernames` narrows it to the announced users; without it, every user (after a gap in the feed).
 */
export async function pendingFeedRows(db: Db, usernames?: string[]): Promise<FeedRow[]> {
  if (usernames && usernames.length === 0) return [];
  let q = db
    .selectFrom('dovecot_quota as q')
    .innerJoin('mailboxes as m', 'm.address', 'q.username')
    .leftJoin('mailbox_usage as u', 'u.mailbox_id', 'm.id')
    .select(['m.id as mailboxId', 'q.bytes', 'q.messages', 'q.updated_at as at'])
    .where((eb) => eb.or([eb('u.mailbox_id', 'is', null), eb('u.scanned_at', '<', eb.ref('q.updated_at'))]));
  if (usernames) q = q.where('q.username', 'in', usernames);
  return q.execute();
}

/**
 * Sets Dovecot's figure for a user as the feed would, after a recount on the node: quota_clone
 * reports saves and expunges, not recounts.
 */
export async function recordDovecotCount(db: Db, username: string, bytes: number, messages: number): Promise<void> {
  await db
    .insertInto('dovecot_quota')
    .values({ username, bytes, messages })
    .onConflict((oc) => oc.column('username').doUpdateSet({ bytes, messages, updated_at: sql`clock_timestamp()` }))
    .execute();
}

export interface ChunkMailbox {
  id: number;
  maildir: string;
  fullScannedAt: Date | null;
  /** When the last measurement began (or was last confirmed): null when never measured. */
  diskAt: Date | null;
}

/** One mailbox, for a single scan ("scan now", a new mailbox): where it is and what the last scan left. */
export function mailboxToScan(db: Db, id: number) {
  return db
    .selectFrom('mailboxes as m')
    .leftJoin('mailbox_usage as u', 'u.mailbox_id', 'm.id')
    .select(['m.id', 'm.maildir', 'm.node', 'u.scan_state', 'u.full_scanned_at', 'u.scanned_at'])
    .where('m.id', '=', id)
    .executeTakeFirst();
}

/** The mailboxes of one chunk of the periodic verification. */
export async function chunkMailboxes(db: Db, node: string, fromId: number, toId: number): Promise<ChunkMailbox[]> {
  return db
    .selectFrom('mailboxes as m')
    .leftJoin('mailbox_usage as u', 'u.mailbox_id', 'm.id')
    .select(['m.id', 'm.maildir', 'u.full_scanned_at as fullScannedAt', 'u.disk_at as diskAt'])
    .where('m.node', '=', node)
    .where('m.id', '>=', fromId)
    .where('m.id', '<=', toId)
    .orderBy('m.id')
    .execute();
}

/** The scanner's stored states of these mailboxes (JSON text: the threads parse them). */
export async function storedStates(db: Db, ids: number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('mailbox_usage')
    .select(['mailbox_id', 'scan_state as state'])
    .where('mailbox_id', 'in', ids)
    .where('scan_state', 'is not', null)
    .execute();
  return new Map(rows.map((r) => [r.mailbox_id, r.state!]));
}

/** The id ranges of one node's mailboxes, `size` mailboxes each, for the periodic verification. */
export async function chunkRanges(db: Db, size: number): Promise<{ node: string; fromId: number; toId: number; count: number }[]> {
  const { rows } = await sql<{ node: string; fromId: number; toId: number; count: number }>`
    SELECT node, min(id)::int AS "fromId", max(id)::int AS "toId", count(*)::int AS count
      FROM (SELECT id, node, (row_number() OVER (PARTITION BY node ORDER BY id) - 1) / ${size} AS chunk FROM mailboxes) c
     GROUP BY node, chunk
     ORDER BY node, "fromId"`.execute(db);
  return rows;
}

/** A page of one node's mailboxes by id, with what the last scan left (the CLI's foreground scan). */
export function nodeMailboxesAfter(db: Db, node: string, afterId: number, limit: number) {
  return db
    .selectFrom('mailboxes as m')
    .leftJoin('mailbox_usage as u', 'u.mailbox_id', 'm.id')
    .select(['m.id', 'm.maildir', 'u.scan_state', 'u.full_scanned_at'])
    .where('m.node', '=', node)
    .where('m.id', '>', afterId)
    .orderBy('m.id')
    .limit(limit)
    .execute();
}

export async function countNodeMailboxes(db: Db, node: string): Promise<number> {
  const row = await db
    .selectFrom('mailboxes')
    .where('node', '=', node)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Where a mailbox lives (for jobs that must run on its node). */
export function mailboxPlace(db: Db, id: number) {
  return db.selectFrom('mailboxes').select(['address', 'maildir', 'node']).where('id', '=', id).executeTakeFirst();
}

/** A Dovecot user's mailbox and the last count Dovecot reported for it. */
export function mailboxWithDovecotCount(db: Db, username: string) {
  return db
    .selectFrom('mailboxes as m')
    .leftJoin('dovecot_quota as q', 'q.username', 'm.address')
    .select(['m.maildir', 'm.node', 'q.bytes', 'q.messages'])
    .where('m.address', '=', username)
    .executeTakeFirst();
}
