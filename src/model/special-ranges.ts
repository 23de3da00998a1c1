/**
 * IPv4 ranges an emulated cloud cannot use: the special-purpose blocks whose addresses a router
 * must not forward, and multicast. Pure.
 *
 * Source: the IANA IPv4 Special-Purpose Address Registry
 * (https://www.iana.org/assignments/iana-ipv4-special-registry/, RFC 6890 and its updates,
 * registry as last updated 2020-09-04), column "Forwardable": a VPC's addresses are routed
 * between subnets and carried between nodes, so every block the registry marks not forwardable
 * (or "N/A": reserved as a whole, usable only through a more specific entry) is refused, and so is
 * multicast, 224.0.0.0/4 (IANA IPv4 Multicast Address Space Registry, RFC 5771), which is not a
 * unicast range at all. The forwardable special blocks (private use, shared address space
 * 100.64.0.0/10, benchmarking 198.18.0.0/15, the AS112 and AMT anycast blocks) stay allowed, as
 * does all ordinary unicast space.
 *
 * The same rule covers the local underlay (the nodes' addresses inside the fabric namespace) and
 * explicit node addresses.
 */
import { cidrContains, cidrsOverlap, parseCidr, type Ipv4Cidr } from './ipv4';

/** One block an emulated cloud cannot use, with where the rule comes from. */
export interface UnusableRange {
  /** The block, e.g. "127.0.0.0/8". */
  readonly cidr: string;
  /** Its name in the registry, e.g. "Loopback". */
  readonly name: string;
  /** The document that reserves it, e.g. "RFC 1122". */
  readonly rfc: string;
  /** Why it is refused, from the registry's columns. */
  readonly why: string;
}

const NOT_FORWARDABLE = 'the IANA special-purpose registry marks it not forwardable';

/**
 * The refused blocks, in address order. Entries of the registry inside a refused block (such as
 * 0.0.0.0/32 inside 0.0.0.0/8, or the 192.0.0.x entries inside 192.0.0.0/24) are covered by it.
 */
export const UNUSABLE_RANGES: readonly UnusableRange[] = [
  { cidr: '0.0.0.0/8', name: '"This network"', rfc: 'RFC 791, RFC 1122', why: `${NOT_FORWARDABLE} (a source-only address)` },
  { cidr: '127.0.0.0/8', name: 'Loopback', rfc: 'RFC 1122', why: `${NOT_FORWARDABLE} (it never leaves a host)` },
  { cidr: '169.254.0.0/16', name: 'Link Local', rfc: 'RFC 3927', why: `${NOT_FORWARDABLE} (clouds also use 169.254.169.254 for instance metadata)` },
  { cidr: '192.0.0.0/24', name: 'IETF Protocol Assignments', rfc: 'RFC 6890', why: 'the IANA special-purpose registry reserves it for protocol assignments, not for hosts' },
  { cidr: '192.0.2.0/24', name: 'Documentation (TEST-NET-1)', rfc: 'RFC 5737', why: NOT_FORWARDABLE },
  { cidr: '192.88.99.0/24', name: 'Deprecated (6to4 Relay Anycast)', rfc: 'RFC 7526', why: 'the IANA special-purpose registry lists it as deprecated anycast, not for hosts' },
  { cidr: '198.51.100.0/24', name: 'Documentation (TEST-NET-2)', rfc: 'RFC 5737', why: NOT_FORWARDABLE },
  { cidr: '203.0.113.0/24', name: 'Documentation (TEST-NET-3)', rfc: 'RFC 5737', why: NOT_FORWARDABLE },
  { cidr: '224.0.0.0/4', name: 'Multicast', rfc: 'RFC 5771', why: 'multicast addresses are group destinations, never a host address' },
  { cidr: '240.0.0.0/4', name: 'Reserved', rfc: 'RFC 1112', why: `${NOT_FORWARDABLE} (reserved for future use)` },
  { cidr: '255.255.255.255/32', name: 'Limited Broadcast', rfc: 'RFC 919, RFC 8190', why: NOT_FORWARDABLE },
];

let parsed: { range: UnusableRange; cidr: Ipv4Cidr }[] | undefined;
const table = () => (parsed ??= UNUSABLE_RANGES.map((range) => ({ range, cidr: parseCidr(range.cidr) })));

/**
 * A refused block the CIDR shares an address with, or undefined when it is usable: the most
 * specific block that holds the whole CIDR (255.255.255.255/32 is "Limited Broadcast", not the
 * 240.0.0.0/4 around it), else the first block, in address order, that it overlaps.
 */
export function unusableOverlap(cidr: Ipv4Cidr | string): UnusableRange | undefined {
  const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  const hits = table().filter((t) => cidrsOverlap(t.cidr, c));
  const holding = hits.filter((t) => cidrContains(t.cidr, c)).sort((a, b) => b.cidr.prefix - a.cidr.prefix);
  return (holding[0] ?? hits[0])?.range;
}

/** The most specific refused block holding the address (an unsigned 32-bit integer), or undefined. */
export function unusableAddress(address: number): UnusableRange | undefined {
  return unusableOverlap({ network: address, prefix: 32 });
}

/** The rule text for a value in a refused block: "overlaps 127.0.0.0/8 (Loopback, RFC 1122): ...". */
export function unusableRule(range: UnusableRange, kind: 'range' | 'address'): string {
  const verb = kind === 'range' ? 'overlaps' : 'is in';
  return `${verb} ${range.cidr} (${range.name}, ${range.rfc}): ${range.why}; an emulated cloud needs ordinary unicast addresses`;
}
