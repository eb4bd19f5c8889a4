import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { deliveryToSend, markDelivery } from '../../db/repositories/alerts.js';
import type { Db } from '../../db/database.js';
import { classifySmtpError, type Mailer } from '../../server/platform/mailer.js';
import { renderAlertEmail, type AlertOverrides } from '../../server/services/alerts/render.js';
import type { JobData } from '../queue/registry.js';
import { suggestCleanup } from '../../server/core/cleanup.js';
import { foldersOfMailbox } from '../../server/services/folders/service.js';

export interface SendContext {
  db: Db;
  mailer: Mailer;
  /** Delivers into a mailbox past its quota (Dovecot LMTP with the quota ignored). */
  noticeMailer: Mailer;
  panelUrl: string;
  logger: Logger;
}

/**
 * Sends one alert to one recipient. The row says what happened: 'sending' is written before the
 * SMTP transaction and 'sent' after it, so after a crash in between the retry knows a duplicate is
 * possible and logs it; everywhere else a delivery is sent at most once.
 */
export function sendAlertHandler(ctx: SendContext) {
  return async (job: Job<JobData['send-alert']>) => {
    const { deliveryId } = job.data;
    const d = await deliveryToSend(ctx.db, deliveryId);
    if (!d) return { skipped: 'gone' };
    if (d.status === 'sent' || d.status === 'failed') return { skipped: d.status };
    if (d.status === 'sending') ctx.logger.warn({ deliveryId, alert: d.kind }, 'delivery was interrupted while sending; sending again may duplicate it');

    const language = d.language === 'de' ? 'de' : 'en';
    const overrides = (d.alert_texts as Record<string, AlertOverrides> | null)?.[language];
    // The mailbox itself is sent to its owner's own page, with the cleanup that frees most; the
    // customer's contact and the reseller to the panel's page of the mailbox.
    const owner = d.recipient === 'mailbox';
    const suggested = owner ? suggestCleanup((await foldersOfMailbox(ctx.db, d.mailbox_id)).folders) : null;
    const email = renderAlertEmail({
      kind: d.kind,
      level: d.level,
      usedBytes: d.used_bytes,
      quotaBytes: d.quota_bytes,
      address: d.mailbox,
      language,
      panelUrl: owner ? `${ctx.panelUrl}/my` : `${ctx.panelUrl}/mailboxes/${d.mailbox}`,
      overrides,
      owner,
      // Staff (the reseller) decide requests; the mailbox and the customer's contact may ask.
      ...(d.more_space &&
        d.recipient !== 'reseller' && { moreSpaceUrl: owner ? `${ctx.panelUrl}/my#space-h` : `${ctx.panelUrl}/mailboxes/${d.mailbox}#space-h` }),
      ...(suggested && { action: { ...suggested, url: `${ctx.panelUrl}/my?suggest=${suggested.folder}#cleanup-h` } }),
    });

    await markDelivery(ctx.db, deliveryId, { status: 'sending', sending_at: new Date(), attempts: d.attempts + 1 });
    // A full mailbox refuses ordinary delivery; its own notice goes through the quota-exempt path.
    const mailer = d.recipient === 'mailbox' ? ctx.noticeMailer : ctx.mailer;
    try {
      await mailer.send({ to: d.address, ...email, messageId: `<alert-${deliveryId}@mailpanel.invalid>`, kind: d.kind });
    } catch (err) {
      const permanent = classifySmtpError(err) === 'permanent';
      const message = String((err as { response?: string; message?: string }).response ?? (err as Error).message).slice(0, 500);
      await markDelivery(ctx.db, deliveryId, { status: permanent ? 'failed' : 'pending', last_error: message });
      ctx.logger.warn({ deliveryId, permanent, attempt: job.attemptsMade + 1 }, 'alert delivery failed');
      if (permanent) throw new UnrecoverableError(message);
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        await markDelivery(ctx.db, deliveryId, { status: 'failed', last_error: `gave up after ${job.attemptsMade + 1} attempts: ${message}`.slice(0, 500) });
      }
      throw err;
    }
    await markDelivery(ctx.db, deliveryId, { status: 'sent', sent_at: new Date(), last_error: null });
    return { sent: true };
  };
}
