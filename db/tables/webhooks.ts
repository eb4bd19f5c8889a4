import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface WebhooksTable {
  id: Generated<number>;
  /** null: the operator's, receiving the events of every reseller. */
  reseller_id: number | null;
  url: string;
  events: string[];
  /** "whsec_" and the base64 key: kept to sign, shown once. */
  secret: string;
  enabled: Generated<boolean>;
  disabled_reason: string | null;
  /** Since when every delivery failed; cleared by a success. */
  failing_since: Timestamp | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface WebhookEventsTable {
  id: Generated<number>;
  type: string;
  reseller_id: number | null;
  customer_id: number | null;
  mailbox_id: number | null;
  data: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
  fanned_out: Generated<boolean>;
}

export type DeliveryStatus = 'pending' | 'retrying' | 'delivered' | 'failed';

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  /** The Standard Webhooks message id: the same on every attempt, for the receiver to drop duplicates. */
  msg_id: string;
  webhook_id: number;
  event_id: number;
  mailbox_id: number | null;
  status: Generated<DeliveryStatus>;
  attempts: Generated<number>;
  response_code: number | null;
  duration_ms: number | null;
  last_error: string | null;
  created_at: Generated<Date>;
  last_attempt_at: Timestamp | null;
  delivered_at: Timestamp | null;
}
