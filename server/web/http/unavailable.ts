// Connection-level failures of PostgreSQL or Redis: the request should get 503, not 500.
const CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08003', '08006', '53300']);

export function isDatabaseDown(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (e?.code && CODES.has(e.code)) return true;
  const msg = e?.message ?? '';
  if ((err as { name?: string })?.name === 'MaxRetriesPerRequestError') return true;
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Command timed out|Stream isn't writeable|Connection is closed|Reached the max retries/i.test(
    msg,
  );
}

/**
 * PostgreSQL refusing text (a NUL byte, an invalid sequence): bad input that slipped past a schema,
 * answered 400 rather than a 500 with a stack trace.
 */
export function isBadText(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === '22021' || code === '22P05' || code === '54000';
}
