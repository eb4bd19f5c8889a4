// PostgreSQL's error codes that callers act on, by name.

const codeOf = (err: unknown) => (err as { code?: string } | null)?.code;

/** 23505: a UNIQUE constraint refused the row (a name or address already taken, or a race lost). */
export const isUniqueViolation = (err: unknown) => codeOf(err) === '23505';

/** 42P04: CREATE DATABASE of a database that exists. */
export const isDuplicateDatabase = (err: unknown) => codeOf(err) === '42P04';
