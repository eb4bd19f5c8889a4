// A reseller with hundreds of customers and domains pages through them and searches them, and never
// sees another reseller's; staff add a domain from the customer once there are too many to list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { seedTenants, type Tenants } from '../support/fixtures.js';
import { PanelClient } from '../support/panel.js';

let t: TestApp;
let w: Tenants;
let reseller: PanelClient;
const N = 230; // customers (and one domain each) added for reseller A, beside the fixture's one
const pad = (i: number) => String(i).padStart(3, '0');

beforeAll(async () => {
  t = await createTestApp();
  w = await seedTenants(t.db);
  const customers = await t.db
    .insertInto('customers')
    .values(Array.from({ length: N }, (_, i) => ({ reseller_id: w.A.reseller.id, name: `Shop ${pad(i)}`, contact_email: `owner${pad(i)}@shops.example` })))
    .returning(['id', 'name'])
    .execute();
  await t.db
    .insertInto('domains')
    .values(customers.map((c, i) => ({ customer_id: c.id, name: i === 7 ? 'xn--mller-kva.example' : `shop${pad(i)}.example` })))
    .execute();
  reseller = new PanelClient(t.app);
  await reseller.login(w.A.resellerUser.email);
});
afterAll(() => t.close());

const rows = (html: string, href: RegExp) => [...html.matchAll(href)].map((m) => m[1]);
const customerLinks = (html: string) => rows(html, /<a href="\/customers\/\d+">([^<]+)<\/a>/g);
const domainLinks = (html: string) => rows(html, /<tr><td><a href="\/domains\/([^"]+)">/g);

describe('the customer list', () => {
  it('shows 50 a page, in name order, with links to the other pages', async () => {
    const first = await reseller.get('/customers');
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain(`${N + 1} customers`);
    expect(customerLinks(first.body)).toHaveLength(50);
    expect(first.body).toContain('Page 1 of 5');
    expect(first.body).toContain('href="?page=2" rel="next"');
    const last = await reseller.get('/customers?page=5');
    // "Customer a1" (the fixture's) sorts first, so the last page holds Shop 199 to 229.
    expect(customerLinks(last.body)).toEqual(Array.from({ length: 31 }, (_, i) => `Shop ${pad(199 + i)}`));
    expect(last.body).not.toContain('rel="next"');
  });

  it("finds customers by name or contact address, and never another reseller's", async () => {
    const byName = await reseller.get('/customers?q=shop%2012');
    expect(customerLinks(byName.body)).toEqual(Array.from({ length: 10 }, (_, i) => `Shop ${120 + i}`));
    const byEmail = await reseller.get('/customers?q=OWNER099%40');
    expect(customerLinks(byEmail.body)).toEqual(['Shop 099']);
    const other = await reseller.get(`/customers?q=${encodeURIComponent(w.B.customer.name)}`);
    expect(customerLinks(other.body)).toEqual([]);
    expect(other.body).toContain('0 customers');
  });

  it('takes a search literally and refuses a page out of range', async () => {
    expect(customerLinks((await reseller.get('/customers?q=%25')).body)).toEqual([]);
    expect((await reseller.get('/customers?page=0')).statusCode).toBe(400);
    expect((await reseller.get('/customers?page=abc')).statusCode).toBe(400);
  });
});

describe('the domain list', () => {
  it("pages and searches the reseller's domains, Unicode names too", async () => {
    const first = await reseller.get('/domains');
    expect(first.body).toContain(`${N + 1} domains`);
    expect(domainLinks(first.body)).toHaveLength(50);
    const page2 = await reseller.get('/domains?page=2');
    expect(domainLinks(page2.body)[0]).toBe('shop050.example');
    expect(domainLinks((await reseller.get('/domains?q=shop19')).body)).toEqual(Array.from({ length: 10 }, (_, i) => `shop${190 + i}.example`));
    expect(domainLinks((await reseller.get(`/domains?q=${encodeURIComponent('müller')}`)).body)).toEqual(['xn--mller-kva.example']);
    expect(domainLinks((await reseller.get(`/domains?q=${encodeURIComponent(w.B.domain.name)}`)).body)).toEqual([]);
  });

  it("offers no list of hundreds of customers to add a domain to, but the customer's own form", async () => {
    const all = await reseller.get('/domains');
    expect(all.body).not.toContain('<select id="customerId"');
    expect(all.body).toContain('open the customer it belongs to');
    const shop = await t.db.selectFrom('customers').select('id').where('name', '=', 'Shop 042').executeTakeFirstOrThrow();
    const customerPage = await reseller.get(`/customers/${shop.id}`);
    expect(customerPage.body).toContain(`href="/domains?customer=${shop.id}"`);
    const own = await reseller.get(`/domains?customer=${shop.id}`);
    expect(domainLinks(own.body)).toEqual(['shop042.example']);
    expect(own.body).toContain(`<input type="hidden" name="customerId" value="${shop.id}">`);
    const added = await reseller.post('/domains', { customerId: String(shop.id), name: 'second-shop042.example' });
    expect(added.statusCode).toBe(303);
    const domain = await t.db.selectFrom('domains').select('customer_id').where('name', '=', 'second-shop042.example').executeTakeFirstOrThrow();
    expect(domain.customer_id).toBe(shop.id);
  });

  it("shows a refused domain again in its customer's form, with the reason", async () => {
    const shop = await t.db.selectFrom('customers').select('id').where('name', '=', 'Shop 010').executeTakeFirstOrThrow();
    await reseller.get(`/domains?customer=${shop.id}`);
    const taken = await reseller.post('/domains', { customerId: String(shop.id), name: 'shop011.example' });
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toContain('already in use');
    expect(taken.body).toContain(`<input type="hidden" name="customerId" value="${shop.id}">`);
    const bad = await reseller.post('/domains', { customerId: String(shop.id), name: 'no dots' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain(`<input type="hidden" name="customerId" value="${shop.id}">`);
    expect(bad.body).toMatch(/id="name-error"/);
  });

  it("answers 404 for another reseller's customer, and a customer sees only its own domains", async () => {
    expect((await reseller.get(`/domains?customer=${w.B.customer.id}`)).statusCode).toBe(404);
    const customer = new PanelClient(t.app);
    await customer.login(w.A.customerUser.email);
    const own = await customer.get('/domains');
    expect(domainLinks(own.body)).toEqual([w.A.domain.name]);
    expect((await customer.get(`/domains?customer=${w.A.customer.id}`)).statusCode).toBe(200);
  });
});
