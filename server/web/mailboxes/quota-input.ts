import type { FastifyRequest } from 'fastify';
import { parseSize } from '../../core/quota.js';
import { AppError } from '../../platform/errors.js';
import { type Errors, langOf } from '../panel/render.js';

/** A quota as typed in the page's language ("1,5 GB" in German). */
export function quotaFromForm(req: FastifyRequest, raw: string | undefined, field = 'quota'): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const bytes = parseSize(raw, langOf(req));
  if (bytes === null) throw new AppError('validation', 'Enter the quota as a number of MB, like 500, or with a unit, like 2 GB.', field);
  return bytes;
}

/** The service names a plan limit's field quotaBytes; the panel's forms call their quota field quota. */
export const onQuotaField = (errors: Errors): Errors => Object.fromEntries(Object.entries(errors).map(([k, v]) => [k === 'quotaBytes' ? 'quota' : k, v]));
