// Expunges in IMAP sessions that stay open: quota_clone reports them only 10 s later, so Dovecot's
// event exporter posts each `mail_expunged` event here, to the worker beside the mailbox's disk,
// which reads Dovecot's new count from maildirsize and records it as the feed would. The central
// worker's UsageFeed then applies it like any other figure.
import http from 'node:http';
import type { Logger } from 'pino';
import type { Db } from '../../db/database.js';
import { mailboxWithDovecotCount, recordDovecotCount } from '../../db/repositories/usage-feed.js';
import { readDovecotCount } from './maildirsize.js';

export interface EventsOptions {
  db: Db;
  node: string;
  mailRoot: string;
  port: number;
  logger: Logger;
}

/** Events arrive while Dovecot still writes maildirsize: read it shortly after, and once more later. */
const READ_AFTER_MS = [100, 600];
const MAX_BODY = 64 * 1024;

export async function startDovecotEvents(o: EventsOptions): Promise<{ close(): Promise<void> }> {
  const pending = new Map<string, NodeJS.Timeout>();

  async function refresh(user: string, attempt: number) {
    const box = await mailboxWithDovecotCount(o.db, user);
    if (!box || box.node !== o.node) return;
    const count = await readDovecotCount(o.mailRoot, box.maildir);
    if (!count) return;
    if (count.bytes === box.bytes && count.messages === box.messages) {
      // Not written yet (or nothing changed): look once more.
      if (attempt + 1 < READ_AFTER_MS.length) schedule(user, attempt + 1);
      return;
    }
    await recordDovecotCount(o.db, user, count.bytes, count.messages);
  }

  function schedule(user: string, attempt = 0) {
    if (attempt === 0 && pending.has(user)) return; // several expunges at once: one read
    clearTimeout(pending.get(user));
    pending.set(
      user,
      setTimeout(
        () => {
          pending.delete(user);
          refresh(user, attempt).catch((err: Error) => o.logger.warn({ err }, 'dovecot event not applied'));
        },
        READ_AFTER_MS[attempt] - (attempt ? READ_AFTER_MS[attempt - 1] : 0),
      ),
    );
  }

  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/dovecot/events') {
      res.writeHead(404).end();
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
      if (body.length > MAX_BODY) req.destroy();
    });
    req.on('end', () => {
      res.writeHead(204).end();
      try {
        const event = JSON.parse(body) as { event?: string; fields?: { user?: unknown } };
        if (event.event === 'mail_expunged' && typeof event.fields?.user === 'string') schedule(event.fields.user.toLowerCase());
      } catch {
        // Not an event of ours: ignored.
      }
    });
  });
  // Loopback only: Dovecot runs beside this worker, and nobody else may post here.
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      o.logger.warn({ port: o.port, err: err.code }, 'Dovecot events not heard (port taken?): expunges in open IMAP sessions show after 10 s');
      resolve(false);
    });
    server.listen(o.port, '127.0.0.1', () => resolve(true));
  });
  return {
    async close() {
      for (const t of pending.values()) clearTimeout(t);
      if (listening) await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
