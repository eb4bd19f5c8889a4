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
