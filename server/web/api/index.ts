import type { FastifyError, FastifyInstance } from 'fastify';
import { principalFromApiKey } from '../auth/api-key-auth.js';
import { AppError } from '../../platform/errors.js';
import { customersApi } from '../customers/api.js';
import { domainsApi } from '../domains/api.js';
import { cleanupApi } from '../cleanup/api.js';
import { webhooksApi } from '../webhooks/api.js';
import { spaceRequestsApi } from '../space-requests/api.js';
import { appPasswordsApi } from '../app-passwords/api.js';
import { mailboxesApi } from '../mailboxes/api.js';
import { isBadText, isDatabaseDown } from '../http/unavailable.js';

/** The reseller REST API: bearer keys only (session cookies are ignored), JSON errors only. */
export async function apiRoutes(app: FastifyInstance) {
  app.addHook('onRequest', async (req) => {
    req.principal = await principalFromApiKey(app.db, req.headers.authorization, req.ip);
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof AppError) {
      if (err.statusCode >= 500) req.log.warn({ err: err.cause ?? err }, err.message);
      return reply
        .code(err.statusCode)
        .send({ error: err.code, message: err.message, ...(err.field && { field: err.field }), ...(err.limit && { limit: err.limit }) });
    }
    if (err.validation) {
      return reply.code(400).send({ error: 'validation', message: validationMessage(err), ...(fieldOf(err) && { field: fieldOf(err) }) });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply
        .code(err.statusCode)
        .send({ error: err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type' : 'bad_request', message: err.message });
    }
    if (isBadText(err))
      return reply.code(400).send({ error: 'validation', message: 'The request holds characters that cannot be stored (control characters or invalid text).' });
    if (isDatabaseDown(err)) {
      req.log.error({ err }, 'database unavailable');
      return reply.code(503).send({ error: 'unavailable', message: 'The service is temporarily unavailable; try again shortly.' });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'Internal error.' });
  });

  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not_found', message: 'No such endpoint.' }));

  await app.register(customersApi);
  await app.register(domainsApi);
  await app.register(mailboxesApi);
  await app.register(cleanupApi);
  await app.register(webhooksApi);
  await app.register(spaceRequestsApi);
  await app.register(appPasswordsApi);
}

function fieldOf(err: FastifyError): string | undefined {
  const v = err.validation?.[0];
  if (!v) return undefined;
  if (v.keyword === 'additionalProperties') return String((v.params as { additionalProperty?: string }).additionalProperty);
  if (v.keyword === 'required') return String((v.params as { missingProperty?: string }).missingProperty);
  return v.instancePath.split('/').filter(Boolean)[0];
}

function validationMessage(err: FastifyError): string {
  const v = err.validation?.[0];
  if (v?.keyword === 'additionalProperties') return `Unknown or forbidden field "${fieldOf(err)}".`;
  return err.message;
}
