// The forms of a mailbox's page post to the same routes in two places: staff under
// /mailboxes/<address>/…, the mailbox owner on its own page under /my/… (with the owner's session).
import type { FastifyReply, FastifyRequest, FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { mailboxPage } from './page.js';

export const AddressParams = Type.Object({ address: Type.String({ minLength: 3, maxLength: 400 }) });

/** Where the routes live, whose mailbox they act on, and which page shows their errors. */
export interface Place {
  prefix: string;
  config: { owner?: boolean };
  params?: typeof AddressParams;
  address: (req: FastifyRequest) => string;
  base: (address: string) => string;
  template: string;
}

export const PLACES: Place[] = [
  {
    prefix: '/mailboxes/:address',
    config: {},
    params: AddressParams,
    address: (req) => (req.params as { address: string }).address,
    base: (address) => `/mailboxes/${address}`,
    template: 'mailbox',
  },
  { prefix: '/my', config: { owner: true }, address: (req) => req.owner!.address, base: () => '/my', template: 'my-mailbox' },
];

/** The place's mailbox page, re-shown with a form's errors. */
export const placePage = (app: FastifyInstance, place: Place) => (req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown>, status: number) =>
  mailboxPage(app, req, reply, place.address(req), extra, status, place.template);
