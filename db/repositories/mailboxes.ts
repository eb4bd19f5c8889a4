import { sql } from 'kysely';
import type { Selectable } from 'kysely';
import type { Db } from '../database.js';
import type { DeletedMailboxesTable } from '../schema.js';
import { containing, domainsInScope, inScope, mailboxesInScope, mailboxesWithOwners, type Page, type Paged, type Scope } from './scope.js';
import type { MailboxUpdate } from '../schema.js';
import type { SendLimits } from '../../server/core/send-limits.js';
import { PLAN_SEND_LIMITS } from './plans.js';

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
  smtp_enabled: boolean;
  sieve_enabled: boolean;
  suspend_login: boolean;
  suspend_incoming: boolean;
  suspend_outgoing: boolean;
  main_password_protocols: string[];
  active: boolean;
  auto_purge: boolean;
  maildir: string;
  node: string;
  created_at: Date;
  updated_at: Date;
  used_bytes: number | null;
  messages: number | null;
  scanned_at: Date | null;
  level: string | null;
  source: string | null;
  disk_bytes: number | null;
  disk_at: Date | null;
  drift_bytes: number | null;
  drift_at: Date | null;
  /** The latest sign-in (IMAP, POP3, SMTP submission); null when it never signed in. */
  last_login_at: Date | null;
  /** Its own send limits (null: its plan's), and its plan's (null: no plan). */
  send_limits: SendLimits | null;
  plan_send_limits: SendLimits | null;
  /** Sending was suspended by the send limits: only staff lift it. */
  outgoing_locked: boolean;
}

// The only orders a list may take; the API and panel map their own names onto these. Fullness and
// used sort on the copies in mailboxes, in the exact expressions mailboxes_*fullness_idx index.
const SORT_KEYS = {
  address: sql`m.address`,
  quota: sql`m.quota_bytes`,
  used: sql`coalesce(m.used_bytes, 0)`,
  fullness: sql`coalesce(m.used_bytes, 0)::float8 / m.quota_bytes`,
  created: sql`m.created_at`,
};
export type MailboxSort = keyof typeof SORT_KEYS;

function scoped(db: Db, scope: Scope) {
  return mailboxesInScope(db, scope).leftJoin('mailbox_usage as u', 'u.mailbox_id', 'm.id');
}

const columns = [
  'm.id',
  'm.address',
  'm.local_part',
  'm.domain_id',
  'd.name as domain',
  'd.customer_id',
  'c.reseller_id',
  'm.quota_bytes',
  'm.imap_enabled',
  'm.pop3_enabled',
  'm.smtp_enabled',
  'm.sieve_enabled',
  'm.suspend_login',
  'm.suspend_incoming',
  'm.suspend_outgoing',
  'm.main_password_protocols',
  'm.active',
  'm.auto_purge',
  'm.send_limits',
  'm.outgoing_locked',
  PLAN_SEND_LIMITS.as('plan_send_limits'),
  'm.maildir',
  'm.node',
  'm.created_at',
  'm.updated_at',
  'u.used_bytes',
  'u.messages',
  'u.scanned_at',
  'u.level',
  'u.source',
  'u.disk_bytes',
  'u.disk_at',
  'u.drift_bytes',
  'u.drift_at',
  // Written by Dovecot at each IMAP or POP3 sign-in and by the policy service for SMTP (mailbox_last_logins); a primary key lookup per row.
  sql<Date | null>`(select max(l.at) from mailbox_last_logins l where l.address = m.address)`.as('last_login_at'),
] as const;

export interface MailboxQuery extends Page {
  domainId?: number;
  search?: string;
  /** Only mailboxes at this fullness level ('unmeasured': never measured). */
  level?: string;
  sort?: MailboxSort;
  desc?: boolean;
}

/** Mailboxes (as m) at a fullness level; 'unmeasured': never measured. */
const atLevel = (level: string) => (level === 'unmeasured' ? sql<boolean>`m.usage_level is null` : sql<boolean>`m.usage_level = ${level}`);

export async function listMailboxes(db: Db, scope: Scope, q: MailboxQuery): Promise<Paged<MailboxRow>> {
  const filtered = mailboxesInScope(db, scope)
    .$if(q.domainId !== undefined, (qb) => qb.where('m.domain_id', '=', q.domainId!))
    .$if(!!q.search, (qb) => qb.where('m.local_part', 'like', containing(q.search!)))
    .$if(q.level !== undefined, (qb) => qb.where(atLevel(q.level!)));
  const key = SORT_KEYS[q.sort ?? 'address'];
  const dir = q.desc ? 'desc' : 'asc';
  // The page's ids first (an index walk in the requested order), then the columns of those rows only.
  // Across a customer's few domains, each domain's index gives its first rows in order and only
  // those are merged; the planner would otherwise sort all of the customer's mailboxes. Wider
  // scopes (thousands of domains) walk the overall index instead.
  const flat = filtered.select('m.id').orderBy(key, dir).orderBy('m.address').limit(q.limit).offset(q.offset);
  const perDomain = () =>
    domainsInScope(db, scope)
      .innerJoinLateral(
        (eb) =>
          eb
            .selectFrom('mailboxes as m')
            .whereRef('m.domain_id', '=', 'd.id')
            .$if(!!q.search, (qb) => qb.where('m.local_part', 'like', containing(q.search!)))
            .$if(q.level !== undefined, (qb) => qb.where(atLevel(q.level!)))
            .select(['m.id', 'm.address', key.as('k')])
            .orderBy(key, dir)
            .orderBy('m.address')
            .limit(q.offset + q.limit)
            .as('x'),
        (join) => join.onTrue(),
      )
      .select('x.id')
      .orderBy('x.k', dir)
      .orderBy('x.address')
      .limit(q.limit)
      .offset(q.offset) as unknown as typeof flat; // the same one column, id
  const page = q.domainId === undefined && scope.customerId !== null ? perDomain() : flat;
  const [items, total] = await Promise.all([
    db
      .selectFrom(page.as('p'))
      .innerJoin('mailboxes as m', 'm.id', 'p.id')
      .innerJoin('domains as d', 'd.id', 'm.domain_id')
      .innerJoin('customers as c', 'c.id', 'd.customer_id')
      .leftJoin('mailbox_usage as u', 'u.mailbox_id', 'm.id')
      .select([...columns])
      .orderBy(key, dir)
      .orderBy('m.address')
      .execute() as Promise<MailboxRow[]>,
    // Without a search the total is the sum of the counts the domain rows keep; a search has to count.
    q.search
      ? filtered.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
      : domainsInScope(db, scope)
          .$if(q.domainId !== undefined, (qb) => qb.where('d.id', '=', q.domainId!))
          .select(sql<number>`coalesce(sum(d.mailbox_count), 0)::int`.as('n'))
          .executeTakeFirstOrThrow(),
  ]);
  return { items, total: total.n };
}

export function getMailbox(db: Db, scope: Scope, address: string): Promise<MailboxRow | undefined> {
  return scoped(db, scope)
    .where('m.address', '=', address)
    .select([...columns])
    .executeTakeFirst() as Promise<MailboxRow | undefined>;
}

export function mailboxExists(db: Db, address: string) {
  return db.selectFrom('mailboxes').select('id').where('address', '=', address).executeTakeFirst();
}

export function insertMailbox(
  db: Db,
  values: {
    domain_id: number;
    local_part: string;
    address: string;
    password_hash: string;
    quota_bytes: number;
    imap_enabled: boolean;
    pop3_enabled: boolean;
    maildir: string;
    node: string;
  },
) {
  return db.insertInto('mailboxes').values(values).returning('id').executeTakeFirstOrThrow();
}

export async function updateMailbox(db: Db, id: number, values: Omit<MailboxUpdate, 'id' | 'address' | 'maildir' | 'domain_id'>) {
  await db
    .updateTable('mailboxes')
    .set({ ...values, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}

export async function setUsageLevel(db: Db, mailboxId: number, level: string) {
  await db.updateTable('mailbox_usage').set({ level }).where('mailbox_id', '=', mailboxId).execute();
}

/**
 * Puts a deleted mailbox back (one transaction): its row as it was, the deleted record gone, the
 * restore audited. Refused when the address is taken or the domain is not the customer's any more.
 */
export async function restoreMailboxRow(
  db: Db,
  rec: Selectable<DeletedMailboxesTable>,
): Promise<{ ok: true; mailboxId: number } | { ok: false; why: 'taken' | 'no_domain' }> {
  return db.transaction().execute(async (trx) => {
    const domain = await trx
      .selectFrom('domains as d')
      .innerJoin('customers as c', 'c.id', 'd.customer_id')
      .select(['d.id', 'c.reseller_id'])
      .where('d.name', '=', rec.domain_name)
      .where('d.customer_id', '=', rec.customer_id)
      .forUpdate()
      .executeTakeFirst();
    if (!domain) return { ok: false as const, why: 'no_domain' as const };
    if (await trx.selectFrom('mailboxes').select('id').where('address', '=', rec.address).executeTakeFirst())
      return { ok: false as const, why: 'taken' as const };
    const row = await trx
      .insertInto('mailboxes')
      .values({
        domain_id: domain.id,
        local_part: rec.local_part,
        address: rec.address,
        password_hash: rec.password_hash,
        quota_bytes: rec.quota_bytes,
        imap_enabled: rec.imap_enabled,
        pop3_enabled: rec.pop3_enabled,
        active: rec.active,
        maildir: rec.maildir,
        node: rec.node,
        created_at: rec.created_at,
        // Who may send, receive and sign in comes back as it was (kept since 2026-12-07; older records: the defaults).
        ...(rec.access && {
          smtp_enabled: rec.access.smtp_enabled,
          sieve_enabled: rec.access.sieve_enabled,
          suspend_login: rec.access.suspend_login,
          suspend_incoming: rec.access.suspend_incoming,
          suspend_outgoing: rec.access.suspend_outgoing,
          outgoing_locked: rec.access.outgoing_locked ?? false,
          main_password_protocols: rec.access.main_password_protocols,
          auto_purge: rec.access.auto_purge,
          send_limits: rec.access.send_limits === null ? null : JSON.stringify(rec.access.send_limits),
        }),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx.deleteFrom('deleted_mailboxes').where('id', '=', rec.id).execute();
    await trx
      .insertInto('audit_log')
      .values({
        actor: 'worker',
        reseller_id: domain.reseller_id,
        customer_id: rec.customer_id,
        action: 'mailbox.restored',
        object_type: 'mailbox',
        object_id: rec.address,
        after: JSON.stringify({ deletedId: rec.id }),
      })
      .execute();
    return { ok: true as const, mailboxId: row.id };
  });
}

/** When the mailbox row last changed, locked until the transaction ends: an edit checks it is still the one it showed. */
export function lockVersion(db: Db, id: number) {
  return db.selectFrom('mailboxes').select('updated_at').where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
}

export function quotaOf(db: Db, id: number) {
  return db.selectFrom('mailboxes').select('quota_bytes').where('id', '=', id).executeTakeFirstOrThrow();
}

/** Which of these addresses are taken. */
export async function existingOf(db: Db, addresses: string[]): Promise<string[]> {
  if (addresses.length === 0) return [];
  return (await db.selectFrom('mailboxes').select('address').where('address', 'in', addresses).execute()).map((r) => r.address);
}

/** A page of a domain's mailboxes for the CSV export, by local part after `after`. */
export function exportPage(db: Db, scope: Scope, domainId: number, after: string, limit: number) {
  return (
    mailboxesWithOwners(db)
      .leftJoin('mailbox_usage as u', 'u.mailbox_id', 'm.id')
      .select([
        'm.local_part',
        'm.address',
        'm.quota_bytes',
        'm.imap_enabled',
        'm.pop3_enabled',
        'm.active',
        'u.used_bytes',
        'u.messages',
        'u.level',
        'u.scanned_at',
      ])
      .where('m.domain_id', '=', domainId)
      // The tenant filter again, though the domain was checked: a query that forgets it cannot leak.
      .where(inScope(scope))
      .where('m.local_part', '>', after)
      .orderBy('m.local_part')
      .limit(limit)
      .execute()
  );
}
