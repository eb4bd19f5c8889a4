import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Readable } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { DomainRow } from '../../../db/repositories/domains.js';
import { AppError, notFound } from '../../platform/errors.js';
import { attempt, checkbox, formSchema } from '../panel/forms.js';
import { pageContext, redirectAfterPost, render, renderPageOrFragment } from '../panel/render.js';
import { getDomainOr404 } from '../../services/domains/service.js';
import { planLimitsFor } from '../../services/mailboxes/service.js';
import { MAX_CSV_BYTES, MAX_CSV_ROWS, toCsv } from '../../core/imports/csv.js';
import { exportMailboxes } from '../../services/imports/export.js';
import { type ReportLine, fromDryRun, fromReport, reportView } from '../../services/imports/report.js';
import { dryRun, getImportOr404, prepareImport, startImport, takePasswords } from '../../services/imports/service.js';
import { getReport, recentImports, type ImportSummary } from '../../../db/repositories/imports.js';
import { type UploadedFile, acceptUploads } from './upload.js';

const DomainParams = Type.Object({ domain: Type.String({ minLength: 1, maxLength: 300 }) });
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
const UploadBody = formSchema({
  dryRun: checkbox,
  file: Type.Optional(Type.Object({ filename: Type.String({ maxLength: 1000 }), size: Type.Integer({ minimum: 0 }) })),
});
const TOO_LARGE = `The file is larger than ${MAX_CSV_BYTES / 1024 / 1024} MB; split it into smaller files.`;

function csvReply(reply: FastifyReply, filename: string) {
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .header('cache-control', 'no-store');
}

const finished = (imp: ImportSummary) => imp.status === 'done' || imp.status === 'failed';

/** CSV import and export of a domain's mailboxes; the job that does the importing is in job.ts. */
export const importsPanel: FastifyPluginAsyncTypebox = async (app) => {
  const min = app.config.minPasswordLength;
  acceptUploads(app);
  // The domain of an upload, resolved before its body is read (another tenant's gets 404 unread).
  const uploadDomain = new WeakMap<FastifyRequest, DomainRow>();

  async function showForm(req: FastifyRequest, reply: FastifyReply, domain: DomainRow, extra: Record<string, unknown> = {}, status = 200) {
    const [limits, imports] = await Promise.all([planLimitsFor(app.db, domain.customer_id), recentImports(app.db, domain.id)]);
    return render(
      req,
      reply,
      'import',
      {
        title: domain.name,
        domain,
        limits,
        imports,
        minPasswordLength: min,
        maxRows: MAX_CSV_ROWS,
        maxMegabytes: MAX_CSV_BYTES / 1024 / 1024,
        values: { dryRun: 'on' },
        report: null,
        ...extra,
      },
      status,
    );
  }

  // Upload problems (too large, unreadable) are shown on the form; everything else goes to the panel's handler.
  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    const domain = uploadDomain.get(req);
    if (domain && err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return showForm(req, reply, domain, { errors: { file: TOO_LARGE } }, 413);
    if (domain && err instanceof AppError && err.field === 'file') return showForm(req, reply, domain, { errors: { file: err.text } }, err.statusCode);
    throw err;
  });

  app.get('/domains/:domain/import', { schema: { params: DomainParams } }, async (req, reply) => {
    const domain = await getDomainOr404(app.db, req.principal!, req.params.domain);
    return showForm(req, reply, domain);
  });

  app.post(
    '/domains/:domain/import',
    {
      // The multipart parser (upload.ts) brings its own, larger body limit; others keep the global one.
      schema: { params: DomainParams, body: UploadBody },
      onRequest: async (req) => {
        if (!req.principal) throw notFound('Domain');
        uploadDomain.set(req, await getDomainOr404(app.db, req.principal, req.params.domain));
      },
    },
    async (req, reply) => {
      const domain = uploadDomain.get(req)!;
      // The schema checks the file's name and size; upload.ts adds its bytes, which the schema cannot describe.
      const body = req.body as { dryRun?: 'on'; file?: UploadedFile };
      const values = { dryRun: body.dryRun };
      if (!body.file) return showForm(req, reply, domain, { values, errors: { file: 'Choose a CSV file to upload.' } }, 400);
      const prepared = await attempt(() => prepareImport(app.db, req.principal!, domain.name, body.file!.bytes, min));
      if (!prepared.ok) return showForm(req, reply, domain, { values, errors: prepared.errors }, prepared.status);
      const { layout } = prepared.value;
      const file = { name: body.file.filename, rows: prepared.value.rows.length, ignored: layout.ignored, hasHeader: layout.hasHeader };

      if (body.dryRun === 'on') {
        const rows = await dryRun(app.db, prepared.value);
        const fine = rows.filter((r) => r.ok).length;
        // After a dry run the next upload is meant to be the real one.
        return showForm(req, reply, domain, { values: {}, file, report: reportView(fromDryRun(rows)), dryRunDone: { fine, problems: rows.length - fine } });
      }
      const started = await attempt(() => startImport(app.db, app.queues, req.principal!, prepared.value));
      if (!started.ok) {
        return showForm(req, reply, domain, { values, file, errors: started.errors, report: reportView(fromDryRun(prepared.value.rows)) }, started.status);
      }
      return redirectAfterPost(req, reply, `/imports/${started.value}`);
    },
  );

  app.get('/imports/:id', { schema: { params: IdParams } }, async (req, reply) => {
    const { id } = req.params;
    const imp = await getImportOr404(app.db, req.principal!, id);
    const lines: ReportLine[] = finished(imp) ? fromReport((await getReport(app.db, id)).report) : [];
    const data = {
      title: `Import ${imp.id}`,
      imp,
      finished: finished(imp),
      report: finished(imp) ? reportView(lines) : null,
      mine: imp.created_by !== null && imp.created_by === req.principal!.actor.userId,
    };
    // htmx polls only the status box; it stops when a finished one (without its trigger) replaces it.
    return renderPageOrFragment(req, reply, 'import-status', { 'import-status': 'partials/import-progress' }, data);
  });

  app.get('/imports/:id/report.csv', { schema: { params: IdParams } }, async (req, reply) => {
    const { id } = req.params;
    const imp = await getImportOr404(app.db, req.principal!, id);
    const lines = fromReport((await getReport(app.db, id)).report);
    // The problems in the reader's language, as the page shows them.
    const { t } = pageContext(req);
    const rows = lines.map((l) => [l.line, l.address, l.status, l.problems.map((p) => `${p.field}: ${t(p.message)}`).join('; ')]);
    return csvReply(reply, `import-${imp.id}-report.csv`).send(toCsv([['line', 'address', 'result', 'problems'], ...rows]));
  });

  // A POST (with the panel's CSRF check): handing the passwords out deletes them, so no link, prefetch
  // or crawler may trigger it, and another site cannot make the browser fetch (and lose) them.
  app.post('/imports/:id/passwords.csv', { schema: { params: IdParams, body: formSchema({}) } }, async (req, reply) => {
    const { id } = req.params;
    await getImportOr404(app.db, req.principal!, id);
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new AppError('forbidden', 'Open the download link from the import page.');
    const { imp, passwords } = await takePasswords(app.db, req.principal!, id);
    if (!passwords) {
      return render(
        req,
        reply,
        'error',
        {
          status: 410,
          message: 'The generated passwords were already downloaded: they are handed out only once. Set a new password on a mailbox whose password was lost.',
        },
        410,
      );
    }
    return csvReply(reply, `import-${imp.id}-passwords.csv`).send(toCsv([['address', 'password'], ...passwords.map((p) => [p.address, p.password])]));
  });

  app.get('/domains/:domain/export.csv', { schema: { params: DomainParams } }, async (req, reply) => {
    const { filename, lines } = await exportMailboxes(app.db, req.principal!, req.params.domain);
    return csvReply(reply, filename).send(Readable.from(lines));
  });
};
