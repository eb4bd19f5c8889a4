import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { MailboxImportsTable } from './tables/imports.js';
import type { WebhookDeliveriesTable, WebhookEventsTable, WebhooksTable } from './tables/webhooks.js';
import type { SpaceRequestsTable } from './tables/space-requests.js';
import type { AppPasswordsTable } from './tables/app-passwords.js';
import type { SendLimitBreachesTable } from './tables/send-limits.js';
import type { SendLimits } from '../server/core/send-limits.js';
import type { AlertKind, AlertRecipient } from '../server/core/alerts/decide.js';

// Columns with a database default: optional on insert.
type Timestamp = ColumnType<Date, Date | undefined, Date>;
// bigint columns come back from pg as strings; the pool's type parser turns them into numbers (all fit in 2^53).
type Int8 = ColumnType<number, number | bigint | undefined, number | bigint>;
type Id = Generated<number>;

export interface ResellersTable {
  id: Id;
  name: string;
  contact_email: string | null;
  active: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PlansTable {
  id: Id;
  reseller_id: number;
  name: string;
  default_quota_bytes: Int8;
  max_quota_bytes: number | null;
  max_mailboxes: number | null;
  max_storage_bytes: number | null;
  warn_percents: Generated<number[]>;
  warn_min_free_bytes: number | null;
  alert_recipients: Generated<string[]>;
  reminder_days: Generated<number>;
  alert_texts: unknown;
  /** How long a deleted mailbox stays restorable (days). */
  deleted_retention_days: Generated<number>;
  /** Saving into Trash may exceed the quota by this share of it, so a full mailbox can still be cleaned up. */
  trash_room_percent: Generated<number>;
  /** Whether Junk gets the same room. */
  junk_room: Generated<boolean>;
  /** Automatic purge: what was moved to Trash (Junk) more than this many days ago goes; null = off. */
  trash_purge_days: number | null;
  junk_purge_days: number | null;
  /** The quotas a customer may ask for (requests for more space); empty: none are offered. */
  upgrade_sizes: ColumnType<number[], number[] | undefined, number[]>;
  /** A request up to this size is approved without the reseller; null: each is decided by hand. */
  auto_approve_bytes: number | null;
  /** Send limits for the plan's mailboxes (null: no limit); see server/core/send-limits.ts. */
  send_per_hour: number | null;
  send_per_day: number | null;
  send_recipients: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CustomersTable {
  id: Id;
  reseller_id: number;
  plan_id: number | null;
  name: string;
  contact_email: string;
  language: Generated<string>;
  active: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DomainsTable {
  id: Id;
  customer_id: number;
  name: string;
  node: Generated<string>;
  active: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Kept by triggers on mailboxes; never written by the app. */
  mailbox_count: ColumnType<number, never, never>;
}

export interface MailboxesTable {
  id: Id;
  domain_id: number;
  local_part: string;
  address: string;
  password_hash: string;
  quota_bytes: Int8;
  imap_enabled: Generated<boolean>;
  pop3_enabled: Generated<boolean>;
  active: Generated<boolean>;
  maildir: string;
  node: Generated<string>;
  /** Whether the plan's automatic purge of Trash and Junk applies (a customer may opt out). */
  auto_purge: Generated<boolean>;
  /** SMTP submission (sending with the mailbox's credentials) and ManageSieve, beside IMAP and POP3. */
  smtp_enabled: Generated<boolean>;
  sieve_enabled: Generated<boolean>;
  /** Suspensions apart from `active` (which stops everything): no login / no mail in / no sending. */
  suspend_login: Generated<boolean>;
  suspend_incoming: Generated<boolean>;
  suspend_outgoing: Generated<boolean>;
  /** Where the main password signs in; an app password may still sign in elsewhere. */
  main_password_protocols: Generated<string[]>;
  /** The mailbox's own send limits over its plan's ({perHour, perDay, recipientsPerMessage}); null: the plan's. */
  send_limits: ColumnType<SendLimits | null, string | null | undefined, string | null>;
  /** Sending was suspended by the send limits: only staff lift it. */
  outgoing_locked: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Copies of mailbox_usage.used_bytes and .level kept by a trigger, for indexes; never written by the app. */
  used_bytes: ColumnType<number | null, never, never>;
  usage_level: ColumnType<string | null, never, never>;
}

export interface MailboxUsageTable {
  mailbox_id: number;
  used_bytes: Int8;
  messages: Int8;
  scanned_at: Date;
  level: Generated<string>;
  /** The scanner's state (JSON text, see server/core/maildir/scan-state.ts). */
  scan_state: string | null;
  full_scanned_at: Date | null;
  level_changed_at: Date | null;
  /** Which measurement the current figure is: a scan of the disk or Dovecot's own count (the feed). */
  source: Generated<'scan' | 'dovecot'>;
  /** What the last scan found on the disk, whichever figure is current. */
  disk_bytes: Int8 | null;
  disk_messages: Int8 | null;
  disk_at: Date | null;
  /** Disk minus Dovecot's count at the last scan that found them apart by more than the threshold. */
  drift_bytes: Int8 | null;
  drift_at: Date | null;
}

export interface MailboxSessionsTable {
  id_hash: string;
  mailbox_id: number;
  csrf_token: string;
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
}

export type CleanupStatus = 'preview' | 'queued' | 'running' | 'done' | 'failed';

export interface CleanupsTable {
  id: Id;
  mailbox_id: number;
  folder: string;
  older_than_days: number | null;
  /** The previewed messages (IMAP UIDs) and their folder's UIDVALIDITY: the run deletes exactly these. */
  uid_set: string | null;
  uidvalidity: Int8 | null;
  status: CleanupStatus;
  preview_messages: number;
  preview_bytes: Int8;
  /** What the run deleted. */
  messages: number | null;
  bytes: Int8 | null;
  error: string | null;
  requested_by: string | null;
  created_at: Generated<Date>;
  finished_at: Date | null;
}

export type DeletedState = 'moving' | 'kept' | 'restoring' | 'purging';

/** Who may send, receive and sign in, as a deleted mailbox had it. */
export interface DeletedAccess {
  smtp_enabled: boolean;
  sieve_enabled: boolean;
  suspend_login: boolean;
  suspend_incoming: boolean;
  suspend_outgoing: boolean;
  /** Absent in records kept before it existed. */
  outgoing_locked?: boolean;
  main_password_protocols: string[];
  auto_purge: boolean;
  send_limits: SendLimits | null;
}

export interface DeletedMailboxesTable {
  id: Generated<number>;
  customer_id: number;
  domain_name: string;
  local_part: string;
  address: string;
  password_hash: string;
  quota_bytes: Int8;
  imap_enabled: boolean;
  pop3_enabled: boolean;
  active: boolean;
  node: string;
  maildir: string;
  used_bytes: Int8 | null;
  /** Its access settings when deleted (written by moveToDeleted, db/repositories/deleted-mailboxes.ts); null before they were kept. */
  access: ColumnType<DeletedAccess | null, never, never>;
  created_at: Date;
  deleted_at: Generated<Date>;
  purge_after: Date;
  state: Generated<DeletedState>;
}

/** Written by Dovecot's quota_clone plugin through its dict service (deploy/dovecot). */
export interface DovecotQuotaTable {
  username: string;
  bytes: Int8;
  messages: Int8;
  updated_at: Generated<Date>;
}

export interface UsageSamplesTable {
  mailbox_id: number;
  at: Date;
  used_bytes: Int8;
  messages: Int8;
}

export type UserRole = 'operator' | 'reseller' | 'customer';

export interface UsersTable {
  id: Id;
  email: string;
  password_hash: string;
  role: UserRole;
  reseller_id: number | null;
  customer_id: number | null;
  active: Generated<boolean>;
  created_at: Timestamp;
  last_login_at: Date | null;
  totp_secret: string | null;
  totp_enabled: Generated<boolean>;
  totp_last_step: number | null;
}

export interface PasswordResetsTable {
  token_hash: string;
  user_id: number;
  kind: 'staff' | 'email';
  created_at: Generated<Date>;
  expires_at: Date;
  used_at: Date | null;
}

export interface SessionsTable {
  id_hash: string;
  user_id: number;
  csrf_token: string;
  acting_customer_id: number | null;
  pending_totp: Generated<boolean>;
  created_at: Timestamp;
  last_seen_at: Timestamp;
}

export interface ApiKeysTable {
  id: Id;
  prefix: string;
  secret_hash: string;
  name: string;
  reseller_id: number | null;
  customer_id: number | null;
  domain_id: number | null;
  read_only: Generated<boolean>;
  created_at: Timestamp;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  allowed_cidrs: string[] | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Timestamp;
  actor: string;
  actor_user_id: number | null;
  actor_key_id: number | null;
  ip: string | null;
  reseller_id: number | null;
  customer_id: number | null;
  action: string;
  object_type: string;
  object_id: string;
  before: unknown;
  after: unknown;
}

export interface SetupTokensTable {
  token_hash: string;
  created_at: Timestamp;
  expires_at: Date;
  used_at: Date | null;
}

export interface AlertStateTable {
  mailbox_id: number;
  episode: Generated<number>;
  warned: Generated<string[]>;
  last_alert_at: Date | null;
}

export interface AlertsTable {
  id: Generated<number>;
  mailbox_id: number;
  episode: number;
  kind: AlertKind;
  level: string;
  used_bytes: Int8;
  quota_bytes: Int8;
  created_at: Date;
}

export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed';

export interface AlertDeliveriesTable {
  id: Generated<number>;
  alert_id: number;
  recipient: AlertRecipient;
  address: string;
  status: Generated<DeliveryStatus>;
  attempts: Generated<number>;
  last_error: string | null;
  sending_at: Date | null;
  sent_at: Date | null;
}

/** Written by Dovecot (last_login plugin): the latest sign-in per mailbox address and protocol. */
export interface MailboxLastLoginsTable {
  address: string;
  protocol: string;
  ip: string;
  at_epoch: number;
  at: ColumnType<Date, never, never>;
}

export interface Database {
  resellers: ResellersTable;
  plans: PlansTable;
  customers: CustomersTable;
  domains: DomainsTable;
  mailboxes: MailboxesTable;
  mailbox_usage: MailboxUsageTable;
  dovecot_quota: DovecotQuotaTable;
  deleted_mailboxes: DeletedMailboxesTable;
  cleanups: CleanupsTable;
  mailbox_sessions: MailboxSessionsTable;
  password_resets: PasswordResetsTable;
  usage_samples: UsageSamplesTable;
  alert_state: AlertStateTable;
  alerts: AlertsTable;
  alert_deliveries: AlertDeliveriesTable;
  mailbox_imports: MailboxImportsTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  setup_tokens: SetupTokensTable;
  webhooks: WebhooksTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  space_requests: SpaceRequestsTable;
  mailbox_last_logins: MailboxLastLoginsTable;
  send_limit_breaches: SendLimitBreachesTable;
  app_passwords: AppPasswordsTable;
}

export type Reseller = Selectable<ResellersTable>;
export type Plan = Selectable<PlansTable>;
export type Customer = Selectable<CustomersTable>;
export type Domain = Selectable<DomainsTable>;
export type Mailbox = Selectable<MailboxesTable>;
export type NewMailbox = Insertable<MailboxesTable>;
export type MailboxUpdate = Updateable<MailboxesTable>;
export type MailboxUsage = Selectable<MailboxUsageTable>;
export type User = Selectable<UsersTable>;
export type ApiKey = Selectable<ApiKeysTable>;
export type AuditEntry = Selectable<AuditLogTable>;
