import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

// int8 (bigint, bigserial, count(*)) as JS numbers: every id and byte count we store is below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// bigint[] (a plan's upgrade sizes) likewise.
const int8Array = pg.types.getTypeParser(1016 as never) as (v: string) => (string | number)[];
pg.types.setTypeParser(1016 as never, (v: string) => int8Array(v).map(Number));

export type Db = Kysely<Database>;

/** Where pool errors go; db/ knows no logger of its own (see server/platform/logging.ts logConnection). */
export interface DbErrorLog {
  warn(obj: object, msg: string): void;
}

export function createDb(databaseUrl: string, max = 10, log?: DbErrorLog): Db {
  // A database that stops answering must fail requests (503), not hang them.
  const pool = new pg.Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: 5000, query_timeout: 30_000 });
  // An idle client dropped by a database restart must not crash the process; the next query reconnects.
  pool.on('error', (err) => log?.warn({ err, connection: 'PostgreSQL pool' }, 'PostgreSQL: idle connection lost; the next query reconnects'));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Runs `fn` in a transaction, or in the caller's when `db` already is one, so operations compose. */
export function inTransaction<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}
