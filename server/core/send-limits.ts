// Send limits: how much a mailbox may send through submission, and the words Postfix relays when it
// may not. Messages per hour and per day are counted over sliding windows (the policy service keeps
// the log in Redis); recipients per message are counted within one SMTP transaction.

export type SendLimitKind = 'perHour' | 'perDay' | 'recipientsPerMessage';
export const SEND_LIMIT_KINDS: readonly SendLimitKind[] = ['perHour', 'perDay', 'recipientsPerMessage'];

/** null: no limit of that kind. */
export interface SendLimits {
  perHour: number | null;
  perDay: number | null;
  recipientsPerMessage: number | null;
}

export const NO_SEND_LIMITS: SendLimits = { perHour: null, perDay: null, recipientsPerMessage: null };
/** Highest figure accepted for any limit (beyond it a limit means nothing). */
export const MAX_SEND_LIMIT = 1_000_000;
export const HOUR_MS = 3600_000;
export const DAY_MS = 24 * HOUR_MS;

/** A mailbox's own limits, when it has them, replace its plan's as a whole. */
export function effectiveSendLimits(own: SendLimits | null, plan: SendLimits | null): SendLimits {
  return own ?? plan ?? NO_SEND_LIMITS;
}

/** Whether any message must be counted (a recipient limit alone needs no counter). */
export function countsMessages(l: SendLimits): boolean {
  return l.perHour !== null || l.perDay !== null;
}

/** The first figure that is not a whole number from 1 to MAX_SEND_LIMIT (plan and mailbox alike), or null. */
export function sendLimitProblem(l: Partial<SendLimits> | null): { field: SendLimitKind; message: string } | null {
  for (const kind of SEND_LIMIT_KINDS) {
    const v = l?.[kind];
    if (v !== undefined && v !== null && (!Number.isInteger(v) || v < 1 || v > MAX_SEND_LIMIT))
      return { field: kind, message: 'Enter a whole number from 1 to {max}, or leave it empty for no limit.' };
  }
  return null;
}

/**
 * The reply for a message or recipient over a limit. 4xx throughout: the sender's client keeps the
 * message and tries again, so nothing is lost; a recipient over the per-message limit gets RFC 5321's
 * "too many recipients" (452), which clients answer by sending the rest in another transaction.
 */
export function limitReply(kind: SendLimitKind, limit: number): string {
  switch (kind) {
    case 'perHour':
      return `450 4.7.1 Sending limit reached: this mailbox may send ${limit} messages an hour. The message was not sent; try again later`;
    case 'perDay':
      return `450 4.7.1 Sending limit reached: this mailbox may send ${limit} messages a day. The message was not sent; try again later`;
    case 'recipientsPerMessage':
      return `452 4.5.3 Too many recipients: this mailbox may send a message to ${limit} recipients at most; send to the others in another message`;
  }
}

/** Redis down and SEND_LIMITS_REDIS_DOWN=closed: the sender tries again later. */
export const LIMITS_UNAVAILABLE_REPLY = '451 4.3.0 Sending limits cannot be checked right now; try again in a few minutes';

/** Reads limits from a stored JSON object, dropping what is not a positive whole number. */
export function sendLimitsOf(raw: unknown): SendLimits | null {
  if (raw === null || typeof raw !== 'object') return null;
  const o = raw as Record<string, unknown>;
  const one = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null);
  return { perHour: one(o.perHour), perDay: one(o.perDay), recipientsPerMessage: one(o.recipientsPerMessage) };
}
