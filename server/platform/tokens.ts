import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Tokens are high-entropy, so a plain SHA-256 is enough to store them safely. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/**
 * A CSRF token as written into a page: XORed with a fresh random pad, so no two responses carry the
 * same bytes and a compressed page cannot leak it to an attacker who reflects text into it (BREACH).
 */
export function maskToken(token: string): string {
  if (!token) return '';
  const t = Buffer.from(token);
  const pad = randomBytes(t.length);
  return `${pad.toString('base64url')}.${Buffer.from(t.map((b, i) => b ^ pad[i])).toString('base64url')}`;
}

/** The token inside a masked one, or null for anything that is not one. */
export function unmaskToken(masked: string): string | null {
  const [p, x, rest] = masked.split('.');
  if (!p || !x || rest !== undefined || p.length > 200) return null;
  const pad = Buffer.from(p, 'base64url');
  const xored = Buffer.from(x, 'base64url');
  if (pad.length === 0 || pad.length !== xored.length) return null;
  return Buffer.from(xored.map((b, i) => b ^ pad[i])).toString();
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// API keys read "mp_<prefix>_<secret>": the prefix finds the row, the secret is compared by hash.
export function newApiKey(): { key: string; prefix: string; secretHash: string } {
  const prefix = randomBytes(6).toString('hex');
  const secret = randomToken(32);
  return { key: `mp_${prefix}_${secret}`, prefix, secretHash: sha256(secret) };
}

export function parseApiKey(key: string): { prefix: string; secret: string } | null {
  const m = /^mp_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(key);
  return m ? { prefix: m[1], secret: m[2] } : null;
}
