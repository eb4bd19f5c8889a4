import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../platform/errors.js';
import { attempt, checkbox, formSchema, numberOrNull, text } from '../panel/forms.js';
import { noticeFor, redirectAfterPost, render } from '../panel/render.js';
import { mailboxPage } from './page.js';
import { onQuotaField, quotaFromForm } from './quota-input.js';
import { getDomainOr404 } from '../../services/domains/service.js';
import { reevaluateAfterQuotaChange } from '../../services/mailboxes/alerts.js';
import { deleteMailbox, retentionDaysOf } from '../../services/deleted-mailboxes/service.js';
import { createMailbox, getMailboxOr404, planLimitsFor, requestScan, STALE_EDIT, updateMailbox, type MailboxPatch } from '../../services/mailboxes/service.js';
import { NOTICES as SPACE_NOTICES } from '../space-requests/panel.js';
import { NOTICES as APP_NOTICES } from '../app-passwords/panel.js';

/** How long a usage card follows a scan it asked for before it stops asking. */
const CARD_WAIT_MS = 60_000;
const DomainParams = Type.Object({ domain: Type.String({ minLength: 1, maxLength: 300 }) });
const AddressParams = Type.Object({ address: Type.String({ minLength: 3, maxLength: 400 }) });
const NOTICES: Record<string, string> = {
  ...SPACE_NOTICES,
  ...APP_NOTICES,
  password: 'The password was changed.',
  quota: 'The quota was changed.',
  protocols: 'The protocols were updated.',
  suspensions: 'The suspensions were saved. They apply at the next sign-in or message.',
  status: 'The status was changed.',
  'auto-purge': 'The automatic cleanup setting was saved.',
  'send-limits': 'The send limits were saved. They apply to the next message.',
  scan: 'The mailbox will be measured in a moment. Reload the page to see the result.',
  cleanup: 'The cleanup has started: the messages are deleted in a moment, and the usage follows.',
};

const BELOW_USE =
  'This mailbox already holds more than that: with this quota it is full at once, and all new mail is refused until space is freed. Select "Change it anyway" to go ahead.';

export const mailboxesPanel: FastifyPluginAsyncTypebox = async (app) => {
  const min = app.config.minPasswordLength;

  const showMailbox = (req: FastifyRequest, reply: FastifyReply, address: string, extra: Record<string, unknown> = {}, status = 200) =>
    mailboxPage(app, req, reply, address, extra, status);

  app.post(
    '/domains/:domain/mailboxes',
    {
      schema: {
        params: DomainParams,
        body: formSchema({
          localPart: Type.String({ maxLength: 256 }),
          password: Type.String({ maxLength: 1024 }),
          quota: text(40),
          imap: checkbox,
          pop3: checkbox,
        }),
      },
    },
    async (req, reply) => {
      const { domain: name } = req.params;
      const body = req.body;
      const result = await attempt(async () =>
        createMailbox(
          app.db,
          req.principal!,
          name,
          {
            localPart: body.localPart,
            password: body.password,
            quotaBytes: quotaFromForm(req, body.quota, 'quotaBytes'),
            imap: body.imap === 'on',
            pop3: body.pop3 === 'on',
          },
          min,
          app.queues,
        ),
      );
      if (result.ok) return redirectAfterPost(req, reply, `/domains/${result.value.domain}?notice=created`);
      const domain = await getDomainOr404(app.db, req.principal!, name);
      const limits = await planLimitsFor(app.db, domain.customer_id);
      return render(
        req,
        reply,
        'mailbox-new',
        { title: domain.name, domain, limits, minPasswordLength: min, errors: result.errors, values: body },
        result.status,
      );
    },
  );

  app.get('/domains/:domain/mailboxes/new', { schema: { params: DomainParams } }, async (req, reply) => {
    const domain = await getDomainOr404(app.db, req.principal!, req.params.domain);
    const limits = await planLimitsFor(app.db, domain.customer_id);
    return render(req, reply, 'mailbox-new', { title: domain.name, domain, limits, minPasswordLength: min, values: { imap: 'on', pop3: 'on' } });
  });

  app.get(
    '/mailboxes/:address',
    { schema: { params: AddressParams, querystring: Type.Object({ notice: Type.Optional(Type.String({ maxLength: 40 })) }) } },
    async (req, reply) => showMailbox(req, reply, req.params.address, { notice: noticeFor(NOTICES, req.query.notice) }),
  );

  // One handler per form keeps each form's errors next to its own fields.
  const forms: Record<string, { fields: Parameters<typeof formSchema>[0]; patch: (b: Record<string, string>, req: FastifyRequest) => MailboxPatch }> = {
    password: { fields: { password: Type.String({ maxLength: 1024 }) }, patch: (b) => ({ password: b.password }) },
    quota: {
      fields: { quota: Type.String({ maxLength: 40 }), confirmBelow: Type.Optional(Type.Literal('yes')) },
      patch: (b, req) => ({ quotaBytes: quotaFromForm(req, b.quota) ?? NaN }),
    },
    protocols: {
      fields: { imap: checkbox, pop3: checkbox, smtp: checkbox, sieve: checkbox },
      patch: (b) => ({ imap: b.imap === 'on', pop3: b.pop3 === 'on', smtp: b.smtp === 'on', sieve: b.sieve === 'on' }),
    },
    suspensions: {
      fields: { login: checkbox, incoming: checkbox, outgoing: checkbox },
      patch: (b) => ({ suspended: { login: b.login === 'on', incoming: b.incoming === 'on', outgoing: b.outgoing === 'on' } }),
    },
    status: { fields: { active: Type.Union([Type.Literal('true'), Type.Literal('false')]) }, patch: (b) => ({ active: b.active === 'true' }) },
    'auto-purge': { fields: { autoPurge: checkbox }, patch: (b) => ({ autoPurge: b.autoPurge === 'on' }) },
    'send-limits': {
      fields: { usePlan: checkbox, perHour: text(10), perDay: text(10), recipients: text(10) },
      // Empty: no limit; anything but a whole number is refused by the service next to its field.
      patch: (b) => ({
        sendLimits:
          b.usePlan === 'on' ? null : { perHour: numberOrNull(b.perHour), perDay: numberOrNull(b.perDay), recipientsPerMessage: numberOrNull(b.recipients) },
      }),
    },
  };

  // Every form carries the mailbox's updatedAt as the page showed it (see ifUnchangedSince).
  const Version = { version: Type.Optional(Type.String({ maxLength: 40 })) };

  for (const [name, form] of Object.entries(forms)) {
    app.post(`/mailboxes/:address/${name}`, { schema: { params: AddressParams, body: formSchema({ ...form.fields, ...Version }) } }, async (req, reply) => {
      const { address } = req.params;
      // One handler for several forms: each form's schema checked the fields, their union is read here.
      const body = req.body as Record<string, string>;
      const result = await attempt(async () => {
        const patch = { ...form.patch(body, req), ...(body.version && { ifUnchangedSince: body.version }) };
        if (patch.quotaBytes !== undefined && Number.isNaN(patch.quotaBytes)) throw new AppError('validation', 'Enter a quota.', 'quota');
        // A quota below what the mailbox holds makes it full at once: said before it happens, done when confirmed.
        if (patch.quotaBytes !== undefined && body.confirmBelow !== 'yes') {
          const before = await getMailboxOr404(app.db, req.principal!, address);
          if (before.used_bytes !== null && patch.quotaBytes <= before.used_bytes) throw new AppError('conflict', BELOW_USE, 'quota');
        }
        const m = await updateMailbox(app.db, req.principal!, address, patch, min);
        if (patch.quotaBytes !== undefined) await reevaluateAfterQuotaChange(app.db, app.queues, req.log, m.id);
        return m;
      });
      if (!result.ok) {
        const errors = onQuotaField(result.errors);
        // A stale page is shown again as the mailbox is now, not with what it sent.
        const values = errors._form === STALE_EDIT ? {} : errors.quota === BELOW_USE ? { ...body, confirmBelow: 'yes' } : body;
        return showMailbox(req, reply, address, { errors, values }, result.status);
      }
      // The protocol switches in a mailbox list swap just their row.
      if (req.headers['hx-request'] && req.headers['hx-target']?.toString().startsWith('row-')) {
        return render(req, reply, 'partials/mailbox-row', { m: result.value });
      }
      return redirectAfterPost(req, reply, `/mailboxes/${result.value.address}?notice=${name}`);
    });
  }

  // A switch in a mailbox list sends only what it changes (one protocol, on or off) and the row's
  // version: a page loaded before someone else's change can neither undo it nor switch blindly.
  app.post(
    '/mailboxes/:address/switch',
    {
      schema: {
        params: AddressParams,
        body: formSchema({
          protocol: Type.Union([Type.Literal('imap'), Type.Literal('pop3')]),
          on: Type.Union([Type.Literal('true'), Type.Literal('false')]),
          ...Version,
        }),
      },
    },
    async (req, reply) => {
      const { protocol, on, version } = req.body;
      const result = await attempt(() =>
        updateMailbox(app.db, req.principal!, req.params.address, { [protocol]: on === 'true', ...(version && { ifUnchangedSince: version }) }, min),
      );
      if (req.headers['hx-request']) {
        // htmx swaps only 2xx answers: the row as it is now, saying why nothing changed.
        const m = result.ok ? result.value : await getMailboxOr404(app.db, req.principal!, req.params.address);
        return render(req, reply, 'partials/mailbox-row', { m, rowError: result.ok ? null : Object.values(result.errors)[0] });
      }
      if (!result.ok) return showMailbox(req, reply, req.params.address, { errors: result.errors }, result.status);
      return redirectAfterPost(req, reply, `/mailboxes/${result.value.address}?notice=protocols`);
    },
  );

  app.post('/mailboxes/:address/scan', { schema: { params: AddressParams, body: formSchema({}) } }, async (req, reply) => {
    const m = await requestScan(app.db, app.queues, req.principal!, req.params.address);
    // With htmx the usage card swaps in and follows the scan until its result is there.
    if (req.headers['hx-request']) {
      return render(req, reply, 'partials/usage-card', { m, waitingAfter: m.scanned_at?.toISOString() ?? 'never', waitingUntil: Date.now() + CARD_WAIT_MS });
    }
    return redirectAfterPost(req, reply, `/mailboxes/${m.address}?notice=scan`);
  });

  app.get(
    '/mailboxes/:address/usage-card',
    {
      schema: {
        params: AddressParams,
        querystring: Type.Object({
          after: Type.Optional(Type.String({ maxLength: 40, pattern: '^(never|[0-9T:.Z-]+)$' })),
          until: Type.Optional(Type.Integer({ minimum: 0 })),
        }),
      },
    },
    async (req, reply) => {
      const m = await getMailboxOr404(app.db, req.principal!, req.params.address);
      // Without `after`/`until` it is just the card, as the page shows it.
      const { after = 'never', until = 0 } = req.query;
      const measured = m.scanned_at !== null && (after === 'never' || m.scanned_at.getTime() > Date.parse(after));
      const waiting = !measured && Date.now() < until;
      return render(req, reply, 'partials/usage-card', { m, ...(waiting && { waitingAfter: after, waitingUntil: until }) });
    },
  );

  app.get('/mailboxes/:address/delete', { schema: { params: AddressParams } }, async (req, reply) => {
    const m = await getMailboxOr404(app.db, req.principal!, req.params.address);
    const days = await retentionDaysOf(app.db, m.customer_id);
    return render(req, reply, 'confirm-delete', {
      title: m.address,
      what: m.address,
      action: `/mailboxes/${m.address}/delete`,
      back: `/mailboxes/${m.address}`,
      warning:
        "The mailbox stops receiving mail and signing in at once. Its mail is kept for {days} days: until then it can be restored, with its mail, from the domain's page. After that it is removed for good. The same address created again starts empty.",
      warningArgs: { days },
    });
  });

  app.post('/mailboxes/:address/delete', { schema: { params: AddressParams, body: formSchema({}) } }, async (req, reply) => {
    const m = await getMailboxOr404(app.db, req.principal!, req.params.address);
    await deleteMailbox(app.db, app.queues, req.principal!, m.address);
    return redirectAfterPost(req, reply, `/domains/${m.domain}?notice=deleted`);
  });
};
