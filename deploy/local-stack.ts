// A real Dovecot + Postfix on loopback, reading one mailpanel database through the panel's views:
// for `npm run stack` (trying the product with real mail) and for the end-to-end tests.
//
// startMailStack() renders the production templates (deploy/dovecot, deploy/postfix) plus the
// instance files of deploy/local/ into a fresh temp dir, on the ports asked for or free 127.0.0.1
// ports picked at runtime (several test files may run stacks in parallel), starts `dovecot -c` and
// `postfix -c ... start`, and waits for every banner. stop() ends both by the PIDs in their pid files
// (never by process name) and removes the dir. Needs root and the packages of MAIL_STACK_PACKAGES.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS, renderDeploy, renderText } from './render.js';
import { maildirFor } from '../server/core/address.js';
import { projectPath } from '../server/platform/paths.js';

const RIG_DIR = projectPath('deploy', 'local');

/** Debian 12's packages the stack runs on (test/mail-stack/install.sh installs them for CI). */
export const MAIL_STACK_PACKAGES = [
  'dovecot-core',
  'dovecot-imapd',
  'dovecot-pop3d',
  'dovecot-lmtpd',
  'dovecot-pgsql',
  'dovecot-managesieved',
  'dovecot-sieve',
  'postfix',
  'postfix-pgsql',
];
const DOVECOT = '/usr/sbin/dovecot';
const POSTFIX = '/usr/sbin/postfix';

export interface MailStackOptions {
  /** The mailpanel database Dovecot and Postfix read (its name is taken from the path). */
  databaseUrl: string;
  /** Where Postfix asks check_policy_service (127.0.0.1 unless policyHost says otherwise). */
  policyPort: number;
  policyHost?: string;
  /** Default: <dir>/vmail. Created and handed to MAIL_UID:MAIL_GID. */
  mailRoot?: string;
  /** Overrides for the production template's other placeholders (e.g. POLICY_DEFAULT_ACTION). */
  vars?: Partial<Record<keyof typeof DEFAULTS, string>>;
  /** Fixed ports (npm run stack); the others are picked free. */
  ports?: Partial<MailStackPorts>;
}

export interface MailStackPorts {
  imap: number;
  pop3: number;
  /** Postfix delivers here. */
  lmtp: number;
  /** The panel's notice path: deliveries here ignore the quota. */
  lmtpNotice: number;
  smtp: number;
  /** Dovecot's own quota-status policy service (-p postfix). */
  quotaStatus: number;
  /** Postfix's submission service: mailboxes send with their credentials (SASL through Dovecot). */
  submission: number;
  /** Dovecot's auth listener that submission asks. */
  auth: number;
  /** ManageSieve: mail programs set filters and vacation replies. */
  sieve: number;
}

export interface MailStack {
  dir: string;
  mailRoot: string;
  ports: MailStackPorts;
  /** Maildir of an address (MAIL_ROOT/<domain>/<local>/Maildir, as the panel's maildir column says). */
  maildirOf(address: string): string;
  /** The rig's log files, for a failing test's message. */
  logs(): Promise<string>;
  stop(): Promise<void>;
}

/** True when the packages are there (test/mail-stack/install.sh). */
export const mailStackInstalled = () => existsSync(DOVECOT) && existsSync(POSTFIX);

export async function startMailStack(opts: MailStackOptions): Promise<MailStack> {
  if (!mailStackInstalled()) throw new Error(`Dovecot/Postfix are not installed: apt-get install -y ${MAIL_STACK_PACKAGES.join(' ')}`);
  if (process.getuid?.() !== 0) throw new Error('the mail stack needs root (Dovecot switches to the mail uid, Postfix to its own user)');
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      lastError = err;
      // Another process may have taken a port between picking and binding it: pick again.
      if (!/Address already in use/.test(String((err as Error).message))) throw err;
    }
  }
  throw lastError;
}

async function startOnce(opts: MailStackOptions): Promise<MailStack> {
  const started = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'mailpanel-stack-'));
  try {
    await chmod(dir, 0o755); // Dovecot's unprivileged processes must reach base_dir below it
    const { mailRoot, ports } = await prepare(dir, opts);
    return await launch(dir, mailRoot, ports, started);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Renders the configuration into dir and creates the directories the daemons need. */
async function prepare(dir: string, opts: MailStackOptions): Promise<{ mailRoot: string; ports: MailStackPorts }> {
  const mailRoot = opts.mailRoot ?? join(dir, 'vmail');
  const [imap, pop3, lmtp, lmtpNotice, smtp, quotaStatus, events, submission, auth, sieve] = await freePorts(10);
  const ports: MailStackPorts = { imap, pop3, lmtp, lmtpNotice, smtp, quotaStatus, submission, auth, sieve, ...opts.ports };
  const db = new URL(opts.databaseUrl);
  const name = `mp-${dir.slice(-6).replace(/[^A-Za-z0-9]/g, 'x')}`;

  const { vars } = await renderDeploy(dir, {
    DB_HOST: db.hostname || '127.0.0.1',
    DB_PORT: db.port || '5432',
    DB_NAME: decodeURIComponent(db.pathname.slice(1)),
    MAIL_ROOT: mailRoot,
    DOVECOT_DIR: join(dir, 'dovecot'),
    POSTFIX_DIR: join(dir, 'postfix'),
    LMTP_ADDRESS: '127.0.0.1',
    PORT_LMTP: String(ports.lmtp),
    NOTICE_LMTP_ADDRESS: '127.0.0.1',
    PORT_LMTP_NOTICE: String(ports.lmtpNotice),
    QUOTA_STATUS_ADDRESS: '127.0.0.1',
    PORT_QUOTA_STATUS: String(ports.quotaStatus),
    LMTP_HOST: '127.0.0.1',
    POLICY_HOST: opts.policyHost ?? '127.0.0.1',
    POLICY_PORT: String(opts.policyPort),
    // Where Dovecot posts expunge events (a node worker's DOVECOT_EVENTS_PORT); free unless asked for.
    EVENTS_PORT: String(events),
    MAIL_GROUP: await groupName(Number(opts.vars?.MAIL_GID ?? DEFAULTS.MAIL_GID)),
    // Submission on loopback without TLS (plaintext AUTH is allowed on the rig only).
    SUBMISSION_LISTEN: `127.0.0.1:${ports.submission}`,
    SUBMISSION_TLS: 'none',
    AUTH_ADDRESS: '127.0.0.1',
    PORT_AUTH: String(ports.auth),
    ...opts.vars,
  });
  const rigVars = {
    ...vars,
    INSTANCE_DIR: dir,
    INSTANCE_NAME: name,
    PORT_IMAP: String(ports.imap),
    PORT_POP3: String(ports.pop3),
    PORT_SMTP: String(ports.smtp),
    PORT_SIEVE: String(ports.sieve),
  };
  const rig = async (file: string) => renderText(await readFile(join(RIG_DIR, file), 'utf8'), rigVars, `deploy/local/${file}`);
  await writeFile(join(dir, 'dovecot', 'dovecot.conf'), await rig('dovecot.conf'));
  // main.cf = the rig's instance settings + the production lines, as an operator would append them
  const production = await readFile(join(dir, 'postfix', 'main.cf.mailpanel'), 'utf8');
  await writeFile(join(dir, 'postfix', 'main.cf'), `${await rig('postfix/main.cf')}\n${production}`);
  // master.cf likewise: the rig's services + the production submission service
  const submissionService = await readFile(join(dir, 'postfix', 'master.cf.mailpanel'), 'utf8');
  await writeFile(join(dir, 'postfix', 'master.cf'), `${await rig('postfix/master.cf')}\n${submissionService}`);
  await backdate(join(dir, 'postfix'));

  for (const sub of ['run', 'log', 'state/dovecot', 'postfix-spool', 'postfix-data']) await mkdir(join(dir, sub), { recursive: true });
  await chown(join(dir, 'postfix-data'), ...(await systemIds('postfix')));
  await mkdir(mailRoot, { recursive: true });
  await chown(mailRoot, Number(vars.MAIL_UID), Number(vars.MAIL_GID));
  await chmod(mailRoot, 0o770);
  return { mailRoot, ports };
}

/** Starts both daemons and waits for every banner; on failure stops what started and says why. */
async function launch(dir: string, mailRoot: string, ports: MailStackPorts, started: number): Promise<MailStack> {
  const stack: MailStack = {
    dir,
    mailRoot,
    ports,
    maildirOf: (address) => {
      const at = address.lastIndexOf('@');
      return join(mailRoot, maildirFor(address.slice(0, at), address.slice(at + 1)), 'Maildir');
    },
    logs: async () => {
      const read = (f: string) => readFile(join(dir, 'log', f), 'utf8').catch(() => '');
      const files = ['dovecot-start.log', 'dovecot.log', 'postfix-start.log', 'postfix.log'];
      return (await Promise.all(files.map(async (f) => `--- ${f}\n${await read(f)}`))).join('\n');
    },
    stop: () => stopStack(dir, onExit),
  };
  // A worker that dies without afterAll must not leave daemons behind.
  const onExit = () => {
    for (const pid of pidsNow(dir)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
  };
  process.once('exit', onExit);

  try {
    await Promise.all([
      startDaemon(join(dir, 'log', 'dovecot-start.log'), DOVECOT, ['-c', join(dir, 'dovecot', 'dovecot.conf')]),
      startDaemon(join(dir, 'log', 'postfix-start.log'), POSTFIX, ['-c', join(dir, 'postfix'), 'start']),
    ]);
    await Promise.all([
      waitForBanner(ports.imap, '* OK'),
      waitForBanner(ports.pop3, '+OK'),
      waitForBanner(ports.lmtp, '220 '),
      waitForBanner(ports.lmtpNotice, '220 '),
      waitForBanner(ports.smtp, '220 '),
      waitForBanner(ports.submission, '220 '),
      waitForBanner(ports.sieve, '"IMPLEMENTATION"'),
      waitForBanner(ports.quotaStatus, null),
    ]);
  } catch (err) {
    const logs = await stack.logs();
    await stack.stop().catch(() => {});
    throw new Error(`mail stack did not start: ${(err as Error).message}\n${logs}`);
  }
  if (process.env.MAIL_STACK_DEBUG) console.log(`mail stack up in ${Date.now() - started} ms: ${dir} ${JSON.stringify(ports)}`);
  return stack;
}

/**
 * Runs a daemon's start command and waits for that command (not the daemon) to exit. Its output goes
 * to a file: the daemonized master keeps stderr open, so a pipe to it would never close.
 */
async function startDaemon(logFile: string, bin: string, args: string[]): Promise<void> {
  const fd = openSync(logFile, 'a');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(bin, args, { stdio: ['ignore', fd, fd] });
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('error', reject);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    if (code !== 0) throw new Error(`${bin} ${args.join(' ')} exited with ${code}: ${await readFile(logFile, 'utf8').catch(() => '')}`);
  } finally {
    closeSync(fd);
  }
}

const pidFiles = (dir: string) => [join(dir, 'postfix-spool', 'pid', 'master.pid'), join(dir, 'run', 'dovecot', 'master.pid')];

async function readPid(file: string): Promise<number | null> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 1 ? pid : null;
}

/** Synchronous, for the process exit hook. */
function pidsNow(dir: string): number[] {
  return pidFiles(dir)
    .map((f) => {
      try {
        return Number.parseInt(readFileSync(f, 'utf8').trim(), 10);
      } catch {
        return NaN;
      }
    })
    .filter((p) => Number.isInteger(p) && p > 1);
}

/** Running, and not a zombie waiting for init to reap it (this machine's init reaps late). */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

async function stopStack(dir: string, onExit: () => void): Promise<void> {
  process.removeListener('exit', onExit);
  // Postfix: SIGTERM to the master (what `postfix stop` does); Dovecot: SIGTERM to the master
  // (what `doveadm stop` does). Each master ends its own children.
  const pids = (await Promise.all(pidFiles(dir).map(readPid))).filter((p): p is number => p !== null);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* not running */
    }
  }
  const deadline = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < deadline) await sleep(50);
  for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
  // (a mailRoot outside dir belongs to the caller and stays)
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

/**
 * Postfix waits (300 ms at a time, up to ~2 s) until a config file it reads is more than a moment
 * old; freshly rendered files are dated back so that startup does not pay for that.
 */
export async function backdate(dir: string): Promise<void> {
  const past = new Date(Date.now() - 60_000);
  for (const f of await readdir(dir)) await utimes(join(dir, f), past, past);
}

/** The name of a group id (the dict socket is opened to the mail group by name). */
async function groupName(gid: number): Promise<string> {
  const line = (await readFile('/etc/group', 'utf8')).split('\n').find((l) => l.split(':')[2] === String(gid));
  if (!line)
    throw new Error(
      `no group with id ${gid}: create the mail user first (groupadd -g ${gid} vmail && useradd -u ${gid} -g ${gid} -M -s /usr/sbin/nologin vmail)`,
    );
  return line.split(':')[0];
}

async function systemIds(user: string): Promise<[number, number]> {
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no system user ${user}`);
  const [, , uid, gid] = line.split(':');
  return [Number(uid), Number(gid)];
}

/** Ports the kernel calls free right now (bound and released at once). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const s = net.createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the port answers with a first line starting with `prefix` (null: accepting is enough). */
async function waitForBanner(port: number, prefix: string | null, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const c = await LineClient.connect(port, 2000);
      try {
        if (prefix === null) return;
        last = await c.readLine();
        if (last.startsWith(prefix)) return;
      } finally {
        c.close();
      }
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(50);
  }
  throw new Error(`port ${port}: no "${prefix ?? 'connect'}" banner (${last})`);
}

// ---------------------------------------------------------------------------------------------
// Tiny line-protocol clients (no extra npm package): SMTP/LMTP, POP3, policy delegation.

/** A socket read line by line (CRLF or LF). */
export class LineClient {
  private buf = '';
  private lines: string[] = [];
  private waiters: Array<{ resolve: (l: string) => void; reject: (e: Error) => void }> = [];
  private ended: Error | null = null;

  private constructor(
    private socket: net.Socket,
    private timeoutMs: number,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, nl).replace(/\r$/, ''));
        this.buf = this.buf.slice(nl + 1);
      }
      this.flush();
    });
    const end = (err?: Error) => {
      this.ended ??= err ?? new Error('connection closed');
      this.flush();
    };
    socket.on('error', end);
    socket.on('close', () => end());
  }

  static connect(port: number, timeoutMs = 10_000, host = '127.0.0.1'): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      const timer = setTimeout(() => socket.destroy(new Error(`connect ${host}:${port} timed out`)), timeoutMs);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new LineClient(socket, timeoutMs));
      });
    });
  }

  private flush() {
    while (this.waiters.length && this.lines.length) this.waiters.shift()!.resolve(this.lines.shift()!);
    if (this.ended) while (this.waiters.length) this.waiters.shift()!.reject(this.ended);
  }

  readLine(): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.waiters.push({
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.flush();
    });
  }

  /** An SMTP/LMTP reply: "250-..." lines up to the last "250 ...". */
  async readReply(): Promise<Reply> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.readLine();
      lines.push(line);
      if (!/^\d{3}-/.test(line)) break;
    }
    const last = lines[lines.length - 1];
    return { code: Number(last.slice(0, 3)), text: lines.map((l) => l.slice(4)).join('\n') };
  }

  write(data: string) {
    this.socket.write(data);
  }

  async command(line: string): Promise<Reply> {
    this.write(`${line}\r\n`);
    return this.readReply();
  }

  close() {
    this.socket.destroy();
  }
}

export interface Reply {
  code: number;
  text: string;
}

export interface SendResult {
  greeting: Reply;
  mailFrom: Reply;
  /** One reply per RCPT TO, in order. */
  rcpt: Reply[];
  /** SMTP: one reply; LMTP: one per accepted recipient; empty when no recipient was accepted. */
  data: Reply[];
  /** The answer to AUTH, when credentials were given (submission). */
  auth?: Reply;
}

/** One SMTP or LMTP transaction; rejections are returned, never thrown. */
export async function sendMail(opts: {
  port: number;
  lmtp?: boolean;
  from: string;
  to: string[];
  message: string;
  timeoutMs?: number /** Declared with MAIL FROM ... SIZE= */;
  size?: number;
  /** Submission: AUTH PLAIN with these before MAIL FROM; a refused AUTH ends the session there. */
  auth?: { user: string; pass: string };
}): Promise<SendResult> {
  const c = await LineClient.connect(opts.port, opts.timeoutMs ?? 15_000);
  try {
    const greeting = await c.readReply();
    const hello = await c.command(`${opts.lmtp ? 'LHLO' : 'EHLO'} client.mailpanel.test`);
    if (hello.code !== 250) throw new Error(`${opts.lmtp ? 'LHLO' : 'EHLO'} refused: ${hello.code} ${hello.text}`);
    let auth: Reply | undefined;
    if (opts.auth) {
      auth = await c.command(`AUTH PLAIN ${Buffer.from(`\0${opts.auth.user}\0${opts.auth.pass}`).toString('base64')}`);
      if (auth.code !== 235) {
        await c.command('QUIT').catch(() => undefined);
        return { greeting, mailFrom: auth, rcpt: [], data: [], auth };
      }
    }
    const mailFrom = await c.command(`MAIL FROM:<${opts.from}>${opts.size ? ` SIZE=${opts.size}` : ''}`);
    const rcpt: Reply[] = [];
    for (const to of opts.to) rcpt.push(await c.command(`RCPT TO:<${to}>`));
    const data: Reply[] = [];
    const accepted = rcpt.filter((r) => r.code >= 200 && r.code < 300).length;
    if (mailFrom.code === 250 && accepted > 0) {
      const go = await c.command('DATA');
      if (go.code !== 354) throw new Error(`DATA refused: ${go.code} ${go.text}`);
      const body = opts.message.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
      c.write(`${body}${body.endsWith('\r\n') ? '' : '\r\n'}.\r\n`);
      for (let i = 0; i < (opts.lmtp ? accepted : 1); i++) data.push(await c.readReply());
    }
    await c.command('QUIT').catch(() => undefined);
    return { greeting, mailFrom, rcpt, data, ...(auth && { auth }) };
  } finally {
    c.close();
  }
}

/** An RFC 5322 message with CRLF line endings; `padTo` pads the body to about that many bytes. */
export function makeMessage(opts: { from: string; to: string; subject: string; body?: string; padTo?: number }): string {
  const head = [
    `From: <${opts.from}>`,
    `To: <${opts.to}>`,
    `Subject: ${opts.subject}`,
    `Message-ID: <${Math.random().toString(36).slice(2)}@mailpanel.test>`,
    `Date: ${new Date().toUTCString()}`,
    '',
    '',
  ].join('\r\n');
  let body = `${opts.body ?? 'Hello from the mailpanel tests.'}\r\n`;
  if (opts.padTo && opts.padTo > head.length + body.length) {
    const line = `${'x'.repeat(76)}\r\n`;
    const missing = opts.padTo - head.length - body.length;
    body += line.repeat(Math.floor(missing / line.length)) + 'y'.repeat(Math.max(0, (missing % line.length) - 2)) + '\r\n';
  }
  return head + body;
}

/** A ManageSieve AUTHENTICATE "PLAIN" login (RFC 5804); returns the server's answer. */
export async function sieveLogin(port: number, user: string, pass: string): Promise<{ ok: boolean; reply: string }> {
  const c = await LineClient.connect(port);
  try {
    // The greeting lists capabilities, one per line, and ends with OK.
    for (let line = await c.readLine(); !line.startsWith('OK'); line = await c.readLine()) {
      if (line.startsWith('NO') || line.startsWith('BYE')) throw new Error(`ManageSieve greeting: ${line}`);
    }
    c.write(`AUTHENTICATE "PLAIN" "${Buffer.from(`\0${user}\0${pass}`).toString('base64')}"\r\n`);
    const reply = await c.readLine();
    c.write('LOGOUT\r\n');
    return { ok: reply.startsWith('OK'), reply };
  } finally {
    c.close();
  }
}

/** A POP3 USER/PASS login; returns the server's answer to PASS. */
export async function pop3Login(port: number, user: string, pass: string): Promise<{ ok: boolean; reply: string }> {
  const c = await LineClient.connect(port);
  try {
    const greeting = await c.readLine();
    if (!greeting.startsWith('+OK')) throw new Error(`POP3 greeting: ${greeting}`);
    c.write(`USER ${user}\r\n`);
    const u = await c.readLine();
    if (!u.startsWith('+OK')) return { ok: false, reply: u };
    c.write(`PASS ${pass}\r\n`);
    const reply = await c.readLine();
    c.write('QUIT\r\n');
    return { ok: reply.startsWith('+OK'), reply };
  } finally {
    c.close();
  }
}

export interface PolicyStub {
  port: number;
  /** Every request seen (attribute maps), oldest first. */
  requests: Record<string, string>[];
  close(): Promise<void>;
}

/**
 * A minimal Postfix policy delegation server (SMTPD_POLICY_README): answers `decide(attrs)`
 * (default DUNNO) to every request; a stand-in for the panel's policy service.
 */
export async function startPolicyStub(decide: (attrs: Record<string, string>) => string = () => 'DUNNO', port = 0): Promise<PolicyStub> {
  const requests: Record<string, string>[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    sock.setEncoding('utf8');
    let buf = '';
    let attrs: Record<string, string> = {};
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (line === '') {
          requests.push(attrs);
          sock.write(`action=${decide(attrs)}\n\n`);
          attrs = {};
        } else {
          const eq = line.indexOf('=');
          if (eq > 0) attrs[line.slice(0, eq)] = line.slice(eq + 1);
        }
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
