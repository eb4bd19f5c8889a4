import { sql } from 'kysely';
import type { Db } from '../database.js';
import { inScope, type Page, type Paged, type Scope } from './scope.js';
import type { MailboxUpdate } from '../schema.js';

export interface MailboxRow {
  id: number;
  address: string;
  local_part: string;
  domain_id: number;
  domain: string;
  customer_id: number;
  reseller_id: number;
  quota_bytes: number;
  imap_enabled: boolean;
  pop3_enabled: boolean;
  active: boolean;
  maildir: string;
  node: string;
  created_at: Date;
  updated_at: Date;
  used_bytes: number | null;
  messages: number | null;
  scanned_at: Date | null;
  level: string | null;
}

// Only these columns may be sorted on; the API and panel map their own names onto them.
export const MAILBOX_SORTS = {
  address: 'm.address',
  quota: 'm.quota_bytes',
  used: 'u.used_bytes',
  fullness: 'fullness',
  created: 'm.created_at',
} as const;
export type MailboxSort = keyof typeof MAILBOX_SORTS;

function scoped(db: Db, scope: Scope) {
  return db
    .selectFrom('mailboxes as m')
    .innerJoin('domains as d', 'd.id', 'm.domain_id')
    .innerJoin('customers as c', 'c.id', 'd.customer_id')
    .leftJoin('mailbox_usage as u', 'u.mailbox_id', 'm.id')
    .where(inScope(scope));
}

const columns = [
  'm.id', 'm.address', 'm.local_part', 'm.domain_id', 'd.name as domain', 'd.customer_id', 'c.reseller_id', 'm.quota_bytes',
  'm.imap_enabled', 'm.pop3_enabled', 'm.active', 'm.maildir', 'm.node', 'm.created_at', 'm.updated_at',
  'u.used_bytes', 'u.messages', 'u.scanned_at', 'u.level',
] as const;

export interface MailboxQuery extends Page {
  domainId?: number;
  search?: string;
  sort?: MailboxSort;
  desc?: boolean;
}

export async function listMailboxes(db: Db, scope: Scope, q: MailboxQuery): Promise<Paged<MailboxRow>> {
  const base = scoped(db, scope)
    .$if(q.domainId !== undefined, (qb) => qb.where('m.domain_id', '=', q.domainId!))
    .$if(!!q.search, (qb) => qb.where('m.local_part', 'like', `%${escapeLike(q.search!)}%`));
  const dir = q.desc ? 'desc' : 'asc';
  const sort = q.sort ?? 'address';
  // The page's ids first (an index walk for address order), then the columns of those rows only.
  const [page, total] = await Promise.all([
    base
      .select('m.id')
      .$call((qb) =>
        sort === 'fullness'
          ? qb.orderBy(sql`coalesce(u.used_bytes, 0)::float8 / m.quota_bytes`, dir)
          : sort === 'used'
            ? qb.orderBy(sql`coalesce(u.used_bytes, 0)`, dir)
            : qb.orderBy(MAILBOX_SORTS[sort] as 'm.address', dir),
      )
      .orderBy('m.address')
      .limit(q.limit)
      .offset(q.offset)
      .execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  if (page.length === 0) return { items: [], total: total.n };
  const rows = (await scoped(db, scope).where('m.id', 'in', page.map((r) => r.id)).select([...columns]).execute()) as MailboxRow[];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return { items: page.map((r) => byId.get(r.id)!).filter(Boolean), total: total.n };
}

export function getMailbox(db: Db, scope: Scope, address: string): Promise<MailboxRow | undefined> {
  return scoped(db, scope).where('m.address', '=', address).select([...columns]).executeTakeFirst() as Promise<MailboxRow | undefined>;
}

export function mailboxExists(db: Db, address: string) {
  return db.selectFrom('mailboxes').select('id').where('address', '=', address).executeTakeFirst();
}

export function insertMailbox(
  db: Db,
  values: { domain_id: number; local_part: string; address: string; password_hash: string; quota_bytes: number; imap_enabled: boolean; pop3_enabled: boolean; maildir: string; node: string },
) {
  return db.insertInto('mailboxes').values(values).returning('id').executeTakeFirstOrThrow();
}

export async function updateMailbox(db: Db, id: number, values: Omit<MailboxUpdate, 'id' | 'address' | 'maildir' | 'domain_id'>) {
  await db.updateTable('mailboxes').set({ ...values, updated_at: new Date() }).where('id', '=', id).execute();
}

export async function deleteMailbox(db: Db, id: number) {
  await db.deleteFrom('mailboxes').where('id', '=', id).execute();
}

export async function setUsageLevel(db: Db, mailboxId: number, level: string) {
  await db.updateTable('mailbox_usage').set({ level }).where('mailbox_id', '=', mailboxId).execute();
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
