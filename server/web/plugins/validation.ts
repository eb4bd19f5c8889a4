import { Ajv, type ErrorObject } from 'ajv';
import type { FastifyInstance } from 'fastify';

// JSON bodies of the API are checked strictly: "500" is not a number and unknown fields are errors,
// never silently dropped. Query strings, params and HTML forms arrive as text, so they are coerced.
const common = { allErrors: false, removeAdditional: false as const, useDefaults: true, strict: false };
const strict = new Ajv({ ...common, coerceTypes: false });
const coercing = new Ajv({ ...common, coerceTypes: 'array' });

// No text we take has a use for control characters but tab and line breaks; NUL in particular is
// refused by PostgreSQL, and the others hide text in logs and screens.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** The JSON pointer of the first string (or key) in `data` holding a control character, or null. */
export function controlCharacterAt(data: unknown, at = ''): string | null {
  if (typeof data === 'string') return CONTROL.test(data) ? at || '/' : null;
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) {
      const found = controlCharacterAt(data[i], `${at}/${i}`);
      if (found !== null) return found;
    }
    return null;
  }
  if (data !== null && typeof data === 'object') {
    for (const [k, v] of Object.entries(data)) {
      if (CONTROL.test(k)) return `${at}/${k.replace(CONTROL, '?')}`;
      const found = controlCharacterAt(v, `${at}/${k}`);
      if (found !== null) return found;
    }
  }
  return null;
}

export function installValidators(app: FastifyInstance) {
  app.setValidatorCompiler(({ schema, httpPart, url }) => {
    const ajv = httpPart === 'body' && url.startsWith('/api/') ? strict : coercing;
    const validate = ajv.compile(schema);
    // Every schema'd part of every route, API and panel alike, also refuses control characters.
    const checked = (data: unknown) => {
      if (!validate(data)) {
        checked.errors = validate.errors;
        return false;
      }
      const at = controlCharacterAt(data);
      if (at === null) return true;
      checked.errors = [
        { keyword: 'controlCharacter', instancePath: at === '/' ? '' : at, schemaPath: '#', params: {}, message: 'must not contain control characters' },
      ];
      return false;
    };
    checked.errors = null as ErrorObject[] | null | undefined;
    return checked;
  });
}
