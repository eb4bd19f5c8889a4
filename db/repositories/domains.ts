import type { Db } from '../database.js';
import { containing, domainsInScope, escapeLike, type Page, type Paged, type Scope } from './scope.js';

export interface DomainRow {
  id: number;
  name: string;
  customer_id: number;
  reseller_id: number;
  active: boolean;
  node: string;
  created_at: Date;
  mailboxes: number;
}

const columns = ['d.id', 'd.name', 'd.customer_id', 'c.reseller_id', 'd.active', 'd.node', 'd.created_at', 'd.mailbox_count as mailboxes'] as const;

/** `search` matches anywhere in the stored (ASCII) name; `searchAscii`, when given, too (an IDN label typed in Unicode). */
export async function listDomains(
  db: Db,
  scope: Scope,
  page: Page & { customerId?: number; search?: string; searchAscii?: string },
): Promise<Paged<DomainRow>> {
  const base = domainsInScope(db, scope)
    .$if(page.customerId !== undefined, (qb) => qb.where('d.customer_id', '=', page.customerId!))
    .$if(!!page.search, (qb) =>
      qb.where((eb) =>
        eb.or([eb('d.name', 'like', containing(page.search!)), ...(page.searchAscii ? [eb('d.name', 'like', containing(page.searchAscii))] : [])]),
      ),
    );
  const [items, total] = await Promise.all([
    base
      .select([...columns])
      .orderBy('d.name')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items, total: total.n };
}

export function getDomainByName(db: Db, scope: Scope, name: string): Promise<DomainRow | undefined> {
  return domainsInScope(db, scope)
    .where('d.name', '=', name)
    .select([...columns])
    .executeTakeFirst();
}

export function domainExists(db: Db, name: string) {
  return db.selectFrom('domains').select('id').where('name', '=', name).executeTakeFirst();
}

/**
 * Domains above or below `name` in the DNS tree (a.example for mail.a.example, and the reverse),
 * with their customers: a subdomain belongs with its parent.
 */
export function relatedDomains(db: Db, name: string) {
  const labels = name.split('.');
  const parents = labels.slice(1, -1).map((_, i) => labels.slice(i + 1).join('.'));
  return db
    .selectFrom('domains')
    .select(['name', 'customer_id'])
    .where((eb) => eb.or([...(parents.length ? [eb('name', 'in', parents)] : []), eb('name', 'like', `%.${escapeLike(name)}`)]))
    .execute();
}

export function insertDomain(db: Db, values: { customer_id: number; name: string; node?: string }) {
  return db.insertInto('domains').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function deleteDomain(db: Db, id: number) {
  await db.deleteFrom('domains').where('id', '=', id).execute();
}

/** Holds the domain row until the transaction ends: no mailbox is added to it meanwhile. */
export async function lockDomain(db: Db, id: number): Promise<void> {
  await db.selectFrom('domains').select('id').where('id', '=', id).forUpdate().execute();
}

export function mailboxesOfDomain(db: Db, domainId: number) {
  return db.selectFrom('mailboxes').select(['id', 'address']).where('domain_id', '=', domainId).orderBy('id').execute();
}
