import { BlockList, isIP } from 'node:net';
import type { Checked } from './address.js';

/** Parses "203.0.113.0/24", "2001:db8::/32" or a single address into a normalised CIDR. */
export function checkCidr(input: string): Checked<string> {
  const [addr, bits, extra] = input.trim().split('/');
  const family = isIP(addr ?? '');
  if (!family || extra !== undefined) return { ok: false, message: `"${input}" is not an IP address or CIDR range.` };
  const max = family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (bits !== undefined && !/^\d+$/.test(bits))) {
    return { ok: false, message: `"${input}" has an invalid prefix length (0-${max}).` };
  }
  return { ok: true, value: `${addr}/${prefix}` };
}

/** Whether `ip` lies in any of the (already checked) CIDRs; an IPv4-mapped IPv6 address counts as IPv4. */
export function ipAllowed(ip: string, cidrs: string[]): boolean {
  const list = new BlockList();
  for (const c of cidrs) {
    const [addr, bits] = c.split('/');
    list.addSubnet(addr, Number(bits), isIP(addr) === 6 ? 'ipv6' : 'ipv4');
  }
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  const target = v4 ?? ip;
  const family = isIP(target);
  if (!family) return false;
  return list.check(target, family === 6 ? 'ipv6' : 'ipv4');
}
