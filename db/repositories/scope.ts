import { sql } from 'kysely';
import type { Db } from '../database.js';

/** The part of the tenant tree a caller may see; null means "not narrowed at this level". */
export interface Scope {
  resellerId: number | null;
  customerId: number | null;
  domainId: number | null;
  /** A mailbox owner's scope: this mailbox only. */
  mailboxId?: number | null;
}

export interface Page {
  limit: number;
  offset: number;
}

export interface Paged<T> {
  items: T[];
  total: number;
}

/** A user's text inside a LIKE pattern, its wildcards taken literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A LIKE pattern matching the text anywhere. */
export function containing(text: string): string {
  return `%${escapeLike(text)}%`;
}

/**
 * The tenant filter, for any query that joins `domains as d` and `customers as c`: every query
 * reaching tenant data goes through this one condition, so no copy can drift from the others.
 */
export function inScope(scope: Scope) {
  const parts = [sql`true`];
  if (scope.resellerId !== null) parts.push(sql`c.reseller_id = ${scope.resellerId}`);
  if (scope.customerId !== null) parts.push(sql`d.customer_id = ${scope.customerId}`);
  if (scope.domainId !== null) parts.push(sql`d.id = ${scope.domainId}`);
  return sql<boolean>`(${sql.join(parts, sql` AND `)})`;
}

/** The domains in scope, joined to their customers (`domains as d`, `customers as c`). */
export function domainsInScope(db: Db, scope: Scope) {
  return db.selectFrom('domains as d').innerJoin('customers as c', 'c.id', 'd.customer_id').where(inScope(scope));
}

/** Mailboxes joined to their domains and customers (`mailboxes as m`, `domains as d`, `customers as c`): the one tenant path. */
export function mailboxesWithOwners(db: Db) {
  return db.selectFrom('mailboxes as m').innerJoin('domains as d', 'd.id', 'm.domain_id').innerJoin('customers as c', 'c.id', 'd.customer_id');
}

/** The mailboxes in scope, joined as `mailboxesWithOwners`; an owner's scope holds its own mailbox only. */
export function mailboxesInScope(db: Db, scope: Scope) {
  return mailboxesWithOwners(db)
    .where(inScope(scope))
    .$if(scope.mailboxId != null, (qb) => qb.where('m.id', '=', scope.mailboxId!));
}
