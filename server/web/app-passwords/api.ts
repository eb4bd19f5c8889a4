import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { PROTOCOLS, createAppPassword, listAppPasswords, revokeAppPassword } from '../../services/app-passwords/service.js';
import { errorResponses, oneOf } from '../api/schemas.js';
import { MailboxParams } from '../mailboxes/schemas.js';

const Params = Type.Object({ address: Type.String({ minLength: 3, maxLength: 400 }), id: Type.String({ pattern: '^[a-z0-9]{8}$' }) });
const Protocols = Type.Array(oneOf(PROTOCOLS), { minItems: 1, maxItems: PROTOCOLS.length, uniqueItems: true });
const Fields = {
  id: Type.String(),
  name: Type.String(),
  protocols: Type.Array(Type.String()),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  networks: Type.Array(Type.String(), { description: 'client networks (CIDR) it may sign in from; empty: any' }),
  createdAt: Type.String({ format: 'date-time' }),
};
const AppPassword = Type.Object(Fields);
const Created = Type.Object({
  ...Fields,
  password: Type.String({ description: 'shown only in this answer; the mail program signs in with the address and this' }),
});
const Create = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    protocols: Protocols,
    expiresAt: Type.Optional(Type.Union([Type.String({ maxLength: 40, description: 'ISO 8601, e.g. 2027-06-30T23:59:59Z' }), Type.Null()])),
    networks: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 20 })),
  },
  { additionalProperties: false },
);

type Row = Awaited<ReturnType<typeof listAppPasswords>>[number];
export const appPasswordView = (a: Row) => ({
  id: a.id,
  name: a.name,
  protocols: a.protocols,
  expiresAt: a.expires_at ? new Date(a.expires_at).toISOString() : null,
  networks: a.allow_nets ? a.allow_nets.split(',') : [],
  createdAt: a.created_at.toISOString(),
});

/** App passwords of a mailbox: a password per mail program, limited to protocols, a date and networks. */
export const appPasswordsApi: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['mailboxes'];
  app.get(
    '/mailboxes/:address/app-passwords',
    { schema: { tags, params: MailboxParams, response: { 200: Type.Object({ items: Type.Array(AppPassword) }), ...errorResponses } } },
    async (req) => ({ items: (await listAppPasswords(app.db, req.principal!, req.params.address)).map(appPasswordView) }),
  );
  app.post(
    '/mailboxes/:address/app-passwords',
    { schema: { tags, params: MailboxParams, body: Create, response: { 201: Created, ...errorResponses } } },
    async (req, reply) => {
      const a = await createAppPassword(app.db, req.principal!, req.params.address, req.body);
      return reply.code(201).send({ ...appPasswordView(a), password: a.password });
    },
  );
  app.delete(
    '/mailboxes/:address/app-passwords/:id',
    { schema: { tags, params: Params, response: { 204: Type.Null(), ...errorResponses } } },
    async (req, reply) => {
      await revokeAppPassword(app.db, req.principal!, req.params.address, req.params.id);
      return reply.code(204).send(null);
    },
  );
};
