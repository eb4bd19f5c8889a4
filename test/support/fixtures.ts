import type { Db } from '../../db/database.js';
import { insertUser } from '../../db/repositories/users.js';
import { insertWebhook } from '../../db/repositories/webhooks.js';
import { moveToDeleted } from '../../db/repositories/deleted-mailboxes.js';
import { hashPassword } from '../../server/platform/passwords.js';
import { OPERATOR_SYSTEM, type Principal } from '../../server/services/auth/principal.js';
import { createApiKey } from '../../server/services/api-keys/service.js';
import { createCustomer } from '../../server/services/customers/service.js';
import { createDomain } from '../../server/services/domains/service.js';
import { createMailbox } from '../../server/services/mailboxes/service.js';
import { createPlan } from '../../server/services/plans/service.js';
import { createReseller } from '../../server/services/resellers/service.js';

export const PASSWORD = 'correct horse battery';

export const resellerPrincipal = (resellerId: number): Principal => ({ ...OPERATOR_SYSTEM, role: 'reseller', resellerId });

/**
 * Two resellers with one customer each, a domain and a mailbox per customer, panel logins for
 * every role and API keys: the world most tests need.
 */
export async function seedTenants(db: Db, tag = 'a') {
  const hash = await hashPassword(PASSWORD);
  async function tenant(name: string, domain: string) {
    const r = await createReseller(db, OPERATOR_SYSTEM, { name: `Reseller ${name}`, contactEmail: `reseller-${name}@example.net` });
    const rp = resellerPrincipal(r.id);
    const c = await createCustomer(db, rp, { name: `Customer ${name}1`, contactEmail: `customer-${name}1@example.net` });
    const d = await createDomain(db, rp, c.id, domain);
    const m = await createMailbox(db, rp, d.name, { localPart: 'info', password: PASSWORD }, 10);
    // A deleted mailbox too, so routes over deleted mailboxes are probed with a real one.
    const gone = await createMailbox(db, rp, d.name, { localPart: 'gone', password: PASSWORD }, 10);
    const deletedId = await moveToDeleted(db, gone.id, 30);
    const resellerUser = await insertUser(db, {
      email: `reseller-${name}-${tag}@panel.test`,
      password_hash: hash,
      role: 'reseller',
      reseller_id: r.id,
      customer_id: null,
    });
    const customerUser = await insertUser(db, {
      email: `customer-${name}1-${tag}@panel.test`,
      password_hash: hash,
      role: 'customer',
      reseller_id: r.id,
      customer_id: c.id,
    });
    // A plan of the reseller's, and a finished import by the customer's user with a generated password
    // still to hand out: routes over plans and imports are then probed with objects that exist.
    const plan = await createPlan(db, rp, {
      name: `Plan ${name}`,
      defaultQuotaBytes: 100 * 1024 ** 2,
      maxQuotaBytes: null,
      maxMailboxes: null,
      maxStorageBytes: null,
    });
    const importRow = await db
      .insertInto('mailbox_imports')
      .values({
        domain_id: d.id,
        created_by: customerUser.id,
        status: 'done',
        total: 1,
        done: 1,
        created: 1,
        report: JSON.stringify([{ line: 2, address: m.address, status: 'created' }]),
        generated_passwords: JSON.stringify([{ address: m.address, password: `generated-secret-${name}` }]),
        finished_at: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    // A webhook of the reseller's with one delivery in its log, so routes over webhooks are probed with objects that exist.
    // Disabled: it receives nothing the tests make happen.
    const webhook = await insertWebhook(
      db,
      { resellerId: r.id },
      { url: `https://hooks-${name}.example.net/in`, events: ['mailbox.created'], secret: `whsec_${Buffer.from(`fixture-${name}`).toString('base64')}` },
    );
    await db.updateTable('webhooks').set({ enabled: false }).where('id', '=', webhook.id).execute();
    const event = await db
      .insertInto('webhook_events')
      .values({ type: 'mailbox.created', reseller_id: r.id, customer_id: c.id, mailbox_id: m.id, data: JSON.stringify({ mailboxId: m.id }), fanned_out: true })
      .returning('id')
      .executeTakeFirstOrThrow();
    const delivery = await db
      .insertInto('webhook_deliveries')
      .values({ msg_id: `msg_fixture_${name}`, webhook_id: webhook.id, event_id: event.id, mailbox_id: m.id, status: 'delivered' })
      .returning('id')
      .executeTakeFirstOrThrow();
    // An open request for more space, so routes over requests are probed with one that could be decided.
    const spaceRequest = await db
      .insertInto('space_requests')
      .values({
        mailbox_id: m.id,
        customer_id: c.id,
        reseller_id: r.id,
        from_bytes: m.quota_bytes,
        requested_bytes: m.quota_bytes * 2,
        requested_by: 'fixture',
        // Its notice went out long ago: the sweep has nothing to tell of it.
        notified: 'open',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    // An app password, so the routes over them are probed with one that exists (a hash of nothing usable).
    const appPasswordId = `fixture${name}`;
    await db
      .insertInto('app_passwords')
      .values({ id: appPasswordId, mailbox_id: m.id, name: 'fixture', password_hash: '{ARGON2ID}x', protocols: ['imap'], allow_nets: null })
      .execute();
    const { key, row: keyRow } = await createApiKey(db, rp, { name: `key ${name}`, readOnly: false });
    const readOnlyKey = (await createApiKey(db, rp, { name: `ro ${name}`, readOnly: true })).key;
    const domainKey = (await createApiKey(db, rp, { name: `domain ${name}`, readOnly: false, domain: d.name })).key;
    const customerKey = (await createApiKey(db, rp, { name: `customer ${name}1`, readOnly: false, customerId: c.id })).key;
    return {
      reseller: r,
      customer: c,
      domain: d,
      mailbox: m,
      deletedId,
      planId: plan.id,
      webhookId: webhook.id,
      deliveryId: delivery.id,
      spaceRequestId: spaceRequest.id,
      appPasswordId,
      importId: importRow.id,
      resellerUser,
      customerUser,
      key,
      keyId: keyRow.id,
      readOnlyKey,
      domainKey,
      customerKey,
    };
  }
  const operator = await insertUser(db, { email: `operator-${tag}@panel.test`, password_hash: hash, role: 'operator', reseller_id: null, customer_id: null });
  const operatorKey = (await createApiKey(db, OPERATOR_SYSTEM, { name: 'operator', readOnly: false })).key;
  const A = await tenant('a', `alpha-${tag}.example`);
  const B = await tenant('b', `beta-${tag}.example`);
  return { operator, operatorKey, A, B };
}

export type Tenants = Awaited<ReturnType<typeof seedTenants>>;

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
