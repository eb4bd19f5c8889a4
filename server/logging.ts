import type { LoggerOptions } from 'pino';

// Never log credentials: headers that carry them and any body field that could hold one.
export const redactPaths = {
  paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.passwordHash', '*.password_hash', '*.key', '*.token'],
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

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: redactPaths,
    serializers: {
      req: (req: { method?: string; url?: string; ip?: string }) => ({ method: req.method, url: maskUrl(req.url ?? ''), remoteAddress: req.ip }),
    },
  };
}
