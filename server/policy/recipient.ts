import { domainToASCII } from 'node:url';

// Postfix hands over the envelope recipient as the client wrote it; our mailboxes are stored
// lowercase, in ASCII (punycode) form, and without an address extension.
const RECIPIENT_DELIMITER = '+';
const NON_ASCII = /[^\x00-\x7f]/;

/** The mailbox address a recipient is delivered to, in the form stored in mailboxes.address; null when it cannot be ours. */
export function mailboxAddressOf(recipient: string): string | null {
  const at = recipient.lastIndexOf('@');
  if (at <= 0 || at === recipient.length - 1) return null;
  let local = recipient.slice(0, at).toLowerCase();
  let domain = recipient.slice(at + 1).toLowerCase();
  const plus = local.indexOf(RECIPIENT_DELIMITER);
  if (plus === 0) return null;
  if (plus > 0) local = local.slice(0, plus);
  if (NON_ASCII.test(domain)) {
    domain = domainToASCII(domain);
    if (!domain) return null;
  }
  return `${local}@${domain}`;
}
