import { Type } from 'typebox';
import { MAX_SEND_LIMIT } from '../../core/send-limits.js';
import { Bytes, PageQuery, Strict, oneOf } from '../api/schemas.js';

export const Usage = Type.Object({
  usedBytes: Type.Union([Type.Integer(), Type.Null()]),
  messages: Type.Union([Type.Integer(), Type.Null()]),
  quotaBytes: Type.Integer(),
  percent: Type.Union([Type.Number(), Type.Null()]),
  level: Type.Union([Type.String(), Type.Null()], { description: 'ok, 80, 90, 95 or full; null until measured' }),
  scannedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'when the current figure was measured' }),
  source: Type.Union([Type.Literal('scan'), Type.Literal('dovecot'), Type.Null()], {
    description: "the current figure's origin: a scan of the disk, or Dovecot's own count reported at the change",
  }),
  diskBytes: Type.Union([Type.Integer(), Type.Null()], { description: 'what the last scan found on the disk' }),
  diskScannedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  drift: Type.Union(
    [Type.Object({ bytes: Type.Integer({ description: "disk minus Dovecot's count" }), at: Type.String({ format: 'date-time' }) }), Type.Null()],
    {
      description: "set while the last scan found the disk and Dovecot's count apart by more than the threshold; Dovecot is then asked to recount",
    },
  ),
});

export const Folder = Type.Object({
  name: Type.String({ description: 'as an IMAP client shows it: INBOX, Trash, Archive/2024' }),
  bytes: Type.Integer(),
  messages: Type.Integer(),
});

const Limit = Type.Union([Type.Integer({ minimum: 1, maximum: MAX_SEND_LIMIT }), Type.Null()], { description: 'null: no limit' });
/** Send limits, on a plan and (its own, over the plan's) on a mailbox. */
export const SendLimits = Type.Object(
  {
    perHour: Limit,
    perDay: Limit,
    recipientsPerMessage: Limit,
  },
  {
    ...Strict,
    description:
      'Messages per hour and per day (sliding windows) and recipients per message sent through SMTP submission. A message over a limit is deferred (4xx: its sender keeps it and tries again later), and staff and the customer are told; SEND_LIMIT_SUSPEND_AFTER breaches in a day suspend outgoing mail.',
  },
);

const SUSPENDED =
  'Suspensions apart from active: login (no protocol signs in; mail still arrives), incoming (mail to it is refused), outgoing (no sending; reading and receiving go on).';

export const Mailbox = Type.Object({
  address: Type.String(),
  displayAddress: Type.String(),
  localPart: Type.String(),
  domain: Type.String(),
  quotaBytes: Type.Integer(),
  imap: Type.Boolean(),
  pop3: Type.Boolean(),
  smtp: Type.Boolean({ description: "SMTP submission: sending with the mailbox's credentials" }),
  sieve: Type.Boolean({ description: 'ManageSieve: filters and vacation replies set by its owner' }),
  suspended: Type.Object({ login: Type.Boolean(), incoming: Type.Boolean(), outgoing: Type.Boolean() }, { description: SUSPENDED }),
  mainPasswordProtocols: Type.Array(Type.String(), { description: 'where the main password signs in; app passwords may sign in elsewhere' }),
  outgoingLocked: Type.Boolean({ description: 'sending was suspended after repeated send-limit breaches: only the reseller or the operator lifts it' }),
  sendLimits: Type.Union([SendLimits, Type.Null()], { description: "the mailbox's own send limits; null: its plan's" }),
  effectiveSendLimits: Type.Object(
    { perHour: Limit, perDay: Limit, recipientsPerMessage: Limit },
    { description: "the limits that apply: its own, else its plan's (none without a plan)" },
  ),
  active: Type.Boolean({ description: 'false: suspended altogether (no login, no mail in or out)' }),
  autoPurge: Type.Boolean({ description: "whether the plan's automatic purge of Trash and Junk applies to this mailbox" }),
  node: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  lastLoginAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description:
      'the latest sign-in: IMAP and POP3 as Dovecot recorded them, SMTP submission as the policy service saw it send; per protocol and client address: GET …/logins',
  }),
  usage: Usage,
});

const Password = Type.String({ minLength: 1, maxLength: 1024 });

export const MailboxCreate = Type.Object(
  {
    localPart: Type.String({ minLength: 1, maxLength: 256 }),
    password: Password,
    quotaBytes: Type.Optional(Bytes),
    imap: Type.Optional(Type.Boolean()),
    pop3: Type.Optional(Type.Boolean()),
    smtp: Type.Optional(Type.Boolean()),
    sieve: Type.Optional(Type.Boolean()),
  },
  Strict,
);

export const MailboxPatch = Type.Object(
  {
    password: Type.Optional(Password),
    quotaBytes: Type.Optional(Bytes),
    imap: Type.Optional(Type.Boolean()),
    pop3: Type.Optional(Type.Boolean()),
    smtp: Type.Optional(Type.Boolean()),
    sieve: Type.Optional(Type.Boolean()),
    suspended: Type.Optional(
      Type.Object(
        { login: Type.Optional(Type.Boolean()), incoming: Type.Optional(Type.Boolean()), outgoing: Type.Optional(Type.Boolean()) },
        { ...Strict, minProperties: 1, description: `${SUSPENDED} Those left out stay as they are.` },
      ),
    ),
    active: Type.Optional(Type.Boolean()),
    mainPasswordProtocols: Type.Optional(Type.Array(oneOf(['imap', 'pop3', 'smtp', 'sieve'] as const), { maxItems: 4, uniqueItems: true })),
    sendLimits: Type.Optional(Type.Union([SendLimits, Type.Null()], { description: "own send limits over the plan's; null: the plan's again" })),
    autoPurge: Type.Optional(Type.Boolean({ description: "whether the plan's automatic purge of Trash and Junk applies" })),
  },
  { ...Strict, minProperties: 1 },
);

export const MailboxParams = Type.Object({ address: Type.String({ minLength: 3, maxLength: 400 }) });

export const MailboxListQuery = Type.Object({
  ...PageQuery,
  q: Type.Optional(Type.String({ maxLength: 64 })),
  sort: Type.Optional(oneOf(['address', 'quota', 'used', 'fullness', 'created'])),
  order: Type.Optional(oneOf(['asc', 'desc'])),
});

export const Alert = Type.Object({
  kind: Type.String({ description: 'warning, full, reminder or recovered' }),
  level: Type.String({ description: '80, 90, 95, full, free or reminder-N' }),
  usedBytes: Type.Integer(),
  quotaBytes: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  deliveries: Type.Array(
    Type.Object({
      recipient: Type.String({ description: 'mailbox, contact or reseller' }),
      address: Type.String(),
      status: Type.String({ description: 'pending, sending, sent or failed' }),
      attempts: Type.Integer(),
      error: Type.Union([Type.String(), Type.Null()]),
      sentAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    }),
  ),
});

export const Login = Type.Object({
  protocol: Type.String({ description: 'imap or pop3' }),
  ip: Type.String({ description: 'the client address Dovecot saw' }),
  at: Type.String({ format: 'date-time' }),
});

export const Unused = Type.Object({
  address: Type.String(),
  domain: Type.String(),
  customer: Type.String(),
  quotaBytes: Type.Integer(),
  usedBytes: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  lastLoginAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
