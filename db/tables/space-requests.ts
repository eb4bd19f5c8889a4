import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type SpaceRequestStatus = 'open' | 'approved' | 'declined' | 'withdrawn';

export interface SpaceRequestsTable {
  id: Generated<number>;
  mailbox_id: number;
  /** Copied from the mailbox's tenant path, so the reseller's queue is one index scan. */
  customer_id: number;
  reseller_id: number;
  /** The quota when it was asked for. */
  from_bytes: number;
  requested_bytes: number;
  note: Generated<string>;
  status: Generated<SpaceRequestStatus>;
  /** Who asked ("mailbox:…", "user:…", "key:…"), as the audit log names actors. */
  requested_by: string;
  /** Who decided; "auto-approve" when the plan approved it. */
  decided_by: string | null;
  /** A decline's reason, shown to the customer. */
  reason: string | null;
  created_at: Generated<Date>;
  decided_at: Timestamp | null;
  /** The status whose notices were sent; the alerts sweep queues those a lost job left untold. */
  notified: SpaceRequestStatus | null;
}
