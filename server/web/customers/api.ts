import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { listCustomers } from '../../../db/repositories/customers.js';
import { listDomains } from '../../../db/repositories/domains.js';
import { PageQuery, errorResponses, paged } from '../api/schemas.js';
import { assertRole } from '../../services/auth/principal.js';
import { Domain, DomainCreate } from '../domains/schemas.js';
import { domainView, createDomain, getDomainOr404 } from '../../services/domains/service.js';
import { Customer, CustomerCreate, CustomerParams, CustomerPatch } from './schemas.js';
import { createCustomer, customerView, deleteCustomer, getCustomerOr404, updateCustomer } from '../../services/customers/service.js';

export const customersApi: FastifyPluginAsyncTypebox = async (app) => {
  const tags = ['customers'];

  app.get('/customers', { schema: { tags, querystring: Type.Object(PageQuery), response: { 200: paged(Customer), ...errorResponses } } }, async (req) => {
    const { limit = 50, offset = 0 } = req.query;
    const page = await listCustomers(app.db, req.principal!, { limit, offset });
    return { items: page.items.map(customerView), total: page.total, limit, offset };
  });

  app.post('/customers', { schema: { tags, body: CustomerCreate, response: { 201: Customer, ...errorResponses } } }, async (req, reply) => {
    const c = await createCustomer(app.db, req.principal!, req.body);
    return reply.code(201).send(customerView(c));
  });

  app.get('/customers/:id', { schema: { tags, params: CustomerParams, response: { 200: Customer, ...errorResponses } } }, async (req) => {
    assertRole(req.principal!, 'operator', 'reseller', 'customer');
    return customerView(await getCustomerOr404(app.db, req.principal!, req.params.id));
  });

  app.patch('/customers/:id', { schema: { tags, params: CustomerParams, body: CustomerPatch, response: { 200: Customer, ...errorResponses } } }, async (req) =>
    customerView(await updateCustomer(app.db, req.principal!, req.params.id, req.body)),
  );

  app.delete('/customers/:id', { schema: { tags, params: CustomerParams, response: { 204: Type.Null(), ...errorResponses } } }, async (req, reply) => {
    await deleteCustomer(app.db, req.principal!, req.params.id);
    return reply.code(204).send(null);
  });

  app.get(
    '/customers/:id/domains',
    { schema: { tags: ['domains'], params: CustomerParams, querystring: Type.Object(PageQuery), response: { 200: paged(Domain), ...errorResponses } } },
    async (req) => {
      const { limit = 50, offset = 0 } = req.query;
      const customer = await getCustomerOr404(app.db, req.principal!, req.params.id);
      const page = await listDomains(app.db, req.principal!, { limit, offset, customerId: customer.id });
      return { items: page.items.map(domainView), total: page.total, limit, offset };
    },
  );

  app.post(
    '/customers/:id/domains',
    { schema: { tags: ['domains'], params: CustomerParams, body: DomainCreate, response: { 201: Domain, ...errorResponses } } },
    async (req, reply) => {
      const d = await createDomain(app.db, req.principal!, req.params.id, req.body.name, req.body.node);
      return reply.code(201).send(domainView(await getDomainOr404(app.db, req.principal!, d.name)));
    },
  );
};
