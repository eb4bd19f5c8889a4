import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { getPlan, listPlans } from '../../../db/repositories/plans.js';
import { formatBytes, parseSize } from '../../core/quota.js';
import { AppError, notFound } from '../../platform/errors.js';
import { attempt, checkbox, field, formSchema, numberOrNull, text } from '../panel/forms.js';
import { type Errors, langOf, redirectAfterPost, render } from '../panel/render.js';
import type { Lang } from '../i18n/index.js';
import { assertRole } from '../../services/auth/principal.js';
import { createPlan, type PlanInput, STALE_PLAN, updatePlanAlerts, updatePlanLimits } from '../../services/plans/service.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

function size(lang: Lang, raw: string | undefined, field: string, required = false): number | null {
  if (!raw?.trim()) {
    if (required) throw new AppError('validation', 'This size is required.', field);
    return null;
  }
  const v = parseSize(raw, lang);
  if (v === null) throw new AppError('validation', 'Enter a size like 500 MB or 2 GB.', field);
  return v;
}

/** A list of sizes as typed: "1 GB, 2 GB, 5 GB" (or "1,5 GB; 3 GB" in German: a comma followed by a space, or a semicolon, separates). */
function sizes(lang: Lang, raw: string | undefined, field: string): number[] {
  const parts = (raw ?? '')
    .split(/;|,\s+|\n/)
    .map((p) => p.trim())
    .filter(Boolean);
  return parts.map((p) => size(lang, p, field)!);
}

/** The plan form's text fields as the service's input (sizes like "2 GB"). */
function planInput(lang: Lang, b: Record<string, string | undefined>): PlanInput {
  const maxMailboxes = b.maxMailboxes?.trim() ? Number(b.maxMailboxes) : null;
  if (maxMailboxes !== null && !Number.isInteger(maxMailboxes)) throw new AppError('validation', 'Enter a whole number of mailboxes.', 'maxMailboxes');
  const keep = b.keepDeletedDays?.trim() ? Number(b.keepDeletedDays) : undefined;
  if (keep !== undefined && !Number.isInteger(keep))
    throw new AppError('validation', 'Enter a number of days from 0 (removed at the next cleanup) to 3650.', 'deletedRetentionDays');
  const room = b.trashRoomPercent?.trim() ? Number(b.trashRoomPercent.replace('%', '').trim()) : undefined;
  if (room !== undefined && !Number.isInteger(room))
    throw new AppError('validation', 'Enter a whole percentage from 0 (no extra room) to 100.', 'trashRoomPercent');
  return {
    name: b.name ?? '',
    defaultQuotaBytes: size(lang, b.defaultQuota, 'defaultQuotaBytes', true)!,
    maxQuotaBytes: size(lang, b.maxQuota, 'maxQuotaBytes'),
    maxMailboxes,
    maxStorageBytes: size(lang, b.maxStorage, 'maxStorageBytes'),
    deletedRetentionDays: keep,
    trashRoomPercent: room,
    junkRoom: b.junkRoom === 'on',
    trashPurgeDays: numberOrNull(b.trashPurgeDays),
    junkPurgeDays: numberOrNull(b.junkPurgeDays),
    upgradeSizes: sizes(lang, b.upgradeSizes, 'upgradeSizes'),
    autoApproveBytes: size(lang, b.autoApprove, 'autoApproveBytes'),
    sendLimits: { perHour: numberOrNull(b.sendPerHour), perDay: numberOrNull(b.sendPerDay), recipientsPerMessage: numberOrNull(b.sendRecipients) },
  };
}

/** What a refused form shows again: what was typed, or, on a stale page, the plan as it is now. */
const keptValues = <T>(errors: Errors, typed: T) => (errors._form === STALE_PLAN ? undefined : typed);

const PlanForm = formSchema({
  name: field(),
  defaultQuota: text(40),
  maxQuota: text(40),
  maxMailboxes: text(10),
  maxStorage: text(40),
  keepDeletedDays: text(5),
  trashRoomPercent: text(5),
  junkRoom: checkbox,
  trashPurgeDays: text(5),
  junkPurgeDays: text(5),
  upgradeSizes: text(400),
  autoApprove: text(40),
  sendPerHour: text(10),
  sendPerDay: text(10),
  sendRecipients: text(10),
  version: text(40),
});

export const plansPanel: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/plans', async (req, reply) => {
    assertRole(req.principal!, 'reseller');
    return render(req, reply, 'plans', { title: 'Plans', plans: await listPlans(app.db, req.principal!.resellerId!), values: { defaultQuota: '500 MB' } });
  });

  app.post('/plans', { schema: { body: PlanForm } }, async (req, reply) => {
    assertRole(req.principal!, 'reseller');
    const b = req.body;
    const result = await attempt(async () => createPlan(app.db, req.principal!, planInput(langOf(req), b)));
    if (!result.ok)
      return render(
        req,
        reply,
        'plans',
        { title: 'Plans', plans: await listPlans(app.db, req.principal!.resellerId!), errors: result.errors, values: b },
        result.status,
      );
    return redirectAfterPost(req, reply, `/plans/${result.value.id}`);
  });

  async function showPlan(req: FastifyRequest, reply: FastifyReply, id: number, extra: Record<string, unknown> = {}, status = 200) {
    assertRole(req.principal!, 'reseller');
    const plan = await getPlan(app.db, req.principal!, id);
    if (!plan) throw notFound('Plan');
    const lang = langOf(req);
    const texts = (plan.alert_texts ?? {}) as Record<string, { subject?: string; text?: string }>;
    const values = {
      name: plan.name,
      defaultQuota: formatBytes(plan.default_quota_bytes, lang),
      maxQuota: plan.max_quota_bytes ? formatBytes(plan.max_quota_bytes, lang) : '',
      maxMailboxes: plan.max_mailboxes === null ? '' : String(plan.max_mailboxes),
      maxStorage: plan.max_storage_bytes ? formatBytes(plan.max_storage_bytes, lang) : '',
      keepDeletedDays: String(plan.deleted_retention_days),
      trashRoomPercent: String(plan.trash_room_percent),
      junkRoom: plan.junk_room ? 'on' : undefined,
      trashPurgeDays: plan.trash_purge_days === null ? '' : String(plan.trash_purge_days),
      junkPurgeDays: plan.junk_purge_days === null ? '' : String(plan.junk_purge_days),
      upgradeSizes: plan.upgrade_sizes.map((b) => formatBytes(b, lang)).join(lang === 'de' ? '; ' : ', '),
      autoApprove: plan.auto_approve_bytes ? formatBytes(plan.auto_approve_bytes, lang) : '',
      sendPerHour: plan.send_per_hour === null ? '' : String(plan.send_per_hour),
      sendPerDay: plan.send_per_day === null ? '' : String(plan.send_per_day),
      sendRecipients: plan.send_recipients === null ? '' : String(plan.send_recipients),
      warnPercents: plan.warn_percents.join(', '),
      minFree: plan.warn_min_free_bytes ? formatBytes(plan.warn_min_free_bytes, lang) : '',
      reminderDays: String(plan.reminder_days),
      recipients: plan.alert_recipients,
      subject_en: texts.en?.subject ?? '',
      text_en: texts.en?.text ?? '',
      subject_de: texts.de?.subject ?? '',
      text_de: texts.de?.text ?? '',
    };
    // The plan page promises what the operator's configuration keeps (NOTICE_LMTP_URL, see config.ts).
    const noticePastQuota = app.config.noticeLmtpUrl !== null;
    const { values: typed, ...rest } = extra;
    return render(req, reply, 'plan', { title: plan.name, plan, values: typed ?? values, noticePastQuota, ...rest }, status);
  }

  app.get(
    '/plans/:id',
    { schema: { params: IdParams, querystring: Type.Object({ notice: Type.Optional(Type.String({ maxLength: 20 })) }) } },
    async (req, reply) => showPlan(req, reply, req.params.id, { notice: req.query.notice === 'saved' ? 'The plan was saved.' : null }),
  );

  app.post('/plans/:id/limits', { schema: { params: IdParams, body: PlanForm } }, async (req, reply) => {
    const { id } = req.params;
    const b = req.body;
    const result = await attempt(async () =>
      updatePlanLimits(app.db, req.principal!, id, { ...planInput(langOf(req), b), ...(b.version && { ifUnchangedSince: b.version }) }),
    );
    if (!result.ok) return showPlan(req, reply, id, { errors: result.errors, values: keptValues(result.errors, b) }, result.status);
    return redirectAfterPost(req, reply, `/plans/${id}?notice=saved`);
  });

  app.post(
    '/plans/:id/alerts',
    {
      schema: {
        params: IdParams,
        body: formSchema({
          warnPercents: Type.String({ maxLength: 40 }),
          minFree: text(40),
          reminderDays: Type.String({ maxLength: 3 }),
          recipients: Type.Optional(Type.Union([Type.String({ maxLength: 10 }), Type.Array(Type.String({ maxLength: 10 }), { maxItems: 3 })])),
          subject_en: text(200),
          text_en: text(5000),
          subject_de: text(200),
          text_de: text(5000),
          version: text(40),
        }),
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const b = req.body;
      const one = (k: keyof typeof b) => String(b[k] ?? '');
      const result = await attempt(async () => {
        const percents = one('warnPercents')
          .split(/[\s,;%]+/)
          .filter(Boolean)
          .map(Number);
        const days = Number(one('reminderDays'));
        return updatePlanAlerts(app.db, req.principal!, id, {
          warnPercents: percents,
          minFreeBytes: size(langOf(req), one('minFree'), 'minFree'),
          recipients: ([] as string[]).concat(b.recipients ?? []),
          reminderDays: days,
          texts: { en: { subject: one('subject_en'), text: one('text_en') }, de: { subject: one('subject_de'), text: one('text_de') } },
          ...(b.version && { ifUnchangedSince: b.version }),
        });
      });
      if (!result.ok)
        return showPlan(
          req,
          reply,
          id,
          { errors: result.errors, values: keptValues(result.errors, { ...b, recipients: ([] as string[]).concat(b.recipients ?? []) }) },
          result.status,
        );
      return redirectAfterPost(req, reply, `/plans/${id}?notice=saved`);
    },
  );
};
