// Sends one webhook request. Every address it connects to is checked after DNS resolution (and the
// connection pinned to the checked address, so a name cannot resolve to a public address for the
// check and a private one for the connect); redirects are never followed; a slow receiver is cut off.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { type AllowList, addressAllowed, hostOf } from '../core/webhooks/targets.js';

/** The target is not allowed: a private, loopback or link-local address (or a name resolving to one). */
export class TargetRefused extends Error {}

export interface PostResult {
  status: number;
  durationMs: number;
}

/** Resolves a host and refuses it unless every address is allowed; returns the addresses. */
export async function checkedAddresses(host: string, allow: AllowList): Promise<LookupAddress[]> {
  if (allow.hosts.includes(host)) return [];
  if (isIP(host)) {
    if (!addressAllowed(host, allow)) throw new TargetRefused(`${host} is not a public address`);
    return [{ address: host, family: isIP(host) }];
  }
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) =>
    dnsLookup(host, { all: true }, (err, list) => (err ? reject(new TargetRefused(`${host} does not resolve (${err.code})`)) : resolve(list))),
  );
  const bad = addresses.find((a) => !addressAllowed(a.address, allow));
  if (bad) throw new TargetRefused(`${host} resolves to ${bad.address}, which is not a public address`);
  return addresses;
}

/** Whether a URL may receive webhooks now; the same check runs again at every delivery. */
export async function checkTarget(url: string, allow: AllowList): Promise<void> {
  await checkedAddresses(hostOf(new URL(url)), allow);
}

export function postWebhook(url: string, headers: Record<string, string>, body: string, opts: { timeoutMs: number; allow: AllowList }): Promise<PostResult> {
  const target = new URL(url);
  const host = hostOf(target);
  const started = performance.now();
  // The connection's own lookup: the checked address is the one connected to.
  const lookup: LookupFunction = (hostname, options, callback) => {
    checkedAddresses(hostname.replace(/^\[|\]$/g, '').toLowerCase(), opts.allow).then(
      (list) => {
        if (list.length === 0) return dnsLookup(hostname, options, callback); // a host the operator allowed by name
        if (options.all) return callback(null, list);
        return callback(null, list[0].address, list[0].family);
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, ''),
    );
  };
  // An IP literal skips the lookup: checked before any connection.
  if (isIP(host) && !opts.allow.hosts.includes(host) && !addressAllowed(host, opts.allow))
    return Promise.reject(new TargetRefused(`${host} is not a public address`));
  return new Promise((resolve, reject) => {
    const send = target.protocol === 'https:' ? https.request : http.request;
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body).toString() },
        lookup,
        timeout: opts.timeoutMs,
        signal: AbortSignal.timeout(opts.timeoutMs),
      },
      (res) => {
        // The answer's body is not read beyond what is needed to free the socket.
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, durationMs: Math.round(performance.now() - started) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', (err) => reject(err.name === 'AbortError' ? new Error(`no answer within ${opts.timeoutMs} ms`) : err));
    req.end(body);
  });
}
