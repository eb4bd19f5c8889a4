import type { FastifyReply, FastifyRequest } from 'fastify';
import { displayAddress, displayDomain } from '../../core/address.js';
import { formatBytes, percentUsed, quotaLevel } from '../../core/quota.js';
import { localeOf, negotiate } from '../i18n/index.js';
import { maskToken } from '../../platform/tokens.js';
import { MAX } from '../../core/text.js';
import type { Text } from '../../core/message.js';

// What every page template can use, besides its own data.
/** The browser's time zone (the `tz` cookie public/time-zone.js sets); UTC without it or for a zone this Node does not know. */
export function zoneOf(req: FastifyRequest): string {
  const zone = req.cookies.tz;
  if (zone && zone.length <= 64)
    try {
      return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
    } catch {
      // An unknown zone: UTC.
    }
  return 'UTC';
}

/** The page's language (Accept-Language); also how forms read numbers typed in it. */
export const langOf = (req: FastifyRequest) => negotiate(req.headers['accept-language']);

export function pageContext(req: FastifyRequest) {
  const lang = langOf(req);
  const locale = localeOf(lang);
  const zone = zoneOf(req);
  // Dates in the page's language and the reader's time zone, the zone named.
  const dates = new Intl.DateTimeFormat(lang, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
    timeZone: zone,
  });
  const s = req.session;
  return {
    lang,
    zone,
    t: locale.t,
    plural: locale.plural,
    user: s && req.principal && !req.owner ? { email: s.email, role: s.role } : null,
    /** On the mailbox owner's own pages: its address (the header shows it with "Sign out"). */
    owner: req.owner?.address ?? null,
    /** The customer a reseller or the operator acts as: the header names it. */
    acting: s?.acting_customer_id ? { id: s.acting_customer_id, name: s.acting_customer_name ?? '' } : null,
    principal: req.principal,
    csrf: maskToken(req.owner?.csrf ?? s?.csrf_token ?? req.preSessionCsrf ?? ''),
    path: req.url,
    /** Field limits, for the inputs' maxlength. */
    max: MAX,
    fmt: {
      bytes: (n: number) => formatBytes(n, lang),
      /** The share for a <progress> value (a number); `number` shows it. */
      percent: percentUsed,
      number: locale.number,
      level: quotaLevel,
      domain: displayDomain,
      address: displayAddress,
      date: (d: Date | string | null) => (d ? dates.format(new Date(d)) : ''),
    },
  };
}

/** Messages by form field (`_form`: the form as a whole), as services raise them (see core/message.ts). */
export type Errors = Record<string, Text>;

export function render(req: FastifyRequest, reply: FastifyReply, template: string, data: Record<string, unknown> = {}, status = 200) {
  reply.code(status).header('cache-control', 'no-store');
  const ctx = pageContext(req);
  // Messages next to fields come from the services in English; they are shown in the user's language.
  const errors = Object.fromEntries(Object.entries((data.errors as Errors | undefined) ?? {}).map(([k, v]) => [k, ctx.t(v)]));
  return reply.view(template, { ...ctx, values: {}, notice: null, ...data, errors });
}

/**
 * The whole page, or only the fragment that htmx asked to swap: `fragments` maps the hx-target ids this
 * page serves (an id, or a prefix ending in '-' for rows) to their partial templates. Without htmx, or
 * for another target, the page.
 */
export function renderPageOrFragment(
  req: FastifyRequest,
  reply: FastifyReply,
  page: string,
  fragments: Record<string, string>,
  data: Record<string, unknown>,
  status = 200,
) {
  const target = req.headers['hx-request'] ? String(req.headers['hx-target'] ?? '') : null;
  const key = target === null ? undefined : Object.keys(fragments).find((k) => (k.endsWith('-') ? target.startsWith(k) : target === k));
  return render(req, reply, key ? fragments[key] : page, data, status);
}

/** A plain redirect after a successful form post; htmx requests get HX-Redirect instead. */
export function redirectAfterPost(req: FastifyRequest, reply: FastifyReply, to: string) {
  if (req.headers['hx-request']) return reply.header('HX-Redirect', to).code(204).send();
  return reply.redirect(to, 303);
}

/** The notice a page shows for `?notice=key`: only the page's own keys, never a prototype's. */
export function noticeFor(notices: Record<string, string>, key: string | undefined): string | null {
  return key !== undefined && Object.hasOwn(notices, key) ? notices[key] : null;
}
