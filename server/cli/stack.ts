// `npm run stack`: Dovecot and Postfix from deploy/, on loopback, reading the panel's database, so
// anyone can try mailpanel with real mail beside `npm start`. Stays in the foreground; Ctrl-C or
// SIGTERM stops both. Installs nothing: a missing package or user is named with the line to run.
import { chown, mkdir } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { MAIL_STACK_PACKAGES, mailStackInstalled, startMailStack } from '../../deploy/local-stack.js';
import { DEFAULTS } from '../../deploy/render.js';
import { loadConfigOrExit, redactUrl } from '../platform/config.js';
import { prepareDatabase } from '../startup.js';

function port(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  const n = raw ? Number(raw) : fallback;
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    console.error(`${name} must be a port number, got "${raw}"`);
    process.exit(2);
  }
  return n;
}

async function main() {
  const config = loadConfigOrExit();
  const ports = {
    smtp: port('STACK_SMTP_PORT', 2525),
    imap: port('STACK_IMAP_PORT', 1143),
    pop3: port('STACK_POP3_PORT', 1110),
    lmtpNotice: port('STACK_NOTICE_PORT', 2424),
    submission: port('STACK_SUBMISSION_PORT', 1587),
  };
  if (!mailStackInstalled()) {
    console.error(`Dovecot and Postfix are not installed. As root: apt-get install -y --no-install-recommends ${MAIL_STACK_PACKAGES.join(' ')}`);
    process.exit(1);
  }
  if (process.getuid?.() !== 0) {
    console.error('npm run stack must run as root: Dovecot switches to the mail user for each mailbox, Postfix to its own.');
    process.exit(1);
  }
  const gid = Number(DEFAULTS.MAIL_GID);
  if (
    !readFileSync('/etc/group', 'utf8')
      .split('\n')
      .some((l) => l.split(':')[2] === String(gid))
  ) {
    console.error(
      `No mail user yet. As root: groupadd -g ${gid} vmail && useradd -u ${DEFAULTS.MAIL_UID} -g ${gid} -M -d ${config.mailRoot} -s /usr/sbin/nologin vmail`,
    );
    process.exit(1);
  }
  // The views Dovecot and Postfix read must exist: the same migration `npm start` runs.
  await prepareDatabase(config.databaseUrl).catch((err: Error) => {
    console.error(`cannot prepare the database at ${redactUrl(config.databaseUrl)}: ${err.message}`);
    process.exit(1);
  });
  await mkdir(config.mailRoot, { recursive: true });
  await chown(config.mailRoot, Number(DEFAULTS.MAIL_UID), gid);
  const stack = await startMailStack({
    databaseUrl: config.databaseUrl,
    policyPort: config.policyPort,
    policyHost: config.policyHost,
    mailRoot: config.mailRoot,
    ports,
    // Expunge events go to the worker of `npm start` (DOVECOT_EVENTS_PORT).
    ...(config.dovecotEventsPort !== null && { vars: { EVENTS_PORT: String(config.dovecotEventsPort) } }),
  });
  console.log(`mail stack up (Dovecot and Postfix from deploy/, reading ${redactUrl(config.databaseUrl)}; maildirs in ${config.mailRoot})
  SMTP  127.0.0.1:${stack.ports.smtp}   (Postfix asks mailpanel's policy service at ${config.policyHost}:${config.policyPort})
  IMAP  127.0.0.1:${stack.ports.imap}   POP3  127.0.0.1:${stack.ports.pop3}   Submission  127.0.0.1:${stack.ports.submission}   ManageSieve  127.0.0.1:${stack.ports.sieve}   (plain text, loopback only)
  Notices to full mailboxes: Dovecot's notice listener on 127.0.0.1:${stack.ports.lmtpNotice} (NOTICE_LMTP_URL, default port 2424)
  Logs: ${stack.dir}/log/   Ctrl-C stops both.`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await stack.stop();
    console.log('mail stack stopped');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Keep the foreground: the daemons are children of their own masters.
  setInterval(() => {}, 1 << 30);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
