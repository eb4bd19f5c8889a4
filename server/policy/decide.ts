import { quotaLevel } from '../core/quota.js';
import { mailboxAddressOf } from './recipient.js';

// The whole policy as one pure function: request attributes and what the cache knows in, an access(5) action out.

/** Every request attribute the service reads (here and for send limits): the parser keeps only these. */
export const REQUEST_ATTRIBUTES = ['request', 'protocol_state', 'recipient', 'size', 'sasl_username', 'client_address', 'instance'] as const;
/** A request as the service sees it: reading any other attribute is a type error, since it was not kept. */
export type PolicyRequest = Readonly<Partial<Record<(typeof REQUEST_ATTRIBUTES)[number], string>>>;

export interface MailboxQuota {
  quotaBytes: number;
  usedBytes: number;
  /** As stored by the scanner (and by quota edits): 'ok' | '80' | '90' | '95' | 'full'. */
  level: string;
  active: boolean;
}

/** 'unknown': not a mailbox of ours; 'unavailable': the cache cannot be trusted (not loaded, or the database is gone). */
export type Lookup = MailboxQuota | 'unknown' | 'unavailable';

export interface DecideOptions {
  /** The action for a full mailbox, e.g. "552 5.2.2 Mailbox full" or, to let senders retry, "452 4.2.2 Mailbox full". */
  fullReply: string;
}

export const DUNNO = 'DUNNO';
// DEFER_IF_PERMIT, not DEFER: a later restriction that rejects still wins, and a database outage never bounces mail.
export const DEFER = 'DEFER_IF_PERMIT Service temporarily unavailable';
export const DEFAULT_FULL_REPLY = '552 5.2.2 Mailbox full';

/** limit: a send limit deferred an authenticated sender's message or recipient. */
export type Outcome = 'dunno' | 'reject' | 'defer' | 'limit';

/** The mailbox address this request asks about, or null when the request needs no lookup at all. */
export function lookupAddress(attrs: PolicyRequest): string | null {
  return isRecipientCheck(attrs) ? mailboxAddressOf(attrs.recipient) : null;
}

function isRecipientCheck(attrs: PolicyRequest): attrs is PolicyRequest & { recipient: string } {
  return attrs.request === 'smtpd_access_policy' && attrs.protocol_state?.toUpperCase() === 'RCPT' && !!attrs.recipient;
}

/** Never returns OK: other restrictions (relay checks, recipient maps) must still run after us. */
export function decide(attrs: PolicyRequest, lookup: Lookup, options: DecideOptions): string {
  if (!isRecipientCheck(attrs)) return DUNNO;
  if (lookup === 'unavailable') return DEFER;
  if (lookup === 'unknown' || !lookup.active) return DUNNO;
  return isFull(lookup, declaredSize(attrs.size)) ? options.fullReply : DUNNO;
}

export function outcomeOf(action: string): Exclude<Outcome, 'limit'> {
  if (action === DUNNO) return 'dunno';
  if (action === DEFER) return 'defer';
  return 'reject';
}

function isFull(m: MailboxQuota, size: number): boolean {
  if (m.level === 'full' || quotaLevel(m.usedBytes, m.quotaBytes) === 'full') return true;
  return m.usedBytes + size > m.quotaBytes;
}

/** The SIZE the client declared at MAIL FROM; absent, empty, 0 or garbage all mean "not known". */
function declaredSize(raw: string | undefined): number {
  if (!raw || !/^\d{1,15}$/.test(raw)) return 0;
  return Number(raw);
}

/** Rejects a configured reply Postfix would not accept as an access(5) action, before the first request needs it. */
export function checkFullReply(reply: string): string {
  // The text must be words for the sender, not a bare "5.2.2" that only looks like an enhanced status code.
  const m = /^([45])\d\d(?: ([45])\.\d{1,3}\.\d{1,3})? (?!\d\.\d{1,3}\.\d{1,3}(?: |$))\S.*$/.exec(reply);
  if (!m || /[\r\n]/.test(reply)) throw new Error(`policy reply must look like "552 5.2.2 Mailbox full", got ${JSON.stringify(reply)}`);
  if (m[2] !== undefined && m[2] !== m[1]) throw new Error(`policy reply "${reply}": the enhanced status class must match the reply code`);
  return reply;
}
