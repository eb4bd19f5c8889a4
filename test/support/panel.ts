import type { App } from '../../server/web/app.js';
import { PASSWORD } from './fixtures.js';

/** A signed-in panel user driven through app.inject, carrying its cookies and CSRF token like a browser. */
export class PanelClient {
  cookies = new Map<string, string>();
  csrf = '';
  constructor(private readonly app: App) {}

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(setCookie: string | string[] | undefined) {
    for (const c of ([] as string[]).concat(setCookie ?? [])) {
      const [pair, ...attrs] = c.split(';');
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      if (attrs.some((a) => /max-age=0|expires=thu, 01 jan 1970/i.test(a.trim())) || value === '') this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value);
    }
  }

  private grabCsrf(html: string) {
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (m) this.csrf = m[1];
  }

  async get(url: string, headers: Record<string, string> = {}) {
    const res = await this.app.inject({ method: 'GET', url, headers: { cookie: this.cookieHeader(), ...headers } });
    this.remember(res.headers['set-cookie']);
    this.grabCsrf(res.body);
    return res;
  }

  /** A form post; a field given as a list is sent once per value (checkboxes of one name). */
  async post(
    url: string,
    form: Record<string, string | string[]>,
    opts: { csrf?: string | null; headers?: Record<string, string>; remoteAddress?: string } = {},
  ) {
    const body = new URLSearchParams(
      Object.entries(form).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, v] as [string, string]])),
    );
    const token = opts.csrf === undefined ? this.csrf : opts.csrf;
    if (token !== null) body.set('_csrf', token);
    const res = await this.app.inject({
      method: 'POST',
      url,
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', ...opts.headers },
      payload: body.toString(),
      ...(opts.remoteAddress && { remoteAddress: opts.remoteAddress }),
    });
    this.remember(res.headers['set-cookie']);
    this.grabCsrf(res.body);
    return res;
  }

  async login(email: string, password = PASSWORD, ip?: string) {
    await this.get('/login');
    const res = await this.post('/login', { email, password }, { remoteAddress: ip });
    if (res.statusCode === 303) await this.get(res.headers.location as string);
    return res;
  }

  /** Signs in as a mailbox's owner on its own page (/my), with the mailbox's address and password. */
  async loginOwner(address: string, password = PASSWORD, ip?: string) {
    await this.get('/my/login');
    const res = await this.post('/my/login', { address, password }, { remoteAddress: ip });
    if (res.statusCode === 303) await this.get(res.headers.location as string);
    return res;
  }
}
