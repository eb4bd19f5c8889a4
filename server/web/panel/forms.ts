import { Type, type TProperties } from 'typebox';
import { AppError } from '../../platform/errors.js';
import type { Errors } from './render.js';

/** A form body schema: the named text fields plus the CSRF token, nothing else. */
export function formSchema<P extends TProperties>(fields: P) {
  return Type.Object({ ...fields, _csrf: Type.String({ maxLength: 200 }) }, { additionalProperties: false });
}

export const text = (max = 300) => Type.Optional(Type.String({ maxLength: max }));
/**
 * A text field whose own limit the service checks (MAX in core/text.ts), so an overlong entry comes
 * back as an error beside the field with everything typed kept. The schema only bounds the request.
 */
export const field = () => Type.String({ maxLength: 4000 });
export const checkbox = Type.Optional(Type.Literal('on'));

/** A number field as typed: empty is null (off, no limit); anything else a number, NaN when it is none (the service refuses it beside the field). */
export const numberOrNull = (raw: string | undefined) => (raw?.trim() ? Number(raw.trim()) : null);

/** Runs a service call and turns its field errors into form errors for re-rendering. */
export async function attempt<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; errors: Errors; status: number }> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (err instanceof AppError && err.statusCode < 500 && err.statusCode !== 404) {
      return { ok: false, errors: { [err.field ?? '_form']: err.text }, status: err.statusCode };
    }
    throw err;
  }
}
