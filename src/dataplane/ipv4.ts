/** Minimal IPv4 arithmetic for the underlay (pure). */
import { InvalidInputError } from './errors';

export function parseIpv4(s: string, field = 'address'): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) throw new InvalidInputError(field, s, 'must be a dotted IPv4 address');
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) throw new InvalidInputError(field, s, 'each octet must be at most 255');
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Ipv4Cidr {
  network: number;
  prefix: number;
}

export function parseCidr(s: string, field = 'cidr'): Ipv4Cidr {
  const [addr, len, ...rest] = s.split('/');
  const prefix = Number(len);
  if (rest.length > 0 || len === undefined || !/^\d{1,2}$/.test(len) || prefix > 30) {
    throw new InvalidInputError(field, s, 'must be an IPv4 CIDR a.b.c.d/len with len at most 30');
  }
  const ip = parseIpv4(addr, field);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  if ((ip & mask) >>> 0 !== ip) throw new InvalidInputError(field, s, 'host bits must be zero');
  return { network: ip, prefix };
}

/** Usable host addresses (network and broadcast excluded). */
export function hostCount(c: Ipv4Cidr): number {
  return 2 ** (32 - c.prefix) - 2;
}
