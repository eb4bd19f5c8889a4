import { domainToASCII, domainToUnicode } from 'node:url';
import type { Text } from './message.js';

// Pure rules for mailbox addresses; messages name the rule that was broken.
export type Checked<T> = { ok: true; value: T } | { ok: false; message: Text };

const LOCAL_PART = /^[a-z0-9._-]+$/;
const ASCII_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
// Characters that are never part of a host name and must not reach IDNA mapping (which could fold them away).
const FORBIDDEN_IN_DOMAIN = /[\s/\\%@:?#[\]\u0000-\u001f\u007f]/;

export function checkLocalPart(input: string): Checked<string> {
  const value = input.trim().toLowerCase();
  if (value.length === 0) return { ok: false, message: 'The local part (before the @) is required.' };
  if (Buffer.byteLength(value, 'utf8') > 64) return { ok: false, message: 'The local part may be at most 64 characters long.' };
  if (!LOCAL_PART.test(value)) return { ok: false, message: 'The local part may contain only letters a-z, digits, ".", "-" and "_".' };
  if (value.startsWith('.') || value.endsWith('.')) return { ok: false, message: 'The local part may not start or end with a dot.' };
  if (value.includes('..')) return { ok: false, message: 'The local part may not contain two dots in a row.' };
  return { ok: true, value };
}

/** Accepts a domain in Unicode or ASCII form and returns its ASCII (punycode) form. */
export function checkDomain(input: string): Checked<string> {
  const raw = input.trim();
  if (raw.length === 0) return { ok: false, message: 'The domain name is required.' };
  if (FORBIDDEN_IN_DOMAIN.test(raw)) return { ok: false, message: 'The domain name may contain only letters, digits, hyphens and dots.' };
  if (raw.endsWith('.')) return { ok: false, message: 'The domain name may not end with a dot.' };
  const ascii = domainToASCII(raw.toLowerCase());
  if (!ascii) return { ok: false, message: 'The domain name is not a valid (internationalised) domain name.' };
  if (ascii.length > 253) return { ok: false, message: 'The domain name may be at most 253 characters long.' };
  const labels = ascii.split('.');
  if (labels.length < 2) return { ok: false, message: 'The domain name needs at least two labels, like example.com.' };
  for (const label of labels) {
    if (label.length === 0) return { ok: false, message: 'The domain name may not contain empty labels (two dots in a row).' };
    if (label.length > 63) return { ok: false, message: 'Each label of the domain name may be at most 63 characters long.' };
    if (!ASCII_LABEL.test(label)) return { ok: false, message: 'Domain labels may contain only letters, digits and inner hyphens.' };
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1])) return { ok: false, message: 'The top-level domain may not be all digits.' };
  return { ok: true, value: ascii };
}

export function checkAddress(input: string): Checked<{ localPart: string; domain: string; address: string }> {
  const at = input.lastIndexOf('@');
  if (at < 0) return { ok: false, message: 'An address needs an @ between local part and domain.' };
  const local = checkLocalPart(input.slice(0, at));
  if (!local.ok) return local;
  const domain = checkDomain(input.slice(at + 1));
  if (!domain.ok) return domain;
  return { ok: true, value: { localPart: local.value, domain: domain.value, address: `${local.value}@${domain.value}` } };
}

/**
 * The ASCII form of a search typed in Unicode ("müller" finds xn--mller-kva.de), or undefined when it
 * is ASCII already or no domain text at all. Punycode encodes whole labels, so part of a label only
 * matches in ASCII.
 */
export function asciiSearch(text: string): string | undefined {
  if (/^[\x00-\x7f]*$/.test(text) || FORBIDDEN_IN_DOMAIN.test(text)) return undefined;
  return domainToASCII(text.toLowerCase()) || undefined;
}

// A list page shows one domain fifty times; IDNA decoding is the costly part of displaying it.
const displayed = new Map<string, string>();

export function displayDomain(ascii: string): string {
  let shown = displayed.get(ascii);
  if (shown === undefined) {
    shown = domainToUnicode(ascii) || ascii;
    if (displayed.size >= 10_000) displayed.clear();
    displayed.set(ascii, shown);
  }
  return shown;
}

export function displayAddress(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? address : `${address.slice(0, at)}@${displayDomain(address.slice(at + 1))}`;
}

/** A maildir path relative to MAIL_ROOT; both parts are already validated, so it cannot climb out. */
export function maildirFor(localPart: string, domain: string): string {
  return `${domain}/${localPart}`;
}
