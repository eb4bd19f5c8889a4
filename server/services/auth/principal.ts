import { AppError } from '../../platform/errors.js';

/**
 * Who is acting, and over which part of the tenant tree. Every repository query is filtered by it,
 * so a forgotten check shows up as "not found", never as another tenant's data.
 */
export interface Principal {
  /** `mailbox`: the mailbox's owner, signed in with its address and password; sees that mailbox only. */
  role: 'operator' | 'reseller' | 'customer' | 'mailbox';
  resellerId: number | null;
  customerId: number | null;
  domainId: number | null;
  /** Set for a mailbox owner: every mailbox query is narrowed to this one. */
  mailboxId?: number | null;
  readOnly: boolean;
  actor: Actor;
}

export interface Actor {
  label: string;
  userId: number | null;
  keyId: number | null;
  ip: string | null;
}

export function assertWritable(p: Principal): void {
  if (p.readOnly) throw new AppError('forbidden', 'This API key is read-only.');
}

export function assertRole(p: Principal, ...roles: Principal['role'][]): void {
  if (!roles.includes(p.role)) throw new AppError('not_found', 'Not found.');
}

export const SYSTEM_ACTOR: Actor = { label: 'system', userId: null, keyId: null, ip: null };
export const OPERATOR_SYSTEM: Principal = { role: 'operator', resellerId: null, customerId: null, domainId: null, readOnly: false, actor: SYSTEM_ACTOR };
