import { Type } from 'typebox';
import { Id, Strict, oneOf } from '../api/schemas.js';

export const Customer = Type.Object({
  id: Type.Integer(),
  resellerId: Type.Integer(),
  planId: Type.Union([Type.Integer(), Type.Null()]),
  name: Type.String(),
  contactEmail: Type.String(),
  language: Type.String(),
  active: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const Language = oneOf(['en', 'de']);

export const CustomerCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    contactEmail: Type.String({ minLength: 3, maxLength: 254 }),
    planId: Type.Optional(Type.Union([Id, Type.Null()])),
    language: Type.Optional(Language),
    resellerId: Type.Optional(Id),
  },
  Strict,
);

export const CustomerPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    contactEmail: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
    planId: Type.Optional(Type.Union([Id, Type.Null()])),
    language: Type.Optional(Language),
    active: Type.Optional(Type.Boolean()),
  },
  { ...Strict, minProperties: 1 },
);

export const CustomerParams = Type.Object({ id: Id });
