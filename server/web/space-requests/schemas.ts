import { Type } from 'typebox';
import { Bytes, Id, oneOf } from '../api/schemas.js';

export const STATUSES = ['open', 'approved', 'declined', 'withdrawn'] as const;

export const SpaceRequestParams = Type.Object({ id: Id });
export const SpaceRequestQuery = Type.Object({
  status: Type.Optional(oneOf(STATUSES)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});

export const SpaceRequestCreate = Type.Object(
  {
    bytes: { ...Bytes, description: "The quota asked for: one of the sizes the mailbox's plan offers above its quota." },
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export const SpaceRequestDecline = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500, description: 'Shown to the customer and the mailbox owner.' }) },
  { additionalProperties: false },
);

const Time = Type.String({ format: 'date-time' });
const orNull = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const SpaceRequest = Type.Object({
  id: Type.Integer(),
  mailboxId: Type.Integer(),
  address: Type.String(),
  domain: Type.String(),
  customerId: Type.Integer(),
  fromBytes: Type.Integer({ description: 'The quota when it was asked for.' }),
  requestedBytes: Type.Integer(),
  quotaBytes: Type.Integer({ description: 'The quota now.' }),
  usedBytes: orNull(Type.Integer()),
  note: Type.String(),
  status: oneOf(STATUSES),
  requestedBy: Type.String(),
  decidedBy: orNull(Type.String()),
  reason: orNull(Type.String()),
  createdAt: Time,
  decidedAt: orNull(Time),
});
