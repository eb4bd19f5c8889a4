// The list and overview queries must not read a whole domain or reseller per request: sorted by
// fullness they walk mailboxes_*fullness_idx, counts per level read mailboxes_domain_level_idx, and
// none of them scans mailboxes or mailbox_usage sequentially. Checked with EXPLAIN on a seeded
// database of 5,000 mailboxes, with the repository functions' own SQL (captured, then explained).
import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeScans, explainQuery } from '../../bench/mail-queries.js';
import { seedLarge } from '../../bench/seed-large.js';
import type { Db } from '../../db/database.js';
import { listMailboxes } from '../../db/repositories/mailboxes.js';
import { countsByLevel, customerTotals } from '../../db/repositories/overview.js';
import type { Scope } from '../../db/repositories/scope.js';
import type { Database } from '../../db/schema.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let tdb: TestDatabase;
let pool: pg.Pool;
let logged: Kysely<Database>;
const captured: CompiledQuery[] = [];
let bigDomainId: number;
const customer: Scope = { resellerId: 1, customerId: 1, domainId: null };
const reseller: Scope = { resellerId: 1, customerId: null, domainId: null };

beforeAll(async () => {
  tdb = await createTestDatabase();
  // One domain of 2,000 (customer 1's), 3,000 over 999 small domains; VACUUM ANALYZEd by the seeder.
  const seeded = await seedLarge(tdb.db, { resellers: 2, customers: 1000, domains: 1000, mailboxes: 5000, bigDomains: 1, bigDomainSize: 2000 });
  bigDomainId = (await tdb.db.selectFrom('domains').select('id').where('name', '=', seeded.bigDomains[0]).executeTakeFirstOrThrow()).id;
  pool = new pg.Pool({ connectionString: tdb.url, max: 2 });
  logged = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: (e) => void (e.level === 'query' && captured.push(e.query)) });
}, 120_000);

afterAll(async () => {
  await logged?.destroy();
  await tdb?.drop();
});

/** Runs a repository call with the logging Kysely and EXPLAINs every query it made. */
async function plansOf(call: (db: Db) => Promise<unknown>) {
  captured.length = 0;
  await call(logged as Db);
  const client = await pool.connect();
  try {
    const plans = [];
    for (const q of captured) plans.push({ sql: q.sql, ...(await explainQuery(client, q.sql, q.parameters)) });
    return plans;
  } finally {
    client.release();
  }
}

const noSeqScans = (plans: Awaited<ReturnType<typeof plansOf>>) =>
  plans.flatMap((p) =>
    p.scans.filter((s) => s.type === 'Seq Scan' && (s.relation === 'mailboxes' || s.relation === 'mailbox_usage')).map(() => describeScans(p.scans)),
  );
const indexesOf = (plans: Awaited<ReturnType<typeof plansOf>>) => plans.flatMap((p) => p.scans.map((s) => s.index).filter(Boolean));

describe('list and overview queries on 5,000 mailboxes', () => {
  it('a domain sorted by fullness walks the fullness index, and no page reads all usage rows', async () => {
    const first = await plansOf((db) => listMailboxes(db, customer, { domainId: bigDomainId, sort: 'fullness', desc: true, limit: 50, offset: 0 }));
    expect(noSeqScans(first)).toEqual([]);
    expect(indexesOf(first)).toContain('mailboxes_domain_fullness_idx');
    // Deep in a domain of 2,000 on a table of 5,000 the planner may well read the table instead of the
    // index; what it must not do any more is join every usage row to sort.
    const deep = await plansOf((db) => listMailboxes(db, customer, { domainId: bigDomainId, sort: 'fullness', desc: true, limit: 50, offset: 1500 }));
    expect(deep.flatMap((p) => p.scans).filter((s) => s.relation === 'mailbox_usage' && s.type === 'Seq Scan')).toEqual([]);
  });

  it("a reseller's fullest mailboxes walk the overall fullness index", async () => {
    const plans = await plansOf((db) => listMailboxes(db, reseller, { sort: 'fullness', desc: true, limit: 20, offset: 0 }));
    expect(noSeqScans(plans)).toEqual([]);
    expect(indexesOf(plans)).toContain('mailboxes_fullness_idx');
  });

  it("a customer's counts per level and a domain's address order stay on indexes", async () => {
    const plans = [
      ...(await plansOf((db) => countsByLevel(db, customer))),
      ...(await plansOf((db) => listMailboxes(db, customer, { domainId: bigDomainId, limit: 50, offset: 1000 }))),
    ];
    expect(noSeqScans(plans)).toEqual([]);
    expect(indexesOf(plans)).toContain('mailboxes_domain_level_idx');
  });

  it("a reseller's customer totals do not read mailbox_usage", async () => {
    const plans = await plansOf((db) => customerTotals(db, reseller));
    expect(plans.flatMap((p) => p.scans).some((s) => s.relation === 'mailbox_usage')).toBe(false);
  });

  it("a customer's mailboxes across its domains come in fullness order from each domain's index", async () => {
    // A second, small domain of customer 1 whose mailboxes interleave with the big one's.
    const second = await tdb.db.insertInto('domains').values({ customer_id: 1, name: 'second.example' }).returning('id').executeTakeFirstOrThrow();
    const added = await tdb.db
      .insertInto('mailboxes')
      .values(
        Array.from({ length: 30 }, (_, i) => ({
          domain_id: second.id,
          local_part: `m${i}`,
          address: `m${i}@second.example`,
          password_hash: 'x',
          quota_bytes: 1000,
          maildir: `second.example/m${i}/Maildir`,
          node: 'local',
        })),
      )
      .returning('id')
      .execute();
    await tdb.db
      .insertInto('mailbox_usage')
      .values(added.map((m, i) => ({ mailbox_id: m.id, used_bytes: i * 34, messages: 1, scanned_at: new Date(), level: 'ok' })))
      .execute();
    await tdb.db.executeQuery(sql`ANALYZE mailboxes`.compile(tdb.db));
    const all = await tdb.db
      .selectFrom('mailboxes as m')
      .innerJoin('domains as d', 'd.id', 'm.domain_id')
      .leftJoin('mailbox_usage as u', 'u.mailbox_id', 'm.id')
      .where('d.customer_id', '=', 1)
      .select(['m.address', 'm.quota_bytes', 'u.used_bytes'])
      .execute();
    const fullness = (r: (typeof all)[number]) => (r.used_bytes ?? 0) / r.quota_bytes;
    const expected = all.sort((a, b) => fullness(b) - fullness(a) || (a.address < b.address ? -1 : 1)).map((r) => r.address);
    for (const offset of [0, 1000, 1990]) {
      const page = await listMailboxes(tdb.db, customer, { sort: 'fullness', desc: true, limit: 50, offset });
      expect(page.total).toBe(2030);
      expect(page.items.map((m) => m.address)).toEqual(expected.slice(offset, offset + 50));
    }
    const plans = await plansOf((db) => listMailboxes(db, customer, { sort: 'fullness', desc: true, limit: 50, offset: 0 }));
    expect(noSeqScans(plans)).toEqual([]);
    expect(indexesOf(plans)).toContain('mailboxes_domain_fullness_idx');
  });

  it('the fullness order is the order of the measured usage, unmeasured mailboxes as empty', async () => {
    const all = await tdb.db
      .selectFrom('mailboxes as m')
      .leftJoin('mailbox_usage as u', 'u.mailbox_id', 'm.id')
      .where('m.domain_id', '=', bigDomainId)
      .select(['m.address', 'm.quota_bytes', 'u.used_bytes'])
      .execute();
    expect(all.some((r) => r.used_bytes === null)).toBe(true);
    const fullness = (r: (typeof all)[number]) => (r.used_bytes ?? 0) / r.quota_bytes;
    const expected = all.sort((a, b) => fullness(b) - fullness(a) || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)).map((r) => r.address);
    for (const offset of [0, 1000, 1980]) {
      const page = await listMailboxes(tdb.db, customer, { domainId: bigDomainId, sort: 'fullness', desc: true, limit: 50, offset });
      expect(page.total).toBe(2000);
      expect(page.items.map((m) => m.address)).toEqual(expected.slice(offset, offset + 50));
    }
  });
});
