import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import type { JobData } from '../queue/registry.js';
import type { Principal } from '../../server/services/auth/principal.js';
import { AppError } from '../../server/platform/errors.js';
import { getDomainOr404 } from '../../server/services/domains/service.js';
import { createMailbox } from '../../server/services/mailboxes/service.js';
import { assertFits } from '../../server/services/imports/fit.js';
import { columnOf } from '../../server/services/imports/limits.js';
import * as store from '../../db/repositories/imports.js';
import { activeUser } from '../../db/repositories/users.js';
import type { GeneratedPassword, ReportEntry } from '../../db/tables/imports.js';

/** How long an import waits before trying again while another import of its customer runs. */
const WAIT_TURN_MS = 2000;
export type ImportJobData = JobData['import-mailboxes'];

const PROGRESS_EVERY = 25;

/** How audit entries of an import's mailboxes are signed, so a retry can tell what it already did. */
export const importActorSuffix = (importId: number) => ` (import ${importId})`;

/**
 * The principal of the user who uploaded the file, rebuilt from what that user may do now: a user
 * deactivated (or whose reseller or customer was) since then imports nothing.
 */
export async function importPrincipal(db: Db, userId: number, importId: number): Promise<Principal | null> {
  const u = await activeUser(db, userId);
  if (!u) return null;
  return {
    role: u.role,
    resellerId: u.reseller_id,
    customerId: u.customer_id,
    domainId: null,
    readOnly: false,
    actor: { label: `user:${u.email}${importActorSuffix(importId)}`, userId: u.id, keyId: null, ip: null },
  };
}

export interface ImportContext {
  db: Db;
  minPasswordLength: number;
  logger?: Logger;
  /** Counters are written (and job progress reported) every this many rows. */
  progressEvery?: number;
}

export interface ImportProgress {
  done: number;
  total: number;
  created: number;
  failed: number;
}

/**
 * Creates the mailboxes of one import through createMailbox, in file order (the plan's limits then
 * refuse the same rows the dry run named). Idempotent: a retry after a crash counts the mailboxes
 * this import already created (their audit entries commit with them) and goes on from there.
 */
export function importMailboxesHandler(ctx: ImportContext) {
  const { db } = ctx;
  const every = ctx.progressEvery ?? PROGRESS_EVERY;

  return async (job: Job<ImportJobData>, token?: string) => {
    const { importId } = job.data;
    const imp = await store.loadForJob(db, importId);
    if (!imp) return { skipped: 'deleted' };
    if (imp.status === 'done' || imp.status === 'failed') return { skipped: imp.status };

    const report: ReportEntry[] = imp.report.map((e) => ({ ...e }));
    const entryOf = new Map(report.map((e) => [e.line, e]));
    const rows = imp.rows ?? [];
    const generated = new Set(rows.filter((r) => r.generated).map((r) => r.address));
    const passwords = new Map(rows.map((r) => [r.address, r.password]));
    const counts = () => {
      const c = { done: 0, created: 0, failed: 0 };
      for (const e of report) {
        if (e.status === 'created') c.created++;
        else if (e.status === 'failed') c.failed++;
      }
      c.done = c.created + c.failed;
      return c;
    };
    const finish = async (status: 'done' | 'failed', error?: string) => {
      if (error) for (const e of report) if (e.status === 'pending') Object.assign(e, { status: 'failed', problems: [{ field: 'row', message: error }] });
      const handout: GeneratedPassword[] = report
        .filter((e) => e.status === 'created' && generated.has(e.address))
        .map((e) => ({ address: e.address, password: passwords.get(e.address)! }));
      const c = counts();
      await store.finishImport(db, importId, { status, counts: c, report, generated: handout, error });
      ctx.logger?.info({ importId, status, created: c.created, failed: c.failed }, 'import finished');
      // The table is what pages read; the job's own progress is a courtesy once the import has ended.
      await job.updateProgress({ ...c, total: imp.total } satisfies ImportProgress).catch(() => {});
      return { status, ...c };
    };

    if (!imp.rows) return finish('failed', 'The rows of this import are gone; nothing more was imported.');
    const p = imp.created_by === null ? null : await importPrincipal(db, imp.created_by, importId);
    if (!p || !(await reachable(db, p, imp.domain))) return finish('failed', 'The user who started the import can no longer manage this domain.');

    const mine = await store.addressesCreatedBy(db, importActorSuffix(importId), p.actor.userId!, imp.customer_id, imp.created_at);
    if (!(await store.claimRun(db, importId, imp.customer_id))) {
      // Another import of this customer is running: this one waits its turn without holding a worker.
      await job.moveToDelayed(Date.now() + WAIT_TURN_MS, token);
      throw new DelayedError();
    }
    // The plan may have changed since the upload: a file that cannot fit any more stops before any row.
    try {
      await assertFits(
        db,
        imp.customer_id,
        rows.filter((r) => entryOf.get(r.line)?.status === 'pending' && !mine.has(r.address)).map((r) => r.quotaBytes),
      );
    } catch (err) {
      if (err instanceof AppError) return finish('failed', err.message);
      throw err;
    }
    let sinceReport = 0;
    try {
      for (const row of rows) {
        const entry = entryOf.get(row.line)!;
        if (entry.status !== 'pending') continue;
        if (mine.has(row.address)) {
          entry.status = 'created';
        } else {
          try {
            await createMailbox(
              db,
              p,
              imp.domain,
              {
                localPart: row.localPart,
                password: row.password,
                generated: row.generated,
                quotaBytes: row.quotaBytes ?? undefined,
                imap: row.imap,
                pop3: row.pop3,
              },
              ctx.minPasswordLength,
            );
            entry.status = 'created';
          } catch (err) {
            if (!(err instanceof AppError) || err.statusCode >= 500) throw err;
            // Another run of this same job (a stalled one taken over) may have just made it.
            const ours =
              err.code === 'conflict' &&
              (await store.addressesCreatedBy(db, importActorSuffix(importId), p.actor.userId!, imp.customer_id, imp.created_at)).has(row.address);
            Object.assign(entry, ours ? { status: 'created' } : { status: 'failed', problems: [{ field: columnOf(err.field), message: err.text }] });
          }
        }
        if (++sinceReport >= every) {
          sinceReport = 0;
          const c = counts();
          await store.saveProgress(db, importId, c);
          await job.updateProgress({ ...c, total: imp.total } satisfies ImportProgress);
        }
      }
    } catch (err) {
      // Retries resume; after the last one the import ends, handing out what was created.
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (!last) throw err;
      await finish('failed', 'The import stopped after an internal error; the rows marked failed were not created.');
      throw err;
    }
    return finish('done');
  };
}

async function reachable(db: Db, p: Principal, domain: string): Promise<boolean> {
  try {
    await getDomainOr404(db, p, domain);
    return true;
  } catch (err) {
    if (err instanceof AppError && err.code === 'not_found') return false;
    throw err;
  }
}
