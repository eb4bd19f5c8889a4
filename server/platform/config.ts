import path from 'node:path';
import { type AllowList, parseAllowList } from '../core/webhooks/targets.js';

export const ROLES = ['web', 'worker', 'policy'] as const;
export type Role = (typeof ROLES)[number];

export interface Config {
  host: string;
  port: number;
  publicUrl: string;
  databaseUrl: string;
  redisUrl: string;
  roles: Role[];
  mailRoot: string;
  /** Prefix for every Redis key (BullMQ queues, throttles), so several installs or test files can share one Redis. */
  redisPrefix: string;
  cookieSecure: boolean;
  /** Apply pending migrations at start (default); false when they run as their own deploy step (`npm run cli -- migrate`). */
  migrateOnStart: boolean;
  /** Lets /metrics be read from other hosts with this bearer token. */
  metricsToken: string | null;
  /** A process without the web role serves /metrics on 127.0.0.1:this port; null = not at all. */
  metricsPort: number | null;
  /** Addresses of reverse proxies whose X-Forwarded-For is believed; empty = none. */
  trustProxy: string[];
  sessionIdleSeconds: number;
  sessionAbsoluteSeconds: number;
  minPasswordLength: number;
  logLevel: string;
  policyHost: string;
  policyPort: number;
  /** The answer for a full mailbox, e.g. "452 4.2.2 Mailbox full" to make senders retry instead of bounce. */
  policyFullReply: string;
  /** How long a recipient check may wait for the database before answering DEFER_IF_PERMIT. */
  policyDeadlineMs: number;
  /** Send limits: what a sender's message gets while Redis (the counters) does not answer, and how long a count may take. */
  sendLimitsRedisDown: 'open' | 'closed';
  sendLimitsTimeoutMs: number;
  /** Outgoing mail is suspended at this many send-limit breaches within a day; 0 = never automatically. */
  sendLimitSuspendAfter: number;
  /** The storage node whose mail directories this process's worker scans. */
  node: string;
  scanIntervalMinutes: number;
  fullScanHours: number;
  sampleRetentionDays: number;
  scanConcurrency: number;
  /** Let the kernel (inotify) say which Maildirs changed between verification rounds; off for NFS. */
  scanWatch: boolean;
  /** How long a job may go without a heartbeat before another worker takes it over (BullMQ stalled check). */
  stalledMs: number;
  /** How long a graceful stop may take before the process exits anyway (SIGTERM → exit). */
  shutdownTimeoutMs: number;
  /** The relay quota warnings are sent through. */
  smtpUrl: string;
  alertFrom: string;
  /**
   * Dovecot's LMTP listener that ignores the quota, so a full mailbox still gets its notice. It defaults to
   * the address deploy/ gives it; null (NOTICE_LMTP_URL=none) sends notices through smtpUrl, where our own
   * policy service refuses the one to a full mailbox.
   */
  noticeLmtpUrl: string | null;
  alertRatePerMinute: number;
  alertRetryBaseMs: number;
  /** Webhooks: the first retry delay (doubling, with jitter, for a day), the answer's deadline, and the private targets the operator allows. */
  webhookRetryBaseMs: number;
  webhookTimeoutMs: number;
  webhookAllow: AllowList;
  /** Where this node's worker hears Dovecot's expunge events (127.0.0.1:PORT); null = not at all. */
  dovecotEventsPort: number | null;
  /** Dovecot's admin command on this node (with `-c FILE` when its config is not the default). */
  doveadm: string[];
  /** Disk and Dovecot's count may differ by this much before a mailbox counts as drifted and is recounted. */
  driftBytes: number;
  /** What mail clients are told to connect to, shown beside the protocol switches. */
  client: { host: string; imapPort: number; pop3Port: number; smtpPort: number };
}

type Env = Record<string, string | undefined>;

export const NODE_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Reads the whole configuration from the environment and lists every problem at once. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const str = (name: string, fallback: string) => (env[name] ?? '').trim() || fallback;
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return n;
  };
  const bool = (name: string, fallback: boolean) => {
    const raw = env[name]?.trim().toLowerCase();
    if (!raw) return fallback;
    if (['1', 'true', 'yes'].includes(raw)) return true;
    if (['0', 'false', 'no'].includes(raw)) return false;
    problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  };
  const url = (name: string, fallback: string, protocols: string[]) => {
    const raw = str(name, fallback);
    try {
      const u = new URL(raw);
      if (!protocols.includes(u.protocol)) problems.push(`${name} must use ${protocols.join(' or ')}, got "${u.protocol}"`);
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    return raw;
  };

  const allowList = (raw: string) => {
    const parsed = parseAllowList(raw);
    if (!parsed) problems.push('WEBHOOK_ALLOW_HOSTS must list host names, addresses or CIDR ranges, comma-separated');
    return parsed ?? { hosts: [], cidrs: [] };
  };
  const port = int('PORT', 8080, 1, 65535);
  const host = str('HOST', '127.0.0.1');
  const roleList = str('ROLES', ROLES.join(','))
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const roles = roleList.filter((r): r is Role => (ROLES as readonly string[]).includes(r));
  for (const r of roleList) if (!roles.includes(r as Role)) problems.push(`ROLES: unknown role "${r}" (known: ${ROLES.join(', ')})`);
  if (roleList.length === 0) problems.push(`ROLES must name at least one of ${ROLES.join(', ')}`);

  const config: Config = {
    host,
    port,
    publicUrl: url('PUBLIC_URL', `http://${host}:${port}`, ['http:', 'https:']).replace(/\/+$/, ''),
    databaseUrl: url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/mailpanel', ['postgres:', 'postgresql:']),
    redisUrl: url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    roles: [...new Set(roles)],
    mailRoot: path.resolve(str('MAIL_ROOT', '/var/vmail')),
    redisPrefix: str('REDIS_PREFIX', 'mailpanel'),
    cookieSecure: bool('COOKIE_SECURE', true),
    migrateOnStart: bool('MIGRATE_ON_START', true),
    metricsToken: env.METRICS_TOKEN?.trim() || null,
    metricsPort: env.METRICS_PORT?.trim() ? int('METRICS_PORT', 9464, 1, 65535) : null,
    trustProxy: str('TRUST_PROXY', '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    sessionIdleSeconds: int('SESSION_IDLE_SECONDS', 30 * 60, 60, 7 * 86400),
    sessionAbsoluteSeconds: int('SESSION_ABSOLUTE_SECONDS', 12 * 3600, 300, 30 * 86400),
    minPasswordLength: int('MIN_PASSWORD_LENGTH', 10, 8, 128),
    logLevel: str('LOG_LEVEL', 'info'),
    policyHost: str('POLICY_HOST', '127.0.0.1'),
    policyPort: int('POLICY_PORT', 10031, 1, 65535),
    policyFullReply: str('POLICY_FULL_REPLY', '552 5.2.2 Mailbox full'),
    policyDeadlineMs: int('POLICY_DEADLINE_MS', 1000, 10, 60_000),
    sendLimitsRedisDown: str('SEND_LIMITS_REDIS_DOWN', 'open') as Config['sendLimitsRedisDown'],
    sendLimitsTimeoutMs: int('SEND_LIMITS_TIMEOUT_MS', 250, 10, 10_000),
    sendLimitSuspendAfter: int('SEND_LIMIT_SUSPEND_AFTER', 3, 0, 1000),
    node: str('STORAGE_NODE', 'local'),
    scanIntervalMinutes: int('SCAN_INTERVAL_MINUTES', 15, 1, 24 * 60),
    fullScanHours: int('FULL_SCAN_HOURS', 24, 1, 24 * 30),
    sampleRetentionDays: int('SAMPLE_RETENTION_DAYS', 90, 1, 3650),
    scanConcurrency: int('SCAN_CONCURRENCY', 32, 1, 256),
    scanWatch: bool('SCAN_WATCH', true),
    stalledMs: int('STALLED_MS', 30_000, 500, 600_000),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 25_000, 100, 3_600_000),
    smtpUrl: url('SMTP_URL', 'smtp://127.0.0.1:25', ['smtp:', 'smtps:']),
    alertFrom: str('ALERT_FROM', 'mailpanel <postmaster@localhost>'),
    noticeLmtpUrl: env.NOTICE_LMTP_URL?.trim() === 'none' ? null : url('NOTICE_LMTP_URL', 'lmtp://127.0.0.1:2424', ['lmtp:']),
    alertRatePerMinute: int('ALERT_RATE_PER_MINUTE', 600, 1, 1_000_000),
    alertRetryBaseMs: int('ALERT_RETRY_BASE_MS', 30_000, 10, 3_600_000),
    webhookRetryBaseMs: int('WEBHOOK_RETRY_BASE_MS', 30_000, 10, 3_600_000),
    webhookTimeoutMs: int('WEBHOOK_TIMEOUT_MS', 5_000, 100, 60_000),
    webhookAllow: allowList(str('WEBHOOK_ALLOW_HOSTS', '')),
    doveadm: str('DOVEADM', 'doveadm').split(/\s+/),
    dovecotEventsPort: env.DOVECOT_EVENTS_PORT?.trim() === '0' ? null : int('DOVECOT_EVENTS_PORT', 9466, 0, 65535),
    driftBytes: int('DRIFT_THRESHOLD_BYTES', 1024 * 1024, 0, Number.MAX_SAFE_INTEGER),
    client: {
      host: str('MAIL_CLIENT_HOST', safeHostname(str('PUBLIC_URL', `http://${host}:${port}`))),
      imapPort: int('MAIL_CLIENT_IMAP_PORT', 993, 1, 65535),
      pop3Port: int('MAIL_CLIENT_POP3_PORT', 995, 1, 65535),
      smtpPort: int('MAIL_CLIENT_SMTP_PORT', 587, 1, 65535),
    },
  };
  if (!/^[45]\d\d [45]\.\d{1,3}\.\d{1,3} \S/.test(config.policyFullReply))
    problems.push(`POLICY_FULL_REPLY must be a 4xx or 5xx reply with an enhanced status code, like "552 5.2.2 Mailbox full"`);
  if (!['open', 'closed'].includes(config.sendLimitsRedisDown))
    problems.push(`SEND_LIMITS_REDIS_DOWN must be open (mail goes through uncounted) or closed (mail is deferred), got "${config.sendLimitsRedisDown}"`);
  if (!NODE_NAME.test(config.node)) problems.push(`STORAGE_NODE must be 1-32 lowercase letters, digits or "-", got "${config.node}"`);
  if (!/^[a-z0-9:_-]+$/i.test(config.redisPrefix)) problems.push('REDIS_PREFIX may hold only letters, digits, ":", "_" and "-"');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel))
    problems.push(`LOG_LEVEL "${config.logLevel}" is not a pino level`);
  if (problems.length) throw new ConfigError(problems);
  return config;
}

function safeHostname(raw: string): string {
  try {
    return new URL(raw).hostname;
  } catch {
    return 'localhost';
  }
}

/** The address part of a URL without credentials, for messages. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.hostname}:${u.port || (u.protocol.startsWith('postgres') ? 5432 : 6379)}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

/** For entry points: the configuration, or every problem printed and exit code 2. */
export function loadConfigOrExit(env: Env = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}
