// The emails a send-limit breach sends: the customer's contact (in its language) and the reseller
// (staff, in English like the panel's other notices to resellers). Plain text, with the way out.
import type { breachFacts } from '../../../db/repositories/send-limits.js';
import type { SendLimitKind } from '../../core/send-limits.js';

type Facts = NonNullable<Awaited<ReturnType<typeof breachFacts>>>;

export interface BreachNotice {
  to: string;
  recipient: 'contact' | 'reseller';
  subject: string;
  text: string;
}

const COPY = {
  en: {
    perHour: '{limit} messages an hour',
    perDay: '{limit} messages a day',
    recipientsPerMessage: '{limit} recipients per message',
    subject: '{address} reached its send limit',
    text: '{address} tried to send more than it may ({what}). Its further mail is held back, not lost: the sending program tries again later, and it goes out once the mailbox is under the limit.\n\nIf its owner did not send this mail, the password may be known to someone else: change it on the mailbox page: {url}',
    suspendedSubject: 'Sending from {address} was suspended',
    suspended:
      '{address} went over its send limit {count} times within a day ({what}), so it may no longer send. Reading and receiving mail go on.\n\nIf its owner did not send this mail, change the password first. Then lift the suspension on the mailbox page: {url}',
    suspendedCustomer:
      '{address} went over its send limit {count} times within a day ({what}), so it may no longer send. Reading and receiving mail go on.\n\nIf its owner did not send this mail, the password may be known to someone else: change it on the mailbox page ({url}), then ask your provider to lift the suspension.',
  },
  de: {
    perHour: '{limit} Nachrichten pro Stunde',
    perDay: '{limit} Nachrichten pro Tag',
    recipientsPerMessage: '{limit} Empfänger pro Nachricht',
    subject: '{address} hat sein Versandlimit erreicht',
    text: '{address} wollte mehr senden als erlaubt ({what}). Weitere Nachrichten werden zurückgehalten, nicht verworfen: das Mailprogramm versucht es später erneut, und sie gehen hinaus, sobald das Postfach wieder unter dem Limit ist.\n\nFalls der Inhaber diese Nachrichten nicht gesendet hat, kennt vielleicht jemand anderes das Passwort: Ändern Sie es auf der Seite des Postfachs: {url}',
    suspendedSubject: 'Versand von {address} gesperrt',
    suspended:
      '{address} hat sein Versandlimit innerhalb eines Tages {count}-mal überschritten ({what}) und darf deshalb nicht mehr senden. Lesen und Empfangen gehen weiter.\n\nFalls der Inhaber diese Nachrichten nicht gesendet hat, ändern Sie zuerst das Passwort. Heben Sie dann die Sperre auf der Seite des Postfachs auf: {url}',
    suspendedCustomer:
      '{address} hat sein Versandlimit innerhalb eines Tages {count}-mal überschritten ({what}) und darf deshalb nicht mehr senden. Lesen und Empfangen gehen weiter.\n\nFalls der Inhaber diese Nachrichten nicht gesendet hat, kennt vielleicht jemand anderes das Passwort: Ändern Sie es auf der Seite des Postfachs ({url}) und bitten Sie dann Ihren Anbieter, die Sperre aufzuheben.',
  },
} as const;

const fill = (text: string, vars: Record<string, string>) => text.replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? '');

export function breachNotices(
  f: Facts,
  b: { kind: SendLimitKind; limit: number },
  outcome: { suspended: boolean; count: number },
  panelUrl: string,
): BreachNotice[] {
  const one = (lang: 'en' | 'de', staff: boolean) => {
    const c = COPY[lang];
    const vars = {
      address: f.address,
      count: String(outcome.count),
      what: fill(c[b.kind], { limit: String(b.limit) }),
      url: `${panelUrl}/mailboxes/${encodeURIComponent(f.address)}`,
    };
    return outcome.suspended
      ? { subject: fill(c.suspendedSubject, vars), text: fill(staff ? c.suspended : c.suspendedCustomer, vars) }
      : { subject: fill(c.subject, vars), text: fill(c.text, vars) };
  };
  const notices: BreachNotice[] = [];
  if (f.customer_email) notices.push({ to: f.customer_email, recipient: 'contact', ...one(f.language === 'de' ? 'de' : 'en', false) });
  if (f.reseller_email) notices.push({ to: f.reseller_email, recipient: 'reseller', ...one('en', true) });
  return notices;
}
