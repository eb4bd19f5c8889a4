import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';

// JSON bodies of the API are checked strictly: "500" is not a number and unknown fields are errors,
// never silently dropped. Query strings, params and HTML forms arrive as text, so they are coerced.
const common = { allErrors: false, removeAdditional: false as const, useDefaults: true, strict: false };
const strict = new Ajv({ ...common, coerceTypes: false });
const coercing = new Ajv({ ...common, coerceTypes: 'array' });

export function installValidators(app: FastifyInstance) {
  app.setValidatorCompiler(({ schema, httpPart, url }) => {
    const ajv = httpPart === 'body' && url.startsWith('/api/') ? strict : coercing;
    return ajv.compile(schema);
  });
}
