// The emails a request for more space sends: the reseller hears of a new request (and of one the plan
// approved by itself), the mailbox and the customer's contact of the answer. Plain text, in the
// customer's language (the reseller's in English, as the panel's other notices to resellers).
import type { noticeFacts } from '../../../db/repositories/space-requests.js';
import { formatBytes } from '../../core/quota.js';

type Facts = NonNullable<Awaited<ReturnType<typeof noticeFacts>>>;

export interface Notice {
  to: string;
  /** `mailbox`: into the mailbox itself, which may be full (the quota-exempt path). */
  recipient: 'mailbox' | 'contact' | 'reseller';
  subject: string;
  text: string;
}

const COPY = {
  en: {
    approvedSubject: 'More space for {address}: now {size}',
    approved: 'The request for more space for {address} was approved: it now has {size} (before: {from}). Nothing else needs to be done.',
    declinedSubject: 'Your request for more space for {address}',
    declined: 'The request for {size} for {address} was declined.\n\nReason: {reason}\n\nYou can free space yourself on the mailbox page: {url}',
  },
  de: {
    approvedSubject: 'Mehr Speicherplatz für {address}: jetzt {size}',
    approved:
      'Die Anfrage nach mehr Speicherplatz für {address} wurde angenommen: das Postfach hat jetzt {size} (vorher: {from}). Sie müssen nichts weiter tun.',
    declinedSubject: 'Ihre Anfrage nach mehr Speicherplatz für {address}',
    declined:
      'Die Anfrage nach {size} für {address} wurde abgelehnt.\n\nBegründung: {reason}\n\nSie können selbst Platz schaffen, auf der Seite des Postfachs: {url}',
  },
} as const;

const fill = (text: string, vars: Record<string, string>) => text.replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? '');

export function spaceRequestNotices(f: Facts, panelUrl: string): Notice[] {
  const lang = f.language === 'de' ? 'de' : 'en';
  const vars = {
    address: f.address,
    size: formatBytes(f.requested_bytes, lang),
    from: formatBytes(f.from_bytes, lang),
    reason: f.reason ?? '',
    url: `${panelUrl}/my`,
  };
  const toReseller = (subject: string, text: string): Notice[] => (f.reseller_email ? [{ to: f.reseller_email, recipient: 'reseller', subject, text }] : []);
  const toOwners = (subject: string, text: string): Notice[] => [
    { to: f.address, recipient: 'mailbox', subject, text },
    { to: f.customer_email, recipient: 'contact', subject, text },
  ];
  const en = { ...vars, size: formatBytes(f.requested_bytes, 'en'), from: formatBytes(f.from_bytes, 'en') };
  switch (f.status) {
    case 'open':
      return toReseller(
        `Request for more space: ${f.address} asks for ${en.size}`,
        `${f.address} (now ${en.from}) asks for ${en.size}.${f.note ? `\n\nNote: ${f.note}` : ''}\n\nApprove or decline it: ${panelUrl}/space-requests/${f.id}`,
      );
    case 'approved':
      return [
        ...toOwners(fill(COPY[lang].approvedSubject, vars), fill(COPY[lang].approved, vars)),
        // The plan approved it by itself: the reseller learns of it (billing), without anything to do.
        ...(f.decided_by === 'auto-approve'
          ? toReseller(
              `Approved automatically: ${f.address} now has ${en.size}`,
              `The plan approved the request of ${f.address} for ${en.size} (before: ${en.from}).${f.note ? `\n\nNote: ${f.note}` : ''}`,
            )
          : []),
      ];
    case 'declined':
      return toOwners(fill(COPY[lang].declinedSubject, vars), fill(COPY[lang].declined, vars));
    default:
      return [];
  }
}
