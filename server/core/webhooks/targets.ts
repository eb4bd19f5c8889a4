// Pure: where a webhook may point. By default only public addresses: no loopback, private,
// link-local (cloud metadata at 169.254.169.254), shared, multicast or reserved ranges, in IPv4 or
// IPv6 (IPv4-mapped and NAT64 forms included). The operator's WEBHOOK_ALLOW_HOSTS names exceptions:
// host names, or addresses and CIDR ranges.
import { isIP } from 'node:net';
import { checkCidr, ipAllowed } from '../cidr.js';

const NOT_PUBLIC = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/3',
  '::/128',
  '::1/128',
  '64:ff9b::/96',
  '64:ff9b:1::/48',
  '100::/64',
  '2001:db8::/32',
  '2002::/16',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
];

export interface AllowList {
  hosts: string[];
  cidrs: string[];
}

/** WEBHOOK_ALLOW_HOSTS: "hooks.internal, 10.1.2.0/24, 127.0.0.1" → names and ranges; null when an entry is unreadable. */
export function parseAllowList(raw: string): AllowList | null {
  const out: AllowList = { hosts: [], cidrs: [] };
  for (const entry of raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)) {
    const cidr = checkCidr(entry);
    if (cidr.ok) out.cidrs.push(cidr.value);
    else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(entry)) out.hosts.push(entry);
    else return null;
  }
  return out;
}

/** Whether an address a webhook would connect to is public (or allowed by the operator). */
export function addressAllowed(ip: string, allow: AllowList): boolean {
  if (!isIP(ip.replace(/^::ffff:/i, ''))) return false;
  if (ipAllowed(ip, allow.cidrs)) return true;
  return !ipAllowed(ip, NOT_PUBLIC);
}

/** A webhook URL's own problems, before any lookup: http(s), no credentials, a host. */
export function urlProblem(raw: string): string | null {
  if (raw.length > 2000) return 'The URL may be at most 2000 characters long.';
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'Enter a full URL, like https://billing.example.com/hooks/mailpanel.';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'The URL must start with https:// or http://.';
  if (u.username || u.password) return 'The URL may not hold a user name or password; the signature proves the sender.';
  if (!u.hostname) return 'The URL needs a host.';
  return null;
}

/** The URL's host as connected to: brackets of an IPv6 literal removed, lower case. */
export const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
