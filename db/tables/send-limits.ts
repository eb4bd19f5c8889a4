import type { ColumnType, Generated } from 'kysely';
import type { SendLimitKind } from '../../server/core/send-limits.js';

/** Each time a mailbox went over a send limit (at most once per kind and hour). */
export interface SendLimitBreachesTable {
  id: Generated<number>;
  mailbox_id: number;
  kind: SendLimitKind;
  limit_value: number;
  at: Date;
  hour: ColumnType<Date, never, never>;
  /** Whether this breach suspended the mailbox's outgoing mail. */
  suspended: Generated<boolean>;
  notified: Generated<boolean>;
}
