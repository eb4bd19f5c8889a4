// What follows every usage write, from a scan or from Dovecot's feed: level changes are logged, the
// the written mailboxes go through alert evaluation (warnings queued), and drift between the disk and
// Dovecot's count asks Dovecot to recount. One path, so a figure from either source warns alike.
import type { Logger } from 'pino';
import type { Db } from '../../../db/database.js';
import type { Queues } from '../../../jobs/queue/queues.js';
import { driftDetected } from '../../platform/metrics.js';
import { evaluateAndQueue } from '../alerts/evaluate.js';
import type { WriteOutcome } from './store.js';

export interface AfterWriteDeps {
  db: Db;
  queues: Queues;
  /** The storage node of the worker that scans: drift is only ever found by a scan on that node. */
  node: string;
  logger: Logger;
  now: () => Date;
}

export type AfterWrite = (outcome: WriteOutcome) => Promise<void>;

export function afterUsageWrite({ db, queues, node, logger, now }: AfterWriteDeps): AfterWrite {
  return async ({ written, changes, drifted }) => {
    // A first measurement is no change of level.
    for (const c of changes) if (c.from !== null) logger.info({ mailboxId: c.mailboxId, from: c.from, to: c.to }, 'quota level changed');
    if (written.length) await evaluateAndQueue(db, queues, written, now());
    if (drifted.length) {
      driftDetected.inc(drifted.length);
      for (const d of drifted) logger.warn({ mailboxId: d.mailboxId, driftBytes: d.bytes }, 'disk and Dovecot disagree: asking Dovecot to recount');
      // The recount runs on the mailbox's node, beside Dovecot (jobs/handlers/quota-recalc.ts).
      await queues.enqueueMany(
        'quota-recalc',
        drifted.map((d) => ({ mailboxId: d.mailboxId })),
        { node },
      );
    }
  };
}
