// Pure: the events a webhook can subscribe to, and what a usage level change emits.
import type { Level } from '../quota.js';

export const WEBHOOK_EVENTS = [
  'quota.level_changed',
  'quota.full',
  'quota.recovered',
  'mailbox.created',
  'mailbox.updated',
  'mailbox.deleted',
  'mailbox.restored',
  'space_request.created',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/**
 * A level change of a measured mailbox: always level_changed (old and new level), and full when it
 * becomes full, recovered when it leaves full. A first measurement (from null) is no change.
 */
export function levelEvents(from: Level | null, to: Level): WebhookEvent[] {
  if (from === null || from === to) return [];
  const out: WebhookEvent[] = ['quota.level_changed'];
  if (to === 'full') out.push('quota.full');
  if (from === 'full') out.push('quota.recovered');
  return out;
}

/** The body of a delivery, per the Standard Webhooks convention: type, timestamp, data. */
export function webhookBody(type: string, occurredAt: Date, data: Record<string, unknown>): string {
  return JSON.stringify({ type, timestamp: occurredAt.toISOString(), data });
}
