import { sql } from 'kysely';
import type { Db } from '../database.js';
import type { SpaceRequestStatus } from '../tables/space-requests.js';
import { type Scope, mailboxesWithOwners, inScope } from './scope.js';

/** Requests joined to their mailboxes' tenant path, narrowed to the caller's scope (an owner's: its own mailbox). */
function requestsInScope(db: Db, scope: Scope) {
  return mailboxesWithOwners(db)
    .innerJoin('space_requests as r', 'r.mailbox_id', 'm.id')
    .where(inScope(scope))
    .$if(scope.mailboxId != null, (qb) => qb.where('m.id', '=', scope.mailboxId!))
    .select([
      'r.id',
      'r.mailbox_id',
      'r.customer_id',
      'r.reseller_id',
      'r.from_bytes',
      'r.requested_bytes',
      'r.note',
      'r.status',
      'r.requested_by',
      'r.decided_by',
      'r.reason',
      'r.created_at',
      'r.decided_at',
      'm.address',
      'm.quota_bytes',
      'm.used_bytes',
      'd.name as domain',
      'c.name as customer',
    ]);
}

export type SpaceRequestRow = Awaited<ReturnType<typeof getSpaceRequest>> & {};

export function listSpaceRequests(db: Db, scope: Scope, filter: { status?: SpaceRequestStatus; mailboxId?: number; limit: number }) {
  return requestsInScope(db, scope)
    .$if(filter.status !== undefined, (qb) => qb.where('r.status', '=', filter.status!))
    .$if(filter.mailboxId !== undefined, (qb) => qb.where('r.mailbox_id', '=', filter.mailboxId!))
    .orderBy('r.id', 'desc')
    .limit(filter.limit)
    .execute();
}

export function getSpaceRequest(db: Db, scope: Scope, id: number) {
  return requestsInScope(db, scope).where('r.id', '=', id).executeTakeFirst();
}

export function countOpenRequests(db: Db, scope: Scope): Promise<number> {
  return requestsInScope(db, scope)
    .clearSelect()
    .select(sql<number>`count(*)::int`.as('n'))
    .where('r.status', '=', 'open')
    .executeTakeFirstOrThrow()
    .then((r) => r.n);
}

/** How many requests the mailbox made since then (the daily limit). */
export async function requestsSince(db: Db, mailboxId: number, since: Date): Promise<number> {
  const r = await db
    .selectFrom('space_requests')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('mailbox_id', '=', mailboxId)
    .where('created_at', '>', since)
    .executeTakeFirstOrThrow();
  return r.n;
}

export interface NewSpaceRequest {
  mailbox_id: number;
  customer_id: number;
  reseller_id: number;
  from_bytes: number;
  requested_bytes: number;
  note: string;
  requested_by: string;
}

/** Throws a unique violation when the mailbox already has an open request. */
export function insertSpaceRequest(db: Db, values: NewSpaceRequest) {
  return db.insertInto('space_requests').values(values).returning('id').executeTakeFirstOrThrow();
}

/** Locks an open request for its decision; undefined when it is no longer open. */
export function lockOpenRequest(db: Db, id: number) {
  return db.selectFrom('space_requests').select(['id', 'status']).where('id', '=', id).where('status', '=', 'open').forUpdate().executeTakeFirst();
}

export async function closeSpaceRequest(
  db: Db,
  id: number,
  values: { status: Exclude<SpaceRequestStatus, 'open'>; decided_by: string; reason?: string | null },
) {
  await db
    .updateTable('space_requests')
    .set({ ...values, decided_at: new Date() })
    .where('id', '=', id)
    .execute();
}

/** What the notices of a request need: the request, its mailbox, who to tell and in which language. */
export function noticeFacts(db: Db, id: number) {
  return mailboxesWithOwners(db)
    .innerJoin('space_requests as r', 'r.mailbox_id', 'm.id')
    .innerJoin('resellers as rs', 'rs.id', 'c.reseller_id')
    .select([
      'r.id',
      'r.status',
      'r.from_bytes',
      'r.requested_bytes',
      'r.note',
      'r.reason',
      'r.decided_by',
      'm.address',
      'm.quota_bytes',
      'c.contact_email as customer_email',
      'c.language',
      'rs.contact_email as reseller_email',
    ])
    .where('r.id', '=', id)
    .executeTakeFirst();
}

export async function markNotified(db: Db, id: number, status: SpaceRequestStatus) {
  await db.updateTable('space_requests').set({ notified: status }).where('id', '=', id).execute();
}

/** Requests whose latest notices were never sent (a job lost with Redis), changed before `before`. */
export function untoldRequests(db: Db, before: Date, limit = 500) {
  return db
    .selectFrom('space_requests')
    .select(['id', 'status'])
    .where('status', '!=', 'withdrawn')
    .where((eb) => eb.or([eb('notified', 'is', null), eb('notified', '!=', eb.ref('status'))]))
    .where((eb) => eb.fn.coalesce('decided_at', 'created_at'), '<', before)
    .limit(limit)
    .execute();
}
