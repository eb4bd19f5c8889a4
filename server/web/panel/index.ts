import view from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError } from '../../platform/errors.js';
import { loginsPanel } from '../logins/panel.js';
import { isBadText, isDatabaseDown } from '../http/unavailable.js';
import { auditPanel } from '../audit/panel.js';
import { customersPanel } from '../customers/panel.js';
import { domainsPanel } from '../domains/panel.js';
import { cleanupPanel } from '../cleanup/panel.js';
import { ownerPanel } from '../owner/panel.js';
import { spaceRequestsPanel } from '../space-requests/panel.js';
import { unusedPanel } from '../mailboxes/unused.js';
import { appPasswordsPanel } from '../app-passwords/panel.js';
import { mailboxesPanel } from '../mailboxes/panel.js';
import { bulkPanel } from '../mailboxes/bulk.js';
import { webhooksPanel } from '../webhooks/panel.js';
import { resellersPanel } from '../resellers/panel.js';
import { apiKeysPanel } from '../api-keys/panel.js';
import { importsPanel } from '../imports/panel.js';
import { plansPanel } from '../plans/panel.js';
import { accountPanel } from './account.js';
import { authPanel } from './auth.js';
import { overviewPanel } from './overview.js';
import { render } from './render.js';
import { panelSession } from './session.js';

export async function panelRoutes(app: FastifyInstance, opts: { viewsDir: string }) {
  // Templates belong to the panel's scope only, so other plugins may bring their own view engine.
  const production = process.env.NODE_ENV !== 'development';
  await app.register(view, { engine: { eta: new Eta({ views: opts.viewsDir, cache: production, autoTrim: false }) }, templates: opts.viewsDir, production });
  await panelSession(app);

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof AppError) {
      if (err.statusCode >= 500) req.log.warn({ err: err.cause ?? err }, err.message);
      return render(req, reply, 'error', { status: err.statusCode, message: err.text }, err.statusCode);
    }
    if (err.validation) return render(req, reply, 'error', { status: 400, message: err.message }, 400);
    if (err.statusCode && err.statusCode < 500) return render(req, reply, 'error', { status: err.statusCode, message: err.message }, err.statusCode);
    if (isBadText(err))
      return render(req, reply, 'error', { status: 400, message: 'The form holds characters that cannot be stored (control characters).' }, 400);
    if (isDatabaseDown(err)) {
      req.log.error({ err }, 'database unavailable');
      return render(req, reply, 'error', { status: 503, message: 'The panel is temporarily unavailable. Please try again in a moment.' }, 503);
    }
    req.log.error({ err }, 'request failed');
    return render(req, reply, 'error', { status: 500, message: 'Something went wrong on our side.' }, 500);
  });
  app.setNotFoundHandler({ preHandler: async () => {} }, (req, reply) =>
    render(req, reply, 'error', { status: 404, message: 'This page does not exist.' }, 404),
  );

  await app.register(authPanel);
  await app.register(resellersPanel);
  await app.register(customersPanel);
  await app.register(domainsPanel);
  await app.register(mailboxesPanel);
  await app.register(bulkPanel);
  await app.register(cleanupPanel);
  await app.register(ownerPanel);
  await app.register(auditPanel);
  await app.register(apiKeysPanel);
  await app.register(webhooksPanel);
  await app.register(spaceRequestsPanel);
  await app.register(unusedPanel);
  await app.register(appPasswordsPanel);
  await app.register(plansPanel);
  await app.register(accountPanel);
  await app.register(loginsPanel);
  await app.register(overviewPanel);
  await app.register(importsPanel);
}
