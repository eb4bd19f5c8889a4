// Each domain row keeps its number of mailboxes (triggers per statement); lists and domain pages
// read it instead of counting. It must equal the real count after every kind of change.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDomainByName } from '../../db/repositories/domains.js';
import { OPERATOR_SYSTEM } from '../../server/services/auth/principal.js';
import { createDomain } from '../../server/services/domains/service.js';
import { createMailbox } from '../../server/services/mailboxes/service.js';
import { deleteMailbox } from '../../server/services/deleted-mailboxes/service.js';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from '../support/database.js';
import { Queues } from '../../jobs/queue/queues.js';
import { createRedis } from '../../server/platform/redis.js';
import { PASSWORD, seedTenants, type Tenants } from '../support/fixtures.js';

let t: TestDatabase;
let w: Tenants;
let redis: ReturnType<typeof createRedis>;
let queues: Queues;
beforeAll(async () => {
  t = await createTestDatabase();
  w = await seedTenants(t.db);
  redis = createRedis('redis://127.0.0.1:6379');
  queues = new Queues(redis, testRedisPrefix());
});
afterAll(async () => {
  await queues.close();
  redis.disconnect();
  await t.drop();
});

async function mismatches() {
  const { rows } = await sql<{ name: string; kept: number; real: number }>`
    SELECT d.name, d.mailbox_count AS kept, (SELECT count(*)::int FROM mailboxes m WHERE m.domain_id = d.id) AS real
      FROM domains d`.execute(t.db);
  return rows.filter((r) => r.kept !== r.real);
}

describe("a domain's mailbox count", () => {
  it('follows creations one by one and many in one statement, and deletions', async () => {
    const domain = w.A.domain.name;
    for (const localPart of ['one', 'two']) await createMailbox(t.db, OPERATOR_SYSTEM, domain, { localPart, password: PASSWORD }, 10);
    const d = (await getDomainByName(t.db, OPERATOR_SYSTEM, domain))!;
    expect(d.mailboxes).toBe(3);
    await t.db
      .insertInto('mailboxes')
      .values(
        ['x1', 'x2', 'x3', 'x4'].map((lp) => ({
          domain_id: d.id,
          local_part: lp,
          address: `${lp}@${domain}`,
          password_hash: 'x',
          quota_bytes: 1,
          maildir: `${domain}/${lp}/Maildir`,
          node: 'local',
        })),
      )
      .execute();
    expect((await getDomainByName(t.db, OPERATOR_SYSTEM, domain))!.mailboxes).toBe(7);
    await deleteMailbox(t.db, queues, OPERATOR_SYSTEM, `one@${domain}`);
    await t.db.deleteFrom('mailboxes').where('local_part', 'in', ['x1', 'x2']).execute();
    expect((await getDomainByName(t.db, OPERATOR_SYSTEM, domain))!.mailboxes).toBe(4);
    expect(await mismatches()).toEqual([]);
  });

  it('is not fooled by a mailbox moved to another domain: that is refused', async () => {
    const other = await createDomain(t.db, OPERATOR_SYSTEM, w.A.customer.id, 'second-a.example');
    await expect(t.db.updateTable('mailboxes').set({ domain_id: other.id }).where('address', '=', `two@${w.A.domain.name}`).execute()).rejects.toThrow(
      /cannot move/,
    );
    expect(await mismatches()).toEqual([]);
  });

  it('stays right when the database cascades a deletion', async () => {
    await t.db.deleteFrom('customers').where('id', '=', w.B.customer.id).execute();
    expect(await mismatches()).toEqual([]);
    expect(await getDomainByName(t.db, OPERATOR_SYSTEM, w.B.domain.name)).toBeUndefined();
  });

  it('and after a TRUNCATE, with the usage copies on the mailbox rows', async () => {
    const [m] = await t.db.selectFrom('mailboxes').select('id').limit(1).execute();
    await t.db.insertInto('mailbox_usage').values({ mailbox_id: m.id, used_bytes: 5, messages: 1, scanned_at: new Date(), level: 'ok' }).execute();
    await sql`TRUNCATE mailbox_usage`.execute(t.db);
    const copies = await t.db
      .selectFrom('mailboxes')
      .select('id')
      .where((eb) => eb.or([eb('used_bytes', 'is not', null), eb('usage_level', 'is not', null)]))
      .execute();
    expect(copies).toEqual([]);
    await sql`TRUNCATE mailboxes CASCADE`.execute(t.db);
    expect(await mismatches()).toEqual([]);
  });
});
