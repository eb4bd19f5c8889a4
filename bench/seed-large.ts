// A large, realistic tenant tree for the load benches, seeded in bulk SQL (INSERT ... SELECT generate_series).
//
//   npx tsx bench/seed-large.ts [NAME]          creates database NAME (default mailpanel_large_<random>), migrates,
//                                               seeds it and keeps it; prints what it made and the time taken
//   npx tsx bench/seed-large.ts --drop          ... and drops it again (to time the seeding alone)
//
// Default size: 2 resellers, 10,000 customers, 10,000 domains (one per customer), 100,000 mailboxes:
// 3 large domains of 10,000 mailboxes (big1.example.com ...; names like anna.schmidt, so searches
// and deep pages are realistic) and 70,000 role mailboxes (info@, office@, ...) over the other
// 9,997 domains; usage rows for 97% of the mailboxes (3% not measured yet). Every mailbox has the
// same real {ARGON2ID} hash of PASSWORD (hashed once), so Dovecot and the panel can log it in.
// Logins: ops@bench.test (operator), reseller1@bench.test (reseller 1), customer1@bench.test
// (customer 1, owner of big1.example.com), all with PASSWORD; an API key of reseller 1.
//
// Used as a module by bench/load-web.ts, bench/fanout.ts, bench/imap-storm.ts and test/e2e-mail/explain.test.ts.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { createDb, type Db } from '../db/database.js';
import { ensureDatabase, migrateToLatest } from '../db/migrate.js';
import { hashPassword } from '../server/platform/passwords.js';
import { OPERATOR_SYSTEM } from '../server/services/auth/principal.js';
import { createApiKey } from '../server/services/api-keys/service.js';

export const PASSWORD = 'bench-password-2026';
export const DEFAULT_ADMIN_URL = process.env.BENCH_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface SeedSize {
  resellers: number;
  customers: number;
  /** Domain j belongs to customer ((j-1) mod customers)+1. */
  domains: number;
  mailboxes: number;
  /** The first `bigDomains` domains hold `bigDomainSize` mailboxes each; the rest are spread over the other domains. */
  bigDomains: number;
  bigDomainSize: number;
}

export const LARGE: SeedSize = { resellers: 2, customers: 10_000, domains: 10_000, mailboxes: 100_000, bigDomains: 3, bigDomainSize: 10_000 };

export interface Seeded {
  size: SeedSize;
  counts: Record<string, number>;
  /** big1.example.com, ... (big1 belongs to customer 1 of reseller 1). */
  bigDomains: string[];
  password: string;
  passwordHash: string;
  logins: { operator: string; reseller: string; customer: string };
  /** A read-write API key of reseller 1. */
  resellerKey: string;
  seconds: number;
}

// 100 x 100 names: a big domain of 10,000 mailboxes holds every first.last pair once.
const FIRST = (
  'anna ben clara david emma felix greta hannah ida jonas karl lena max nora oskar paula quirin rosa simon tina ' +
  'ulrich vera walter xenia yusuf zoe adam berta carl doris erik frieda georg helga ingo julia klaus lisa martin nina ' +
  'otto petra ralf sabine thomas ute volker wiebke alex bianca chris dana elias fiona gustav heidi igor jana kevin ' +
  'luise marco nadine olaf pia rene sonja tobias uwe vanessa wolfgang yvonne andrea bernd carmen dieter elke frank ' +
  'gisela horst irene jan katrin lars monika norbert olga peter renate stefan tanja ursula victor werner johann marie sven lukas mia noah emil'
).split(' ');
const LAST = (
  'schmidt mueller schneider fischer weber meyer wagner becker schulz hoffmann koch richter klein wolf schroeder ' +
  'neumann schwarz zimmermann braun krueger hofmann hartmann lange schmitt werner krause meier lehmann schmid schulze ' +
  'maier koehler herrmann koenig walter mayer huber kaiser fuchs peters lang scholz moeller weiss jung hahn schubert ' +
  'vogel friedrich keller guenther frank berger winkler roth beck lorenz baumann franke albrecht schuster simon ' +
  'ludwig boehm winter dorn ebert fiedler haase kolb kraus martin schumacher kraemer vogt stein jaeger otto sommer gross seidel heinrich brandt ' +
  'haas schreiber graf schulte dietrich ziegler kuhn kuehn pohl engel horn busch bergmann thomas voigt sauer arnold'
).split(' ');
const ROLES = ['info', 'office', 'sales', 'support', 'billing', 'contact', 'admin', 'hr', 'jobs', 'team'];
if (FIRST.length !== 100 || LAST.length !== 100) throw new Error(`name lists must hold 100 names each (${FIRST.length}, ${LAST.length})`);

export const bigDomainName = (n: number) => `big${n}.example.com`;

/**
 * Seeds an empty, migrated database. Explicit ids (1..n per table, sequences moved past them) keep
 * every row predictable: customer k belongs to reseller ((k-1) mod resellers)+1, domain j to
 * customer ((j-1) mod customers)+1.
 */
export async function seedLarge(db: Db, size: SeedSize = LARGE): Promise<Seeded> {
  const t0 = performance.now();
  const { resellers: R, customers: C, domains: D, mailboxes: M, bigDomains: B, bigDomainSize: BIG } = size;
  if (R < 1 || C < R || D < 1 || B > D || B * BIG > M || (M > B * BIG && D === B)) throw new Error(`inconsistent seed size ${JSON.stringify(size)}`);
  const SMALL_DOMAINS = D - B;
  const passwordHash = await hashPassword(PASSWORD);

  const existing = await sql<{ n: number }>`SELECT count(*)::int AS n FROM mailboxes`.execute(db);
  if (existing.rows[0].n > 0) throw new Error('seedLarge needs an empty database');

  await db.transaction().execute(async (trx) => {
    // Bulk load: no per-row triggers (pg_notify per mailbox, the usage trigger's lookup) and no FK
    // trigger checks; the rows are consistent by construction and counted below.
    await sql`SET LOCAL session_replication_role = replica`.execute(trx);
    await sql`SET LOCAL synchronous_commit = off`.execute(trx);
    await sql`INSERT INTO resellers (id, name, contact_email)
              SELECT r, 'Bench Reseller ' || r, 'reseller' || r || '@bench.test' FROM generate_series(1, ${R}::int) r`.execute(trx);
    await sql`INSERT INTO plans (id, reseller_id, name, default_quota_bytes, max_quota_bytes, max_mailboxes, max_storage_bytes)
              SELECT (r - 1) * 3 + p, r, (ARRAY['Small', 'Business', 'Enterprise'])[p],
                     (ARRAY[524288000, 1073741824, 2147483648])[p]::bigint,
                     (ARRAY[1073741824, 10737418240, NULL])[p]::bigint,
                     (ARRAY[50, 1000, NULL])[p]::int,
                     (ARRAY[53687091200, 1099511627776, NULL])[p]::bigint
                FROM generate_series(1, ${R}::int) r CROSS JOIN generate_series(1, 3) p`.execute(trx);
    // Customers owning a big domain get the unlimited plan; the rest Small or Business.
    await sql`INSERT INTO customers (id, reseller_id, plan_id, name, contact_email, language, created_at)
              SELECT k, (k - 1) % ${R} + 1,
                     ((k - 1) % ${R}) * 3 + CASE WHEN k <= ${B} THEN 3 WHEN k % 4 = 0 THEN 2 ELSE 1 END,
                     'Customer ' || lpad(k::text, 5, '0') || (ARRAY[' GmbH', ' Ltd', ' & Co', ' AG', ''])[k % 5 + 1],
                     'owner' || k || '@customer' || k || '.test', CASE WHEN k % 7 = 0 THEN 'de' ELSE 'en' END,
                     now() - make_interval(days => k % 900)
                FROM generate_series(1, ${C}::int) k`.execute(trx);
    await sql`INSERT INTO domains (id, customer_id, name, created_at)
              SELECT j, (j - 1) % ${C} + 1,
                     CASE WHEN j <= ${B} THEN 'big' || j || '.example.com' ELSE 'd' || lpad(j::text, 5, '0') || '.example.net' END,
                     now() - make_interval(days => j % 900)
                FROM generate_series(1, ${D}::int) j`.execute(trx);
    // Big domains: mailbox i (0-based within the domain) is FIRST[i % 100].LAST[i / 100 % 100], numbered past 10,000.
    // The rest: the k-th mailbox of a small domain is ROLES[k % 10] (numbered past 10).
    await sql`INSERT INTO mailboxes (id, domain_id, local_part, address, password_hash, quota_bytes, imap_enabled, pop3_enabled, active, maildir, created_at, updated_at)
              SELECT g.id, g.domain_id, g.local_part, g.local_part || '@' || d.name, ${passwordHash}, g.quota,
                     g.id % 50 <> 7, g.id % 5 <> 3, g.id % 100 <> 99, d.name || '/' || g.local_part,
                     now() - make_interval(days => g.id % 1000, secs => g.id % 86400), now() - make_interval(days => g.id % 30)
                FROM (
                  SELECT n + 1 AS id,
                         CASE WHEN n < ${B * BIG} THEN n / ${BIG} + 1 ELSE ${B} + 1 + (n - ${B * BIG}) % ${Math.max(SMALL_DOMAINS, 1)} END AS domain_id,
                         CASE WHEN n < ${B * BIG}
                              THEN (${FIRST}::text[])[(n % ${BIG}) % 100 + 1] || '.' || (${LAST}::text[])[(n % ${BIG}) / 100 % 100 + 1]
                                   || CASE WHEN n % ${BIG} >= 10000 THEN ((n % ${BIG}) / 10000)::text ELSE '' END
                              ELSE (${ROLES}::text[])[((n - ${B * BIG}) / ${Math.max(SMALL_DOMAINS, 1)}) % 10 + 1]
                                   || CASE WHEN (n - ${B * BIG}) / ${Math.max(SMALL_DOMAINS, 1)} >= 10 THEN (((n - ${B * BIG}) / ${Math.max(SMALL_DOMAINS, 1)}) / 10)::text ELSE '' END
                         END AS local_part,
                         (ARRAY[1073741824, 1073741824, 2147483648, 524288000, 5368709120])[n % 5 + 1]::bigint AS quota
                    FROM generate_series(0, ${M - 1}::int) n
                ) g
                JOIN domains d ON d.id = g.domain_id`.execute(trx);
    // Usage: a pseudo-random fraction u in [0,1) per mailbox; fullness u^2 (most mailboxes fairly empty),
    // the top 3% full and a band at 80-99%; every 33rd mailbox not measured yet.
    await sql`INSERT INTO mailbox_usage (mailbox_id, used_bytes, messages, scanned_at, full_scanned_at, level, level_changed_at)
              SELECT m.id, f.used, greatest(f.used / 60000, 0), now() - make_interval(mins => (m.id % 15)::int),
                     now() - make_interval(hours => (m.id % 24)::int),
                     CASE WHEN f.used >= m.quota_bytes THEN 'full' WHEN f.used >= m.quota_bytes * 0.95 THEN '95'
                          WHEN f.used >= m.quota_bytes * 0.90 THEN '90' WHEN f.used >= m.quota_bytes * 0.80 THEN '80' ELSE 'ok' END,
                     now() - make_interval(days => (m.id % 40)::int)
                FROM mailboxes m
                CROSS JOIN LATERAL (SELECT ((m.id * 2654435761) % 1000003)::float8 / 1000003 AS u) r
                CROSS JOIN LATERAL (SELECT (CASE WHEN r.u > 0.97 THEN m.quota_bytes
                                                 WHEN r.u > 0.90 THEN m.quota_bytes * (0.80 + (r.u - 0.90) * 2.7)
                                                 ELSE m.quota_bytes * r.u * r.u END)::bigint AS used) f
               WHERE m.id % 33 <> 0`.execute(trx);
    // What the triggers keep, which replica mode switched off: usage copies and mailbox counts.
    await sql`UPDATE mailboxes m SET used_bytes = u.used_bytes, usage_level = u.level FROM mailbox_usage u WHERE u.mailbox_id = m.id`.execute(trx);
    await sql`UPDATE domains d SET mailbox_count = n.n FROM (SELECT domain_id, count(*) AS n FROM mailboxes GROUP BY domain_id) n WHERE n.domain_id = d.id`.execute(
      trx,
    );
    for (const t of ['resellers', 'plans', 'customers', 'domains', 'mailboxes']) {
      await sql`SELECT setval(pg_get_serial_sequence(${t}, 'id'), (SELECT max(id) FROM ${sql.table(t)}))`.execute(trx);
    }
    await sql`INSERT INTO users (email, password_hash, role, reseller_id, customer_id) VALUES
                ('ops@bench.test', ${passwordHash}, 'operator', NULL, NULL),
                ('reseller1@bench.test', ${passwordHash}, 'reseller', 1, NULL),
                ('customer1@bench.test', ${passwordHash}, 'customer', 1, 1)`.execute(trx);
  });
  const { key } = await createApiKey(db, { ...OPERATOR_SYSTEM, role: 'reseller', resellerId: 1 }, { name: 'bench', readOnly: false });
  // What autovacuum would have done on a live system: statistics and the visibility map.
  for (const t of ['resellers', 'plans', 'customers', 'domains', 'mailboxes', 'mailbox_usage', 'users', 'api_keys']) {
    await sql`VACUUM (ANALYZE) ${sql.table(t)}`.execute(db);
  }
  const counts: Record<string, number> = {};
  for (const t of ['resellers', 'customers', 'domains', 'mailboxes', 'mailbox_usage']) {
    counts[t] = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(t)}`.execute(db)).rows[0].n;
  }
  // The FK checks were skipped while loading: prove the tree is whole.
  const orphans = await sql<{ n: number }>`
    SELECT (SELECT count(*) FROM mailboxes m LEFT JOIN domains d ON d.id = m.domain_id WHERE d.id IS NULL)
         + (SELECT count(*) FROM domains d LEFT JOIN customers c ON c.id = d.customer_id WHERE c.id IS NULL)
         + (SELECT count(*) FROM customers c LEFT JOIN resellers r ON r.id = c.reseller_id WHERE r.id IS NULL) AS n`.execute(db);
  if (Number(orphans.rows[0].n) !== 0) throw new Error(`seed produced ${orphans.rows[0].n} orphan rows`);
  if (counts.mailboxes !== M) throw new Error(`seeded ${counts.mailboxes} mailboxes, expected ${M}`);

  return {
    size,
    counts,
    bigDomains: Array.from({ length: B }, (_, i) => bigDomainName(i + 1)),
    password: PASSWORD,
    passwordHash,
    logins: { operator: 'ops@bench.test', reseller: 'reseller1@bench.test', customer: 'customer1@bench.test' },
    resellerKey: key,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Drops `name` on the server of `adminUrl`, closing its sessions first. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export interface BenchDatabase {
  name: string;
  url: string;
  db: Db;
  /** Closes the pool; drops the database unless it was kept. */
  close(): Promise<void>;
}

/**
 * A fresh database (name given or generated), created and migrated; dropped by close() unless keep.
 * Refuses a name that already exists, so nobody's database is ever seeded into or dropped.
 */
export async function freshDatabase(opts: { name?: string; adminUrl?: string; keep?: boolean; poolSize?: number } = {}): Promise<BenchDatabase> {
  const adminUrl = opts.adminUrl ?? DEFAULT_ADMIN_URL;
  const name = opts.name ?? `mailpanel_load_${randomBytes(4).toString('hex')}`;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`database name must match [a-z_][a-z0-9_]*: ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  if (!(await ensureDatabase(url.toString()))) throw new Error(`database ${name} already exists; pick another name or drop it`);
  const drop = () => dropDatabase(adminUrl, name);
  try {
    await migrateToLatest(url.toString());
  } catch (err) {
    if (!opts.keep) await drop().catch(() => {});
    throw err;
  }
  const db = createDb(url.toString(), opts.poolSize ?? 4);
  let closed = false;
  return {
    name,
    url: url.toString(),
    db,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
      if (!opts.keep) await drop();
    },
  };
}

/** Reads what seedLarge made from an already seeded database (for --database-url reuse); needs a new API key. */
export async function describeSeeded(db: Db): Promise<Seeded> {
  const big = await sql<{ name: string }>`SELECT name FROM domains WHERE name LIKE 'big%.example.com' ORDER BY id`.execute(db);
  if (big.rows.length === 0) throw new Error('this database was not seeded by bench/seed-large.ts (no big*.example.com domain)');
  const hash = await sql<{ password_hash: string }>`SELECT password_hash FROM mailboxes ORDER BY id LIMIT 1`.execute(db);
  const counts: Record<string, number> = {};
  for (const t of ['resellers', 'customers', 'domains', 'mailboxes', 'mailbox_usage']) {
    counts[t] = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(t)}`.execute(db)).rows[0].n;
  }
  const { key } = await createApiKey(db, { ...OPERATOR_SYSTEM, role: 'reseller', resellerId: 1 }, { name: `bench ${Date.now()}`, readOnly: false });
  return {
    size: {
      ...LARGE,
      resellers: counts.resellers,
      customers: counts.customers,
      domains: counts.domains,
      mailboxes: counts.mailboxes,
      bigDomains: big.rows.length,
    },
    counts,
    bigDomains: big.rows.map((r) => r.name),
    password: PASSWORD,
    passwordHash: hash.rows[0].password_hash,
    logins: { operator: 'ops@bench.test', reseller: 'reseller1@bench.test', customer: 'customer1@bench.test' },
    resellerKey: key,
    seconds: 0,
  };
}

/** A database to bench on: the given URL (already seeded, kept) or a fresh one seeded now. */
export async function benchDatabase(opts: {
  databaseUrl?: string;
  adminUrl?: string;
  keep?: boolean;
  size?: SeedSize;
  poolSize?: number;
  log?: (s: string) => void;
}) {
  const log = opts.log ?? console.log;
  if (opts.databaseUrl) {
    const db = createDb(opts.databaseUrl, opts.poolSize ?? 4);
    try {
      const seeded = await describeSeeded(db);
      log(`using ${new URL(opts.databaseUrl).pathname.slice(1)} as seeded (${seeded.counts.mailboxes.toLocaleString('en')} mailboxes); kept afterwards`);
      return { name: new URL(opts.databaseUrl).pathname.slice(1), url: opts.databaseUrl, db, seeded, close: () => db.destroy() };
    } catch (err) {
      await db.destroy();
      throw err;
    }
  }
  const t0 = performance.now();
  const fresh = await freshDatabase({ adminUrl: opts.adminUrl, keep: opts.keep, poolSize: opts.poolSize });
  try {
    const seeded = await seedLarge(fresh.db, opts.size ?? LARGE);
    log(
      `seeded ${fresh.name}: ${seeded.counts.customers.toLocaleString('en')} customers, ${seeded.counts.domains.toLocaleString('en')} domains, ` +
        `${seeded.counts.mailboxes.toLocaleString('en')} mailboxes in ${((performance.now() - t0) / 1000).toFixed(1)} s` +
        (opts.keep ? ' (kept: --keep-db)' : ''),
    );
    return { ...fresh, seeded };
  } catch (err) {
    await fresh.close().catch(() => {});
    throw err;
  }
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'admin-url': { type: 'string', default: DEFAULT_ADMIN_URL },
      resellers: { type: 'string', default: String(LARGE.resellers) },
      customers: { type: 'string', default: String(LARGE.customers) },
      domains: { type: 'string', default: String(LARGE.domains) },
      mailboxes: { type: 'string', default: String(LARGE.mailboxes) },
      'big-domains': { type: 'string', default: String(LARGE.bigDomains) },
      'big-size': { type: 'string', default: String(LARGE.bigDomainSize) },
      drop: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(`usage: npx tsx bench/seed-large.ts [NAME] [--drop] [--admin-url URL]
  [--resellers 2] [--customers 10000] [--domains 10000] [--mailboxes 100000] [--big-domains 3] [--big-size 10000]
NAME must not exist yet (default mailpanel_large_<random>). The database is kept unless --drop.`);
    return;
  }
  const int = (k: keyof typeof values) => {
    const n = Number(values[k]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${k} must be a non-negative integer`);
    return n;
  };
  const size: SeedSize = {
    resellers: int('resellers'),
    customers: int('customers'),
    domains: int('domains'),
    mailboxes: int('mailboxes'),
    bigDomains: int('big-domains'),
    bigDomainSize: int('big-size'),
  };
  // Output piped into `head` and closed early must not kill this before --drop has dropped.
  process.stdout.on('error', () => {});
  const t0 = performance.now();
  const fresh = await freshDatabase({
    name: positionals[0] ?? `mailpanel_large_${randomBytes(3).toString('hex')}`,
    adminUrl: values['admin-url'],
    keep: !values.drop,
  });
  try {
    const tMigrated = performance.now();
    const seeded = await seedLarge(fresh.db, size);
    const total = (performance.now() - t0) / 1000;
    console.log(
      `database ${fresh.name}: created and migrated in ${((tMigrated - t0) / 1000).toFixed(1)} s, seeded in ${seeded.seconds.toFixed(1)} s (${total.toFixed(1)} s in all)`,
    );
    console.log(
      `  ${Object.entries(seeded.counts)
        .map(([k, v]) => `${k} ${v.toLocaleString('en')}`)
        .join(', ')}`,
    );
    console.log(`  big domains: ${seeded.bigDomains.join(', ')} (${size.bigDomainSize.toLocaleString('en')} mailboxes each)`);
    console.log(`  logins (password ${PASSWORD}): ${Object.values(seeded.logins).join(', ')}; every mailbox has the same password`);
    if (values.drop) console.log('  dropped again (--drop)');
    else {
      console.log(`  reseller 1 API key: ${seeded.resellerKey}`);
      console.log(`  bench on it: --database-url ${fresh.url}`);
      console.log(`  drop it:     psql ${values['admin-url']} -c 'DROP DATABASE ${fresh.name}'`);
    }
  } finally {
    await fresh.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
