import { domainToASCII } from 'node:url';

// Postfix hands over the envelope recipient as the client wrote it, and delivers it after its own
// canonicalisation (trivial-rewrite and the virtual maps): a source route is dropped, quotes around
// the local part are removed, trailing dots of the domain are stripped, and lookups ignore case.
// Our mailboxes are stored lowercase, in ASCII (punycode) form, without an address extension. Every
// spelling that reaches a mailbox must be judged as that mailbox, or a full one could be reached by
// spelling it differently (and Dovecot would then bounce the message: backscatter).
const RECIPIENT_DELIMITER = '+';
const NON_ASCII = /[^\x00-\x7f]/;

/** `"in\fo"` → `info`: RFC 5321 quoted-string, as Postfix unquotes it; null when not a quoted string. */
function unquote(local: string): string | null {
  if (local.length < 2 || !local.startsWith('"') || !local.endsWith('"')) return null;
  return local.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** The mailbox address a recipient is delivered to, in the form stored in mailboxes.address; null when it cannot be ours. */
export function mailboxAddressOf(recipient: string): string | null {
  let address = recipient.trim();
  // An RFC 5321 source route (@relay1,@relay2:user@domain) is ignored by Postfix.
  if (address.startsWith('@')) {
    const colon = address.indexOf(':');
    if (colon < 0) return null;
    address = address.slice(colon + 1);
  }
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return null;
  let local = address.slice(0, at);
  let domain = address
    .slice(at + 1)
    .toLowerCase()
    .replace(/\.+$/, '');
  if (local.startsWith('"')) {
    const plain = unquote(local);
    if (plain === null) return null;
    local = plain;
  }
  local = local.toLowerCase();
  if (!domain) return null;
  const plus = local.indexOf(RECIPIENT_DELIMITER);
  if (plus === 0) return null;
  if (plus > 0) local = local.slice(0, plus);
  if (NON_ASCII.test(domain)) {
    domain = domainToASCII(domain);
    if (!domain) return null;
  }
  return `${local}@${domain}`;
}
