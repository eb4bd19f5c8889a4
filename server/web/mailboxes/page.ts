import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { listAlerts } from '../../../db/repositories/alerts.js';
import { lastLoginsOf } from '../../../db/repositories/last-logins.js';
import { appPasswordsOf } from '../../../db/repositories/app-passwords.js';
import { usageSamples } from '../../../db/repositories/overview.js';
import { recentBreaches } from '../../../db/repositories/send-limits.js';
import { growth } from '../../core/growth.js';
import { effectiveSendLimits } from '../../core/send-limits.js';
import { trashRoomBytes } from '../../core/plan-limits.js';
import { cleanupsOf } from '../../services/cleanup/service.js';
import { spaceOffer } from '../../services/space-requests/service.js';
import { foldersOfMailbox } from '../../services/folders/service.js';
import { visibleAlerts } from '../../services/mailboxes/alerts.js';
import { getMailboxOr404, planLimitsFor } from '../../services/mailboxes/service.js';
import { usageChart } from '../panel/chart.js';
import { pageContext, render } from '../panel/render.js';

const HISTORY_DAYS = 30;

/** The mailbox page, shown by its own route and re-shown by every form on it with that form's errors. */
export async function mailboxPage(
  app: FastifyInstance,
  req: FastifyRequest,
  reply: FastifyReply,
  address: string,
  extra: Record<string, unknown> = {},
  status = 200,
  /** `my-mailbox` for the owner's own page. */
  template = 'mailbox',
) {
  const m = await getMailboxOr404(app.db, req.principal!, address);
  const [limits, alerts, samples, folders, cleanups, space, logins, appPasswords, breaches] = await Promise.all([
    planLimitsFor(app.db, m.customer_id),
    listAlerts(app.db, m.id, 20).then((rows) => visibleAlerts(rows, req.principal!.role)),
    usageSamples(app.db, m.id, new Date(Date.now() - HISTORY_DAYS * 86_400_000)),
    foldersOfMailbox(app.db, m.id),
    cleanupsOf(app.db, m.id),
    spaceOffer(app.db, req.principal!, m),
    lastLoginsOf(app.db, m.address),
    appPasswordsOf(app.db, m.id),
    recentBreaches(app.db, m.id, 5),
  ]);
  const history = samples.map((s) => ({ at: s.at, usedBytes: s.used_bytes }));
  const { t, lang, zone } = pageContext(req);
  const chart = history.length >= 2 ? usageChart(history, m.quota_bytes, t('Usage over the last {n} days', { n: HISTORY_DAYS }), { lang, zone }) : null;
  return render(
    req,
    reply,
    template,
    {
      title: m.address,
      // Where the page's forms post: staff under /mailboxes/<address>, the owner under /my.
      base: req.owner ? '/my' : `/mailboxes/${m.address}`,
      m,
      limits,
      alerts,
      chart,
      folders: folders.folders,
      cleanups,
      space,
      logins,
      appPasswords,
      sendLimits: { effective: effectiveSendLimits(m.send_limits, m.plan_send_limits), breaches },
      trashRoomBytes: trashRoomBytes(limits, m.quota_bytes),
      growth: growth(history, m.quota_bytes),
      client: app.config.client,
      minPasswordLength: app.config.minPasswordLength,
      ...extra,
    },
    status,
  );
}
