import type { Checked } from './address.js';

// Pure checks for free-text fields: names may hold any printable text, never a line break or control character.
const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTACT_EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/** The longest names and addresses the panel keeps; forms carry them as maxlength, services enforce them. */
export const MAX = { name: 200, shortName: 100, email: 254 } as const;

export function checkName(input: string, what = 'The name', max: number = MAX.name): Checked<string> {
  const value = input.trim();
  if (!value) return { ok: false, message: `${what} is required.` };
  if (value.length > max) return { ok: false, message: `${what} may be at most ${max} characters long.` };
  if (CONTROL.test(input)) return { ok: false, message: `${what} may not contain line breaks or control characters.` };
  return { ok: true, value };
}

export function checkContactEmail(input: string): Checked<string> {
  const value = input.trim();
  if (value.length > MAX.email || !CONTACT_EMAIL.test(value)) return { ok: false, message: 'Enter a valid email address, like name@example.com.' };
  return { ok: true, value: value.toLowerCase() };
}

export const LANGUAGES = ['en', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];
