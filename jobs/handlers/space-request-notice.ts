import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import { markNotified, noticeFacts } from '../../db/repositories/space-requests.js';
import type { Mailer } from '../../server/platform/mailer.js';
import { spaceRequestNotices } from '../../server/services/space-requests/notice.js';
import type { JobData } from '../queue/registry.js';

export interface NoticeDeps {
  db: Db;
  mailer: Mailer;
  /** Into the mailbox itself, past its quota (it may be full: that is why it asked). */
  noticeMailer: Mailer;
  panelUrl: string;
  logger: Logger;
}

/**
 * Tells those concerned of a request's status. Runs for the status it was queued for only; a retry
 * sends again what a failure cut short (the message ids let receivers see duplicates).
 */
export function spaceRequestNoticeHandler(deps: NoticeDeps) {
  return async (job: Job<JobData['space-request-notice']>) => {
    const { requestId, status } = job.data;
    const f = await noticeFacts(deps.db, requestId);
    if (!f || f.status !== status) return { skipped: f ? 'changed' : 'gone' };
    for (const n of spaceRequestNotices(f, deps.panelUrl)) {
      const mailer = n.recipient === 'mailbox' ? deps.noticeMailer : deps.mailer;
      await mailer.send({ to: n.to, subject: n.subject, text: n.text, messageId: `<space-request-${f.id}-${status}-${n.recipient}@mailpanel.invalid>` });
    }
    await markNotified(deps.db, requestId, status);
    return { sent: true };
  };
}
