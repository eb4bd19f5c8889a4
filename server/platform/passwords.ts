import type { Algorithm } from '@node-rs/argon2';
import { createRequire } from 'node:module';
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { msg, type Text } from '../core/message.js';

// Dovecot 2.3 verifies "{ARGON2ID}$argon2id$v=19$m=..,t=..,p=.." (libsodium's parameter order, which
// @node-rs/argon2 writes). Panel logins use the same format, so there is one way to hash a password.
const SCHEME = '{ARGON2ID}';
const OPTIONS = {
  algorithm: 2 as Algorithm.Argon2id, // const enum, not importable as a value under verbatimModuleSyntax
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
};

// Loaded at first use: the scan worker and the policy service never hash, and the addon costs ~10 MB.
let argon2: Promise<typeof import('@node-rs/argon2')> | undefined;
const loadArgon2 = () => (argon2 ??= import('@node-rs/argon2'));

export async function hashPassword(password: string): Promise<string> {
  return SCHEME + (await (await loadArgon2()).hash(password, OPTIONS));
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  if (!stored.startsWith(SCHEME)) return false;
  try {
    return await (await loadArgon2()).verify(stored.slice(SCHEME.length), password);
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

// Strength is judged by zxcvbn-ts (Dropbox's estimator, maintained as TypeScript): it knows common
// passwords, words (English and German), names, dates, keyboard walks and repeats, and is told the
// account's own address so "the address itself" counts as guessable. Score 3 of 4 ("safely
// unguessable") is required; loaded once, on the first check.
let estimator: ZxcvbnFactory | undefined;

/**
 * The dictionaries take ~0.4 s and ~40 MB to load: only a process that judges a new password pays
 * for them (required on first use, not imported, so the policy service and scanners never load them).
 */
function loadEstimator(): ZxcvbnFactory {
  const require = createRequire(import.meta.url);
  const { ZxcvbnFactory: Factory } = require('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
  const common = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
  const en = require('@zxcvbn-ts/language-en') as typeof import('@zxcvbn-ts/language-en');
  const de = require('@zxcvbn-ts/language-de') as typeof import('@zxcvbn-ts/language-de');
  // Two l33t substitutions at most: "p@ssw0rd" is still caught, and a check costs ~7 ms, not ~25.
  return new Factory({
    dictionary: { ...common.dictionary, ...en.dictionary, ...de.dictionary },
    graphs: common.adjacencyGraphs,
    translations: en.translations,
    l33tMaxSubstitutions: 2,
  });
}

function strength(password: string, related: string[]): number {
  estimator ??= loadEstimator();
  // Long passwords are cut for the estimate (its cost grows with length); 100 characters are plenty.
  return estimator.check(password.slice(0, 100), related.filter(Boolean)).score;
}
export const MIN_STRENGTH = 3;

/**
 * Why a new password is refused, or null; `related` are the account's own names (address, login).
 * `estimate: false` applies the cheap rules only: a CSV upload checks thousands of rows in a web
 * request, and its job estimates each row's strength when it creates the mailbox.
 */
export function passwordProblem(password: string, minLength: number, related: string[] = [], opts: { estimate?: boolean } = {}): Text | null {
  if (password.length < minLength) return msg('The password must be at least {min} characters long.', { min: minLength });
  if (password.length > 1024) return 'The password may be at most 1024 characters long.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(password)) return 'The password may not contain control characters.';
  if (opts.estimate === false) return null;
  const parts = related.flatMap((r) => [r, ...r.split(/[@.]/)]).filter((r) => r.length >= 3);
  if (strength(password, parts) < MIN_STRENGTH)
    return 'This password is too easy to guess (a common word or password, a name, a date, a pattern or repeat, or the address itself). Use a longer one, or a generated one.';
  return null;
}

const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export function generatePassword(length = 16): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('');
}
