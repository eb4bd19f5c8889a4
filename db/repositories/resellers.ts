import type { Db } from '../database.js';
import type { Page, Paged, Scope } from './scope.js';

export async function listResellers(
  db: Db,
  page: Page,
): Promise<Paged<{ id: number; name: string; contact_email: string | null; active: boolean; customers: number }>> {
  const [items, total] = await Promise.all([
    db
      .selectFrom('resellers as r')
      .select((eb) => [
        'r.id',
        'r.name',
        'r.contact_email',
        'r.active',
        eb
          .selectFrom('customers')
          .whereRef('customers.reseller_id', '=', 'r.id')
          .select((e) => e.fn.countAll<number>().as('n'))
          .as('customers'),
      ])
      .orderBy('r.name')
      .orderBy('r.id')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    db
      .selectFrom('resellers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { items: items.map((r) => ({ ...r, customers: Number(r.customers ?? 0) })), total: total.n };
}

export function getReseller(db: Db, scope: Scope, id: number) {
  return db
    .selectFrom('resellers')
    .selectAll()
    .where('id', '=', id)
    .$if(scope.resellerId !== null, (qb) => qb.where('id', '=', scope.resellerId!))
    .executeTakeFirst();
}

export function insertReseller(db: Db, values: { name: string; contact_email: string | null }) {
  return db.insertInto('resellers').values(values).returningAll().executeTakeFirstOrThrow();
}

export function updateReseller(db: Db, id: number, values: { name?: string; contact_email?: string | null; active?: boolean }) {
  return db
    .updateTable('resellers')
    .set({ ...values, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Where mail about a reseller's own setup goes (a disabled webhook): its contact address, if any. */
export async function contactOfReseller(db: Db, id: number): Promise<string | null> {
  const r = await db.selectFrom('resellers').select('contact_email').where('id', '=', id).executeTakeFirst();
  return r?.contact_email ?? null;
}
