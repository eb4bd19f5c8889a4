import { sql } from 'kysely';

/** The part of the tenant tree a caller may see; null means "not narrowed at this level". */
export interface Scope {
  resellerId: number | null;
  customerId: number | null;
  domainId: number | null;
}

export interface Page {
  limit: number;
  offset: number;
}

export interface Paged<T> {
  items: T[];
  total: number;
}

/** A user's text as a LIKE pattern matching it anywhere, its wildcards taken literally. */
export function containing(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
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
