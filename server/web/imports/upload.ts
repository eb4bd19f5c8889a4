import type { FastifyInstance } from 'fastify';
import { AppError } from '../../platform/errors.js';
import { MAX_CSV_BYTES } from '../../core/imports/csv.js';
import { msg } from '../../core/message.js';

export interface UploadedFile {
  filename: string;
  size: number;
  bytes: Uint8Array;
}

// Room for the form's other fields and the multipart framing around a file of the maximum size.
const FRAMING_BYTES = 64 * 1024;
export const UPLOAD_BODY_LIMIT = MAX_CSV_BYTES + FRAMING_BYTES;

/**
 * multipart/form-data for this plugin's routes, parsed while the body is read, so the form's `_csrf`
 * field is in req.body when the panel's CSRF check runs (preValidation, registered in the parent
 * scope). @fastify/multipart defers parsing to the handler or to a preValidation hook of this
 * scope, which runs only after that check: a plain HTML upload would then always be refused.
 * The platform's own multipart parser (WHATWG FormData) reads the bounded buffer.
 */
export function acceptUploads(app: FastifyInstance) {
  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit: UPLOAD_BODY_LIMIT },
    async (req: { headers: Record<string, unknown> }, body: Buffer) => parseMultipart(String(req.headers['content-type']), body),
  );
}

/** Text fields as strings and at most one file; anything else is a form the panel never sends. */
export async function parseMultipart(contentType: string, body: Buffer): Promise<Record<string, string | UploadedFile>> {
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new AppError('validation', 'The upload could not be read; please choose the file again.', 'file');
  }
  const entries: [string, string | UploadedFile][] = [];
  const seen = new Set<string>();
  let files = 0;
  for (const [name, value] of form) {
    // A browser sends an empty part with no name when no file was chosen.
    if (typeof value !== 'string' && value.name === '' && value.size === 0) continue;
    if (typeof value !== 'string' && ++files > 1) throw new AppError('validation', 'Upload one file at a time.', 'file');
    if (seen.has(name)) throw new AppError('validation', msg('The form field {name} was sent twice.', { name }), 'file');
    seen.add(name);
    entries.push([name, typeof value === 'string' ? value : { filename: value.name, size: value.size, bytes: new Uint8Array(await value.arrayBuffer()) }]);
  }
  // Own properties only (never the prototype), whatever the field names.
  return Object.fromEntries(entries);
}
