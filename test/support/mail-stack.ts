// The end-to-end tests' mail stack: deploy/local-stack.ts on free ports, reading a test database.
import { join } from 'node:path';
import { type MailStack, startMailStack as start, type MailStackOptions } from '../../deploy/local-stack.js';
import { urlFor } from './db-names.js';

export * from '../../deploy/local-stack.js';

export const startMailStack = (opts: Omit<MailStackOptions, 'databaseUrl'> & { databaseName: string }) =>
  start({ ...opts, databaseUrl: urlFor(opts.databaseName) });

/** A worker's settings beside a test app and its mail stack: database, Redis prefix, Maildirs, relay, notice listener, doveadm. */
export function stackWorkerEnv(t: { database: { url: string }; config: { redisPrefix: string } }, stack: MailStack): Record<string, string> {
  return {
    DATABASE_URL: t.database.url,
    REDIS_PREFIX: t.config.redisPrefix,
    MAIL_ROOT: stack.mailRoot,
    SMTP_URL: `smtp://127.0.0.1:${stack.ports.smtp}`,
    NOTICE_LMTP_URL: `lmtp://127.0.0.1:${stack.ports.lmtpNotice}`,
    ALERT_FROM: 'Panel <postmaster@outside.test>',
    DOVEADM: `doveadm -c ${join(stack.dir, 'dovecot', 'dovecot.conf')}`,
  };
}
