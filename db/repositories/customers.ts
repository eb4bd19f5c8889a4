import type { Db } from '../database.js';
import { containing, type Page, type Paged, type Scope } from './scope.js';
import type { Customer } from '../schema.js';

/** `search` matches anywhere in the name or the contact address, regardless of case. */
export async function listCustomers(db: Db, scope: Scope, page: Page & { resellerId?: number; search?: string }): Promise<Paged<Customer>> {
  const base = db
    .selectFrom('customers')
    .$if(scope.resellerId !== null, (qb) => qb.where('reseller_id', '=', scope.resellerId!))
    .$if(scope.customerId !== null, (qb) => qb.where('id', '=', scope.customerId!))
    .$if(page.resellerId !== undefined, (qb) => qb.where('reseller_id', '=', page.resellerId!))
    .$if(!!page.search, (qb) =>
      qb.where((eb) => eb.or([eb('name', 'ilike', containing(page.search!)), eb('contact_email', 'ilike', containing(page.search!))])),
    );
  const [items, total] = await Promise.all([
    base.selectAll().orderBy('name').orderBy('id').limit(page.limit).offset(page.offset).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items, total: total.n };
}

export function getCustomer(db: Db, scope: Scope, id: number) {
  return db
    .selectFrom('customers')
    .selectAll()
    .where('id', '=', id)
    .$if(scope.resellerId !== null, (qb) => qb.where('reseller_id', '=', scope.resellerId!))
    .$if(scope.customerId !== null, (qb) => qb.where('id', '=', scope.customerId!))
    .executeTakeFirst();
}

/** Locks the customer row so concurrent creations cannot both slip under a plan limit. */
export function lockCustomer(db: Db, id: number) {
  return db.selectFrom('customers').selectAll().where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
}

export function insertCustomer(db: Db, values: { reseller_id: number; plan_id: number | null; name: string; contact_email: string; language: string }) {
  return db.insertInto('customers').values(values).returningAll().executeTakeFirstOrThrow();
}

/** When the customer row last changed, locked until the transaction ends (optimistic concurrency). */
export function lockCustomerVersion(db: Db, id: number) {
  return db.selectFrom('customers').select('updated_at').where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
}

export function updateCustomer(db: Db, id: number, values: Partial<Pick<Customer, 'plan_id' | 'name' | 'contact_email' | 'language' | 'active'>>) {
  return db
    .updateTable('customers')
    .set({ ...values, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteCustomer(db: Db, id: number) {
  await db.deleteFrom('customers').where('id', '=', id).execute();
}

export async function customerFootprint(db: Db, customerId: number) {
  const row = await db
    .selectFrom('mailboxes as m')
    .innerJoin('domains as d', 'd.id', 'm.domain_id')
    .where('d.customer_id', '=', customerId)
    .select((eb) => [eb.fn.countAll<number>().as('mailboxes'), eb.fn.coalesce(eb.fn.sum<number>('m.quota_bytes'), eb.lit(0)).as('allocated')])
    .executeTakeFirstOrThrow();
  return { mailboxes: Number(row.mailboxes), allocatedBytes: Number(row.allocated) };
}

export async function domainCount(db: Db, customerId: number): Promise<number> {
  const row = await db
    .selectFrom('domains')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('customer_id', '=', customerId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
