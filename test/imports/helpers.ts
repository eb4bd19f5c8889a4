import type { App } from '../../server/web/app.js';
import type { PanelClient } from '../support/panel.js';

/** A multipart/form-data body as a browser sends it (built by the platform's own FormData). */
export async function multipart(fields: Record<string, string>, files: { name: string; content: string | Uint8Array }[] = []) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const f of files) form.append('file', new Blob([f.content], { type: 'text/csv' }), f.name);
  const req = new Request('http://panel.test/', { method: 'POST', body: form });
  return { payload: Buffer.from(await req.arrayBuffer()), contentType: req.headers.get('content-type')! };
}

export const cookieHeader = (client: PanelClient) => [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

/** Posts the import form of a domain as a signed-in user's browser would. */
export async function upload(
  app: App,
  client: PanelClient,
  domain: string,
  csv: string | Uint8Array | null,
  opts: { dryRun?: boolean; csrf?: string | null; headers?: Record<string, string>; filename?: string } = {},
) {
  const fields: Record<string, string> = {};
  if (opts.csrf !== null) fields._csrf = opts.csrf ?? client.csrf;
  if (opts.dryRun) fields.dryRun = 'on';
  const { payload, contentType } = await multipart(fields, csv === null ? [] : [{ name: opts.filename ?? 'mailboxes.csv', content: csv }]);
  return app.inject({
    method: 'POST',
    url: `/domains/${domain}/import`,
    headers: { cookie: cookieHeader(client), 'content-type': contentType, ...opts.headers },
    payload,
  });
}
