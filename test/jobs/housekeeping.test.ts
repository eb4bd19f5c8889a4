import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { housekeeping } from '../../jobs/handlers/housekeeping.js';
import { createTestDatabase, testRedisPrefix, type TestDatabase } from '../support/database.js';
import { Queues } from '../../jobs/queue/queues.js';
import { createRedis } from '../../server/platform/redis.js';

const redis = createRedis('redis://127.0.0.1:6379');
const queues = new Queues(redis, testRedisPrefix());
import { seedTenants, type Tenants } from '../support/fixtures.js';

let t: TestDatabase;
let w: Tenants;
beforeAll(async () => {
  t = await createTestDatabase();
  w = await seedTenants(t.db);
});
afterAll(async () => {
  await queues.close();
  redis.disconnect();
  await t.drop();
});

describe('daily housekeeping', () => {
  it('removes old samples, ended sessions and setup links, and secrets imports left behind', async () => {
    const { id: mailboxId } = await t.db.selectFrom('mailboxes').select('id').where('address', '=', w.A.mailbox.address).executeTakeFirstOrThrow();
    const { id: domainId } = await t.db.selectFrom('domains').select('id').where('name', '=', w.A.domain.name).executeTakeFirstOrThrow();
    await t.db
      .insertInto('usage_samples')
      .values([
        { mailbox_id: mailboxId, at: new Date(Date.now() - 100 * 86400_000), used_bytes: 1, messages: 1 },
        { mailbox_id: mailboxId, at: new Date(), used_bytes: 2, messages: 1 },
      ])
      .execute();
    await t.db
      .insertInto('sessions')
      .values([
        { id_hash: 'old', user_id: w.A.customerUser.id, csrf_token: 'x', acting_customer_id: null, created_at: new Date(Date.now() - 2 * 86400_000) },
        { id_hash: 'new', user_id: w.A.customerUser.id, csrf_token: 'x', acting_customer_id: null },
      ])
      .execute();
    await t.db
      .insertInto('setup_tokens')
      .values({ token_hash: 'expired', expires_at: new Date(Date.now() - 1000) })
      .execute();
    await sql`INSERT INTO mailbox_imports (domain_id, status, total, rows, created_at) VALUES (${domainId}, 'running', 1, '[{"password":"secret"}]', now() - interval '2 days')`.execute(
      t.db,
    );
    await sql`INSERT INTO mailbox_imports (domain_id, status, total, generated_passwords, created_at, finished_at) VALUES (${domainId}, 'done', 1, '[{"password":"gen"}]', now() - interval '9 days', now() - interval '8 days')`.execute(
      t.db,
    );
    await sql`INSERT INTO mailbox_imports (domain_id, status, total, generated_passwords) VALUES (${domainId}, 'done', 1, '[{"password":"fresh"}]')`.execute(
      t.db,
    );

    const r = await housekeeping(t.db, { sampleRetentionDays: 90, sessionAbsoluteSeconds: 86400 }, queues);
    expect(r).toEqual({
      purges: 0,
      requeued: 0,
      samples: 1,
      sessions: 1,
      setupTokens: 1,
      stuckImports: 1,
      expiredPasswords: 1,
      cleanupPreviews: 0,
      mailboxSessions: 0,
      webhookHistory: { deliveries: 0, events: 0 },
    });
    const imports = await sql<{
      status: string;
      rows: unknown;
      generated_passwords: unknown;
    }>`SELECT status, rows, generated_passwords FROM mailbox_imports WHERE id NOT IN (${w.A.importId}, ${w.B.importId}) ORDER BY id`.execute(t.db);
    expect(imports.rows.map((i) => [i.status, i.rows, i.generated_passwords === null])).toEqual([
      ['failed', null, true],
      ['done', null, true],
      ['done', null, false],
    ]);
    expect(await housekeeping(t.db, { sampleRetentionDays: 90, sessionAbsoluteSeconds: 86400 }, queues)).toEqual({
      purges: 0,
      requeued: 0,
      samples: 0,
      sessions: 0,
      setupTokens: 0,
      stuckImports: 0,
      expiredPasswords: 0,
      cleanupPreviews: 0,
      mailboxSessions: 0,
      webhookHistory: { deliveries: 0, events: 0 },
    });
  });

  it('forgets webhook history after 30 days, never a delivery still being tried', async () => {
    const { id: mailboxId } = await t.db.selectFrom('mailboxes').select('id').where('address', '=', w.A.mailbox.address).executeTakeFirstOrThrow();
    const old = new Date(Date.now() - 31 * 86400_000);
    const event = async (at: Date) =>
      (
        await t.db
          .insertInto('webhook_events')
          .values({
            type: 'mailbox.updated',
            reseller_id: w.A.reseller.id,
            customer_id: w.A.customer.id,
            mailbox_id: mailboxId,
            data: '{}',
            fanned_out: true,
            created_at: at,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    const delivery = async (eventId: number, status: 'delivered' | 'retrying' | 'failed', at: Date) =>
      t.db
        .insertInto('webhook_deliveries')
        .values({ msg_id: `msg_${eventId}_${status}`, webhook_id: w.A.webhookId, event_id: eventId, mailbox_id: mailboxId, status, created_at: at })
        .execute();
    const done = await event(old);
    await delivery(done, 'delivered', old);
    const stuck = await event(old);
    await delivery(stuck, 'retrying', old);
    const recent = await event(new Date());
    await delivery(recent, 'failed', new Date());
    const result = await housekeeping(t.db, { sampleRetentionDays: 90, sessionAbsoluteSeconds: 86400 }, queues);
    expect(result.webhookHistory).toEqual({ deliveries: 1, events: 1 });
    const left = await t.db.selectFrom('webhook_events').select('id').where('id', 'in', [done, stuck, recent]).orderBy('id').execute();
    expect(left.map((e) => e.id)).toEqual([stuck, recent]);
  });
});
