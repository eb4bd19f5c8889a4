// App passwords on the mailbox page: staff under /mailboxes/<address>, the owner on /my. A new one
// is shown once, on the answer to its form; the list never shows a secret.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { PROTOCOLS, createAppPassword, revokeAppPassword } from '../../services/app-passwords/service.js';
import { updateMailbox } from '../../services/mailboxes/service.js';
import { PLACES, placePage } from '../mailboxes/places.js';
import { attempt, formSchema, text } from '../panel/forms.js';
import { redirectAfterPost } from '../panel/render.js';

/** The mailbox page's notices (merged into its own). */
export const NOTICES: Record<string, string> = {
  'app-password-revoked': 'The app password was revoked: the program using it can no longer sign in.',
  'main-password': 'Saved: the main password works for the protocols chosen.',
};

const Protocol = Type.Union(PROTOCOLS.map((p) => Type.Literal(p)));
const Protocols = Type.Optional(Type.Union([Protocol, Type.Array(Protocol, { maxItems: PROTOCOLS.length })]));
const CreateForm = formSchema({ name: Type.String({ maxLength: 100 }), protocols: Protocols, expiresOn: text(10), networks: text(1000) });
const IdParam = Type.String({ pattern: '^[a-z0-9]{8}$' });

export const appPasswordsPanel: FastifyPluginAsyncTypebox = async (app) => {
  for (const place of PLACES) {
    const page = placePage(app, place);
    const params = place.params ? { params: place.params } : {};

    app.post(`${place.prefix}/app-passwords`, { config: place.config, schema: { ...params, body: CreateForm } }, async (req, reply) => {
      const b = req.body;
      const protocols = ([] as string[]).concat(b.protocols ?? []);
      const result = await attempt(() =>
        createAppPassword(app.db, req.principal!, place.address(req), {
          name: b.name,
          protocols,
          // A date typed in the form: valid through that day (UTC).
          expiresAt: b.expiresOn?.trim() ? `${b.expiresOn.trim()}T23:59:59Z` : null,
          networks: (b.networks ?? '').split(/[\s,]+/).filter(Boolean),
        }),
      );
      if (!result.ok) return page(req, reply, { errors: result.errors, values: { ...b, protocols } }, result.status);
      return page(req, reply, { createdAppPassword: result.value }, 201);
    });

    // The id in the body, not the path: the owner's routes name no object in their path.
    app.post(
      `${place.prefix}/app-passwords/revoke`,
      { config: place.config, schema: { ...params, body: formSchema({ appPasswordId: IdParam }) } },
      async (req, reply) => {
        const address = place.address(req);
        await revokeAppPassword(app.db, req.principal!, address, req.body.appPasswordId);
        return redirectAfterPost(req, reply, `${place.base(address)}?notice=app-password-revoked#app-h`);
      },
    );

    app.post(
      `${place.prefix}/main-password`,
      { config: place.config, schema: { ...params, body: formSchema({ protocols: Protocols }) } },
      async (req, reply) => {
        const address = place.address(req);
        const protocols = ([] as string[]).concat(req.body.protocols ?? []);
        const result = await attempt(() => updateMailbox(app.db, req.principal!, address, { mainPasswordProtocols: protocols }, 0));
        if (!result.ok) return page(req, reply, { errors: result.errors }, result.status);
        return redirectAfterPost(req, reply, `${place.base(result.value.address)}?notice=main-password#app-h`);
      },
    );
  }
};
