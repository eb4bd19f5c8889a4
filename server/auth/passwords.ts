import { type Algorithm, hash, verify } from '@node-rs/argon2';

// Dovecot 2.3 verifies "{ARGON2ID}$argon2id$v=19$m=..,t=..,p=.." (libsodium's parameter order, which
// @node-rs/argon2 writes). Panel logins use the same format, so there is one way to hash a password.
const SCHEME = '{ARGON2ID}';
const OPTIONS = { algorithm: 2 as Algorithm.Argon2id, // const enum, not importable as a value under verbatimModuleSyntax
  memoryCost: 19456, timeCost: 2, parallelism: 1 };

export async function hashPassword(password: string): Promise<string> {
  return SCHEME + (await hash(password, OPTIONS));
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  if (!stored.startsWith(SCHEME)) return false;
  try {
    return await verify(stored.slice(SCHEME.length), password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/** Spends the time a real verification would, so unknown users answer like known ones. */
export async function verifyNothing(password: string): Promise<false> {
  dummy ??= hashPassword('mailpanel-timing-equaliser');
  await verifyPassword(await dummy, password);
  return false;
}

export function passwordProblem(password: string, minLength: number): string | null {
  if (password.length < minLength) return `The password must be at least ${minLength} characters long.`;
  if (password.length > 1024) return 'The password may be at most 1024 characters long.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(password)) return 'The password may not contain control characters.';
  return null;
}

const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export function generatePassword(length = 16): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('');
}
