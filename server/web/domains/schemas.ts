import { Type } from 'typebox';
import { Strict } from '../api/schemas.js';

export const Domain = Type.Object({
  name: Type.String({ description: 'ASCII (punycode) form' }),
  displayName: Type.String({ description: 'Unicode form' }),
  customerId: Type.Integer(),
  active: Type.Boolean(),
  node: Type.String({ description: 'storage node its mailboxes live on' }),
  mailboxes: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const DomainCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 300 }),
    node: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'operator only; default local' })),
  },
  Strict,
);
export const DomainParams = Type.Object({ domain: Type.String({ minLength: 1, maxLength: 300 }) });

export const DeletedMailbox = Type.Object({
  id: Type.Integer(),
  address: Type.String(),
  deletedAt: Type.String({ format: 'date-time' }),
  purgeAfter: Type.String({ format: 'date-time', description: 'restorable until then; removed for good after' }),
  usedBytes: Type.Union([Type.Integer(), Type.Null()], { description: 'last known usage when deleted' }),
  state: Type.Union([Type.Literal('moving'), Type.Literal('kept'), Type.Literal('restoring'), Type.Literal('purging')]),
});
