import type { LoggerOptions } from 'pino';

// Never log credentials: headers that carry them and any body field that could hold one.
export const redactPaths = {
  paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.password', '*.passwordHash', '*.password_hash', '*.key', '*.token'],
  censor: '[redacted]',
};

/** One-time tokens travel in some paths (the operator setup link): logs keep only their shape. */
export const maskUrl = (url: string) => url.replace(/^\/setup\/[^/?#]+/, '/setup/[redacted]');

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: redactPaths,
    serializers: {
      req: (req: { method?: string; url?: string; ip?: string }) => ({ method: req.method, url: maskUrl(req.url ?? ''), remoteAddress: req.ip }),
    },
  };
}
