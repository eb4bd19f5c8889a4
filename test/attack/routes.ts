import type { App } from '../../server/web/app.js';
import type { Tenants } from '../support/fixtures.js';

export interface RouteInfo {
  method: string;
  url: string;
  schema?: { body?: { properties?: Record<string, { type?: string }>; required?: string[] }; params?: unknown };
}

export const WRITES = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** The API routes and the panel routes that name an object: the attack suite covers each of them. */
export function apiRoutes(app: App): RouteInfo[] {
  return (app.routeTable as RouteInfo[]).filter((r) => r.url.startsWith('/api/v1/') && r.url !== '/api/v1/*');
}

export function panelObjectRoutes(app: App): RouteInfo[] {
  return (app.routeTable as RouteInfo[]).filter(
    (r) =>
      !r.url.startsWith('/api/') &&
      !r.url.startsWith('/docs') &&
      !r.url.startsWith('/static') &&
      !r.url.startsWith('/vendor') &&
      /:(id|domain|address)\b/.test(r.url),
  );
}

type Tenant = Tenants['A'];

/** Fills a route's parameters with the objects of `victim`. */
export function urlFor(route: RouteInfo, victim: Tenant): string {
  // What ":id" names depends on the resource the route belongs to.
  if (route.url.includes('/app-passwords/:id')) return urlFor({ ...route, url: route.url.replace(':id', victim.appPasswordId) }, victim);
  const id = route.url.includes('/webhooks/')
    ? victim.webhookId
    : route.url.startsWith('/space-requests/') || route.url.startsWith('/api/v1/space-requests/')
      ? victim.spaceRequestId
      : route.url.startsWith('/resellers/')
        ? victim.reseller.id
        : route.url.startsWith('/api-keys/')
          ? victim.keyId
          : route.url.includes('/deleted-mailboxes/')
            ? victim.deletedId
            : route.url.startsWith('/plans/')
              ? victim.planId
              : route.url.startsWith('/imports/')
                ? victim.importId
                : victim.customer.id;
  return route.url
    .replace(':id', String(id))
    .replace(':deliveryId', String(victim.deliveryId))
    .replace(':domain', victim.domain.name)
    .replace(':address', victim.mailbox.address);
}

// Plausible values by field name, so a request passes validation and reaches the permission check.
const SAMPLES: Record<string, unknown> = {
  name: 'probe.example',
  contactEmail: 'probe@example.org',
  localPart: 'probe',
  password: 'a long probe password',
  quotaBytes: 1048576,
  imap: true,
  pop3: false,
  active: false,
  language: 'en',
  loginEmail: 'probe-login@example.org',
  loginPassword: 'a long probe password',
  quota: '100',
  code: '123456',
  folder: 'Trash',
  olderThanDays: 30,
  uids: [1],
  previewId: 1,
  trashRoomPercent: 10,
  junkRoom: true,
  autoPurge: true,
  protocol: 'pop3',
  on: 'true',
  confirmBelow: 'yes',
  action: 'suspend',
  enabled: true,
  events: ['mailbox.created'],
  url: 'https://hooks.example.net/in',
  confirm: 'yes',
  note: 'probe note',
  protocols: ['imap'],
  expiresAt: null,
  networks: [],
  mainPasswordProtocols: ['imap', 'pop3', 'smtp', 'sieve'],
  appPasswordId: 'abcdefgh',
  expiresOn: '',
  suspended: { outgoing: true },
  smtp: true,
  sieve: true,
  login: true,
  incoming: true,
  outgoing: true,
  reason: 'probe reason',
  sendLimits: { perHour: 10, perDay: 100, recipientsPerMessage: 10 },
  // The panel's send-limit forms (mailbox and plan): own limits, not the plan's.
  usePlan: false,
  perHour: '10',
  perDay: '100',
  recipients: '10',
  sendPerHour: '10',
  sendPerDay: '100',
  sendRecipients: '10',
  // A panel form's request id: the victim's request is what the route is probed with (see urlFor for :id).
  id: '1',
};

/** A valid body generated from the route's schema. */
export function sampleBody(route: RouteInfo): Record<string, unknown> | undefined {
  const props = route.schema?.body?.properties;
  if (!props) return undefined;
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) {
    if (k === '_csrf' || k === 'resellerId' || k === 'planId' || k === 'customerId') continue;
    if (k in SAMPLES) body[k] = SAMPLES[k];
    else if (v.type === 'boolean') body[k] = true;
    else if (v.type === 'integer') body[k] = 1048576;
    else body[k] = 'x';
  }
  return body;
}

export function formBody(route: RouteInfo): Record<string, string> {
  const body = sampleBody(route) ?? {};
  const props = (route.schema?.body?.properties ?? {}) as Record<string, { anyOf?: { const?: string }[] }>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) {
    const choices = props[k]?.anyOf?.map((c) => c.const);
    if (choices?.includes('false')) out[k] = String(v);
    else if (v === true) out[k] = 'on';
    else if (v !== false) out[k] = String(v); // an unchecked checkbox is simply absent
  }
  return out;
}
