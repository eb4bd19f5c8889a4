import { connect } from 'node:net';
// Sends rendered alerts over SMTP and says whether a failure is worth retrying.
import type { Transporter } from 'nodemailer';
import type { AlertKind } from '../core/alerts/decide.js';
import { oneLineSubject } from '../core/alerts/subject.js';

export interface AlertMessage {
  to: string;
  subject: string;
  text: string;
  /** Quota warnings come with HTML too; the panel's own notices (password links) are plain text. */
  html?: string;
  /** Deterministic per delivery, e.g. "<alert-123-mailbox@mailpanel.invalid>", so a resend after a crash is recognisable. */
  messageId: string;
  /** The warning's kind, in X-Mailpanel-Alert; absent for mail that is not a quota warning. */
  kind?: AlertKind;
}

export interface Mailer {
  send(message: AlertMessage): Promise<{ messageId: string }>;
  close(): void;
}

export interface MailerOptions {
  /** Connection, greeting and socket timeout; default 10 s. A stuck relay must not hold a worker for minutes. */
  timeoutMs?: number;
}

/**
 * smtpUrl as nodemailer reads it, e.g. "smtp://relay:25" or "smtps://user:pass@relay:465". Options in the
 * URL's query (?pool=true, ?connectionTimeout=...) win over the defaults here, as nodemailer merges them.
 */
export function createMailer(smtpUrl: string, from: string, options: MailerOptions = {}): Mailer {
  const timeout = options.timeoutMs ?? 10_000;
  // Loaded at the first message: most processes never send one, and nodemailer weighs about 15 MB.
  let transport: Promise<Transporter> | undefined;
  const open = () =>
    (transport ??= import('nodemailer').then(({ default: nodemailer }) =>
      // No pool: alerts come in small bursts from a worker, and a fresh connection per message keeps failures per message.
      nodemailer.createTransport({
        url: smtpUrl,
        pool: false,
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
        dnsTimeout: timeout,
      }),
    ));
  return {
    async send(message) {
      const info = await (await open()).sendMail({
        from,
        to: message.to,
        // Again here, so no caller can pass a subject that adds headers.
        subject: oneLineSubject(message.subject),
        text: message.text,
        html: message.html,
        messageId: message.messageId,
        headers: {
          // RFC 3834: tells vacation responders and mailing lists not to answer or forward.
          'Auto-Submitted': 'auto-generated',
          // Exchange/Outlook ignore Auto-Submitted for out-of-office replies; this header stops those.
          'X-Auto-Response-Suppress': 'All',
          ...(message.kind && { 'X-Mailpanel-Alert': message.kind }),
        },
      });
      return { messageId: String(info.messageId ?? message.messageId) };
    },
    close() {
      void transport?.then(
        (t) => t.close(),
        () => {},
      );
    },
  };
}

export type SmtpFailure = 'temporary' | 'permanent';

// Errors about the connection, DNS, TLS or our own credentials: none says anything about this message,
// so they are retried. Credentials and TLS are our configuration: once it is fixed every alert should still go out.
const TEMPORARY_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNECTION',
  'ESOCKET',
  'EDNS',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ETLS',
  'EPROXY',
  'EAUTH',
  'ENOAUTH',
  'EPROTOCOL',
]);
// The message itself was unusable (no valid recipient, unreadable content): sending it again cannot help.
const PERMANENT_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'ECONFIG', 'EMAXRECIPIENTS']);

export function classifySmtpError(err: unknown): SmtpFailure {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; responseCode?: unknown };
  const reply = typeof e.responseCode === 'number' ? e.responseCode : null;
  const code = typeof e.code === 'string' ? e.code : null;
  if (code === 'EAUTH' || code === 'ENOAUTH') return 'temporary';
  if (reply !== null && reply >= 500 && reply <= 599) {
    // 503 "bad sequence of commands" is about the session, not the message (nodemailer treats it so too).
    return reply === 503 ? 'temporary' : 'permanent';
  }
  if (reply !== null && reply >= 400 && reply <= 499) return 'temporary';
  if (code !== null && TEMPORARY_CODES.has(code)) return 'temporary';
  if (code !== null && PERMANENT_CODES.has(code)) return 'permanent';
  // Unknown failures are retried: the attempts are bounded, and losing a warning to a hiccup is worse.
  return 'temporary';
}

/**
 * Delay before retry number `attempt` (1 = after the first failure): exponential from baseMs, capped at capMs,
 * with "equal jitter" (half fixed, half random) so retries spread out but never come back almost at once.
 */
export function retryDelay(attempt: number, baseMs: number, rng: () => number = Math.random, capMs = 6 * 3_600_000): number {
  const n = Math.max(1, Math.floor(attempt));
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(n - 1, 52));
  const r = Math.min(1, Math.max(0, rng()));
  return Math.round(ceiling / 2 + (ceiling / 2) * r);
}

const DEFAULT_PORTS: Record<string, number> = { 'smtp:': 25, 'smtps:': 465, 'lmtp:': 24 };

/** Whether the relay of an smtp(s):// or lmtp:// URL accepts a TCP connection: null when it does, else why not. */
export function relayProblem(url: string, timeoutMs = 1000): Promise<string | null> {
  const relay = new URL(url);
  const port = Number(relay.port || DEFAULT_PORTS[relay.protocol] || 25);
  return new Promise((resolve) => {
    const socket = connect({ host: relay.hostname, port, timeout: timeoutMs }, () => {
      socket.destroy();
      resolve(null);
    });
    socket.on('timeout', () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}
