import type { EventEmitter } from 'node:events';
import type { Logger, LoggerOptions } from 'pino';

// Never log credentials: headers that carry them and any body field that could hold one.
export const redactPaths = {
  paths: [
    'req.headers.authorization',
    'req.headers.cookie',
    'res.headers["set-cookie"]',
    '*.password',
    '*.passwordHash',
    '*.password_hash',
    '*.key',
    '*.token',
  ],
  censor: '[redacted]',
};

// Query values are kept only for these keys; any other (a search, a token in a link, a `next`) is
// masked, since a query string can carry anything a user typed or a link carried.
const PLAIN_QUERY_KEYS = new Set(['page', 'sort', 'order', 'dir', 'limit', 'offset', 'level', 'notice', 'customer']);

/** One-time tokens travel in some paths (setup and reset links) and queries: logs keep only their shape. */
export function maskUrl(url: string): string {
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).replace(/^\/(setup|reset)\/[^/?#]+/, '/$1/[redacted]');
  if (q < 0) return path;
  const masked = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq < 0 ? pair : pair.slice(0, eq);
      return eq < 0 || PLAIN_QUERY_KEYS.has(key) ? pair : `${key}=[redacted]`;
    })
    .join('&');
  return `${path}?${masked}`;
}

/**
 * Logs the connection errors of a client that reconnects by itself (ioredis, a pg pool, a BullMQ queue):
 * the first error of an outage at warn, with its stack, and the recovery at info, so that an outage is
 * seen once rather than every retry, and never swallowed.
 */
export function logConnection(client: EventEmitter, logger: Pick<Logger, 'warn' | 'info'> | undefined, what: string, recoveredOn?: string): void {
  let down = false;
  client.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger?.warn({ err, connection: what }, `${what}: connection error; retrying`);
  });
  if (recoveredOn) {
    client.on(recoveredOn, () => {
      if (!down) return;
      down = false;
      logger?.info({ connection: what }, `${what}: connected again`);
    });
  }
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: redactPaths,
    serializers: {
      req: (req: { method?: string; url?: string; ip?: string }) => ({ method: req.method, url: maskUrl(req.url ?? ''), remoteAddress: req.ip }),
    },
  };
}
