import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/database.js';
import { PolicyClient } from '../../server/policy/client.js';
import type { PolicyLogger } from '../../server/policy/logger.js';
import { startPolicyServer, type PolicyServer } from '../../server/policy/server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

// The service over real TCP against a real (per-file) database, as Postfix would use it.

const FULL = '552 5.2.2 Mailbox full';
const DOMAIN = 'example.test';

interface Seed {
  local: string;
  quota: number;
  used?: number;
  level?: string;
  active?: boolean;
}

async function seedDomain(db: Db, name: string): Promise<number> {
  const reseller = await db
    .insertInto('resellers')
    .values({ name: `r-${name}`, contact_email: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  const customer = await db
    .insertInto('customers')
    .values({ reseller_id: reseller.id, plan_id: null, name: `c-${name}`, contact_email: `admin@${name}` })
    .returning('id')
    .executeTakeFirstOrThrow();
  const domain = await db.insertInto('domains').values({ customer_id: customer.id, name }).returning('id').executeTakeFirstOrThrow();
  return domain.id;
}

async function addMailbox(db: Db, domainId: number, s: Seed): Promise<number> {
  const m = await db
    .insertInto('mailboxes')
    .values({
      domain_id: domainId,
      local_part: s.local,
      address: `${s.local}@${DOMAIN}`,
      password_hash: 'x',
      quota_bytes: s.quota,
      active: s.active ?? true,
      maildir: `${DOMAIN}/${s.local}`,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (s.used !== undefined) {
    await db
      .insertInto('mailbox_usage')
      .values({ mailbox_id: m.id, used_bytes: s.used, messages: 1, scanned_at: new Date(), level: s.level ?? 'ok' })
      .execute();
  }
  return m.id;
}

interface LogEntry {
  level: string;
  obj: object;
  msg: string;
}
function recorder(entries: LogEntry[]): PolicyLogger {
  const at = (level: string) => (obj: object, msg: string) => void entries.push({ level, obj, msg });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const rcpt = (recipient: string, extra: Record<string, string | number> = {}) => ({
  request: 'smtpd_access_policy',
  protocol_state: 'RCPT',
  protocol_name: 'ESMTP',
  client_address: '192.0.2.10',
  client_name: 'mx.sender.example',
  helo_name: 'mx.sender.example',
  sender: 'someone@sender.example',
  recipient,
  recipient_count: 0,
  queue_id: '',
  instance: '123.456.7',
  size: 0,
  ...extra,
});

/** Polls until the action is the expected one or the bounded wait runs out; returns the last action seen. */
async function eventually(ask: () => Promise<string>, expected: string, timeoutMs = 5000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last = await ask();
  while (last !== expected && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20));
    last = await ask();
  }
  return last;
}

let t: TestDatabase;
let service: PolicyServer;
let client: PolicyClient;
let domainId: number;
const log: LogEntry[] = [];
const connect = () => PolicyClient.connect('127.0.0.1', service.port);
const ask = (recipient: string, extra?: Record<string, string | number>) => client.request(rcpt(recipient, extra));

beforeAll(async () => {
  t = await createTestDatabase();
  domainId = await seedDomain(t.db, DOMAIN);
  const seeds: Seed[] = [
    { local: 'full', quota: 1000, used: 1000, level: 'full' },
    { local: 'near', quota: 1_000_000, used: 990_000, level: '95' },
    { local: 'ok', quota: 1_000_000, used: 1000 },
    { local: 'unscanned', quota: 1000 },
    { local: 'marked', quota: 1_000_000, used: 10, level: 'full' },
    { local: 'off', quota: 1000, used: 5000, level: 'full', active: false },
    { local: 'changes', quota: 1_000_000, used: 0 },
  ];
  for (const s of seeds) await addMailbox(t.db, domainId, s);
  service = await startPolicyServer({ db: t.db, databaseUrl: t.url, host: '127.0.0.1', port: 0, logger: recorder(log), deadlineMs: 500 });
  expect(service.port).toBeGreaterThan(0);
  expect(await service.cache.whenFresh(10_000)).toBe(true);
  client = await connect();
});

afterAll(async () => {
  client?.close();
  await service?.close();
  await t?.drop();
});

describe('decisions at RCPT time', () => {
  it('rejects a full mailbox with 552', async () => {
    expect(await ask(`full@${DOMAIN}`)).toBe(FULL);
  });

  it('honours the level the scanner stored', async () => {
    expect(await ask(`marked@${DOMAIN}`)).toBe(FULL);
  });

  it('rejects a nearly full mailbox when the declared SIZE would not fit, and only then', async () => {
    expect(await ask(`near@${DOMAIN}`, { size: 20_000 })).toBe(FULL);
    expect(await ask(`near@${DOMAIN}`, { size: 10_000 })).toBe('DUNNO');
    expect(await ask(`near@${DOMAIN}`, { size: 0 })).toBe('DUNNO');
    const { size: _, ...noSize } = rcpt(`near@${DOMAIN}`);
    expect(await client.request(noSize)).toBe('DUNNO');
  });

  it('answers DUNNO for a mailbox with room, also one never scanned', async () => {
    expect(await ask(`ok@${DOMAIN}`, { size: 5000 })).toBe('DUNNO');
    expect(await ask(`unscanned@${DOMAIN}`, { size: 500 })).toBe('DUNNO');
    expect(await ask(`unscanned@${DOMAIN}`, { size: 1001 })).toBe(FULL);
  });

  it('answers DUNNO for unknown recipients and inactive mailboxes', async () => {
    expect(await ask(`nobody@${DOMAIN}`)).toBe('DUNNO');
    expect(await ask('someone@elsewhere.example')).toBe('DUNNO');
    expect(await ask(`off@${DOMAIN}`, { size: 99_999 })).toBe('DUNNO');
  });

  it('matches recipients case-insensitively and without their +extension', async () => {
    expect(await ask('FULL@Example.TEST')).toBe(FULL);
    expect(await ask(`full+newsletter@${DOMAIN}`)).toBe(FULL);
    expect(await ask(`Full+X@${DOMAIN.toUpperCase()}`)).toBe(FULL);
    expect(await ask(`ok+tag@${DOMAIN}`)).toBe('DUNNO');
  });

  it('answers DUNNO in other protocol states, even for a full mailbox', async () => {
    for (const state of ['CONNECT', 'MAIL', 'DATA', 'END-OF-MESSAGE']) {
      expect(await ask(`full@${DOMAIN}`, { protocol_state: state }), state).toBe('DUNNO');
    }
  });

  it('counts its decisions and does not log recipients at info level', async () => {
    const before = { ...service.counters };
    await ask(`full@${DOMAIN}`);
    await ask(`ok@${DOMAIN}`);
    await ask(`ok@${DOMAIN}`);
    expect(service.counters.reject).toBe(before.reject + 1);
    expect(service.counters.dunno).toBe(before.dunno + 2);
    expect(service.counters.defer).toBe(before.defer);
    const loud = log.filter((e) => e.level !== 'debug');
    expect(JSON.stringify(loud)).not.toContain(`@${DOMAIN}`);
  });

  it('uses a configured reply text', async () => {
    const other = await startPolicyServer({ db: t.db, databaseUrl: t.url, host: '127.0.0.1', port: 0, logger: recorder([]), reply: '452 4.2.2 Mailbox full' });
    try {
      const c = await PolicyClient.connect('127.0.0.1', other.port);
      expect(await c.request(rcpt(`full@${DOMAIN}`))).toBe('452 4.2.2 Mailbox full');
      expect(await c.request(rcpt(`ok@${DOMAIN}`))).toBe('DUNNO');
      c.close();
    } finally {
      await other.close();
    }
  });

  it('refuses to start with a reply Postfix would misread', async () => {
    await expect(startPolicyServer({ db: t.db, databaseUrl: t.url, host: '127.0.0.1', port: 0, logger: recorder([]), reply: 'OK' })).rejects.toThrow();
  });
});

describe('the connection', () => {
  it('stays open for many requests in turn', async () => {
    const c = await connect();
    for (let i = 0; i < 50; i++) expect(await c.request(rcpt(i % 2 ? `full@${DOMAIN}` : `ok@${DOMAIN}`))).toBe(i % 2 ? FULL : 'DUNNO');
    expect(c.isClosed).toBe(false);
    c.close();
  });

  it('answers pipelined requests in order', async () => {
    const c = await connect();
    const recipients = Array.from({ length: 300 }, (_, i) => [`full@${DOMAIN}`, `ok@${DOMAIN}`, `nobody@${DOMAIN}`][i % 3]);
    const replies = recipients.map(() => c.nextReply());
    c.write(
      recipients
        .map(
          (r) =>
            Object.entries(rcpt(r))
              .map(([k, v]) => `${k}=${v}\n`)
              .join('') + '\n',
        )
        .join(''),
    );
    expect(await Promise.all(replies)).toEqual(recipients.map((r) => (r.startsWith('full') ? FULL : 'DUNNO')));
    c.close();
  });

  it('reassembles requests split across packets, including across request boundaries, with CRLF', async () => {
    const c = await connect();
    const text =
      `request=smtpd_access_policy\r\nprotocol_state=RCPT\r\nrecipient=full@${DOMAIN}\r\n\r\n`.repeat(2) +
      `request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=ok@${DOMAIN}\n\n`;
    const replies = [c.nextReply(), c.nextReply(), c.nextReply()];
    for (let i = 0; i < text.length; i += 7) {
      c.write(text.slice(i, i + 7));
      await new Promise((r) => setTimeout(r, 2)); // separate packets, not one coalesced write
    }
    expect(await Promise.all(replies)).toEqual([FULL, FULL, 'DUNNO']);
    c.close();
  });

  it('closes only the connection that sent a line without "=", logging the fact but not the line', async () => {
    const bystander = await connect();
    const bad = await connect();
    const reply = bad.nextReply();
    bad.write(`request=smtpd_access_policy\nrecipient=full@${DOMAIN}\nsecret-looking-line-without-equals\n\n`);
    await expect(reply).rejects.toThrow(/closed/);
    await bad.closed;
    const warning = log.find((e) => e.level === 'warn' && JSON.stringify(e.obj).includes('missing-equals'));
    expect(warning).toBeDefined();
    expect(JSON.stringify(log)).not.toContain('secret-looking-line');
    expect(await bystander.request(rcpt(`full@${DOMAIN}`))).toBe(FULL);
    expect(await client.request(rcpt(`ok@${DOMAIN}`))).toBe('DUNNO');
    bystander.close();
  });

  it('closes a connection that sends a line over 8 KB, and answers what came before it', async () => {
    const bad = await connect();
    const first = bad.nextReply();
    const second = bad.nextReply();
    bad.write(
      `${Object.entries(rcpt(`full@${DOMAIN}`))
        .map(([k, v]) => `${k}=${v}\n`)
        .join('')}\nrecipient=${'x'.repeat(9000)}`,
    );
    expect(await first).toBe(FULL);
    await expect(second).rejects.toThrow(/closed/);
    await bad.closed;
    expect(log.some((e) => e.level === 'warn' && JSON.stringify(e.obj).includes('line-too-long'))).toBe(true);
    expect(await client.request(rcpt(`full@${DOMAIN}`))).toBe(FULL);
  });
});

describe('following the database', () => {
  it('sees a mailbox filling up (UPDATE mailbox_usage) within moments', async () => {
    const address = `changes@${DOMAIN}`;
    expect(await ask(address)).toBe('DUNNO');
    await sql`UPDATE mailbox_usage SET used_bytes = 1000000, level = 'full' WHERE mailbox_id = (SELECT id FROM mailboxes WHERE address = ${address})`.execute(
      t.db,
    );
    expect(await eventually(() => ask(address), FULL)).toBe(FULL);
  });

  it('sees a raised quota (UPDATE mailboxes) within moments', async () => {
    const address = `changes@${DOMAIN}`;
    await sql`UPDATE mailboxes SET quota_bytes = 5000000 WHERE address = ${address}`.execute(t.db);
    await sql`UPDATE mailbox_usage SET level = 'ok' WHERE mailbox_id = (SELECT id FROM mailboxes WHERE address = ${address})`.execute(t.db);
    // 1 MB used of a quota now 5 MB: 2 MB more fits, which the old 1 MB quota would have refused.
    expect(await eventually(() => ask(address, { size: 2_000_000 }), 'DUNNO')).toBe('DUNNO');
    expect(await ask(address, { size: 4_000_001 })).toBe(FULL);
  });

  it('sees a new mailbox, a renamed one and a deleted one', async () => {
    const id = await addMailbox(t.db, domainId, { local: 'newcomer', quota: 1000, used: 1000, level: 'full' });
    expect(await eventually(() => ask(`newcomer@${DOMAIN}`), FULL)).toBe(FULL);

    await sql`UPDATE mailboxes SET local_part = 'renamed', address = ${`renamed@${DOMAIN}`} WHERE id = ${id}`.execute(t.db);
    expect(await eventually(() => ask(`renamed@${DOMAIN}`), FULL)).toBe(FULL);
    expect(await ask(`newcomer@${DOMAIN}`)).toBe('DUNNO');

    await sql`DELETE FROM mailboxes WHERE id = ${id}`.execute(t.db);
    expect(await eventually(() => ask(`renamed@${DOMAIN}`), 'DUNNO')).toBe('DUNNO');
  });

  it('follows a burst of changes (a scanner run) to the last one', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 20; i++) ids.push(await addMailbox(t.db, domainId, { local: `burst${i}`, quota: 1000, used: 0 }));
    await t.db.transaction().execute(async (trx) => {
      for (let round = 0; round < 5; round++) {
        for (const id of ids)
          await sql`UPDATE mailbox_usage SET used_bytes = ${round === 4 ? 1000 : round * 10}, level = ${round === 4 ? 'full' : 'ok'} WHERE mailbox_id = ${id}`.execute(
            trx,
          );
      }
    });
    expect(await eventually(() => ask(`burst19@${DOMAIN}`), FULL)).toBe(FULL);
    for (let i = 0; i < 20; i++) expect(await ask(`burst${i}@${DOMAIN}`), `burst${i}`).toBe(FULL);
  });
});
