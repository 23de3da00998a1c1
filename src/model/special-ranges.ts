/**
 * IPv4 ranges an emulated cloud cannot use: the special-purpose blocks whose meaning a protocol
 * fixes, and multicast. Pure; one table for the spec (VPC, subnet and underlay CIDRs, node
 * addresses) and for the test activities (the VM addresses a check may target).
 *
 * Source: the IANA IPv4 Special-Purpose Address Registry
 * (https://www.iana.org/assignments/iana-ipv4-special-registry/, RFC 6890 and its updates,
 * registry as last updated 2020-09-04). Refused are the blocks the registry marks
 * "Reserved-by-Protocol" (their addresses mean something else than a host: "this network",
 * loopback, link local, reserved, limited broadcast), the "IETF Protocol Assignments" block
 * 192.0.0.0/24 (the registry: not usable unless by virtue of a more specific reservation; it holds
 * the reserved-by-protocol NAT64/DNS64 discovery addresses), and multicast, 224.0.0.0/4 (IANA
 * IPv4 Multicast Address Space Registry, RFC 5771), which is not unicast at all.
 *
 * Allowed are all other blocks, special or not: private use, shared address space
 * (100.64.0.0/10), benchmarking (198.18.0.0/15), the documentation blocks (192.0.2.0/24,
 * 198.51.100.0/24, 203.0.113.0/24, which RFC 5737 reserves for examples and which work as
 * ordinary unicast inside namespaces), the anycast blocks, and the ordinary unicast space.
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
  /** Why it is refused. */
  readonly why: string;
}

const RESERVED = 'the IANA special-purpose registry marks it reserved by protocol';

/**
 * The refused blocks, in address order. Entries of the registry inside a refused block (such as
 * 0.0.0.0/32 inside 0.0.0.0/8, or 192.0.0.170/32 inside 192.0.0.0/24) are covered by it.
 */
export const UNUSABLE_RANGES: readonly UnusableRange[] = [
  { cidr: '0.0.0.0/8', name: '"This network"', rfc: 'RFC 791, RFC 1122', why: `${RESERVED} (a source address only, never a destination)` },
  { cidr: '127.0.0.0/8', name: 'Loopback', rfc: 'RFC 1122', why: `${RESERVED} (it never leaves a host)` },
  { cidr: '169.254.0.0/16', name: 'Link Local', rfc: 'RFC 3927', why: `${RESERVED} (never routed; clouds also use 169.254.169.254 for instance metadata)` },
  { cidr: '192.0.0.0/24', name: 'IETF Protocol Assignments', rfc: 'RFC 6890', why: 'the IANA special-purpose registry keeps it for protocol assignments, not hosts' },
  { cidr: '224.0.0.0/4', name: 'Multicast', rfc: 'RFC 5771', why: 'multicast addresses are group destinations, never a host address' },
  { cidr: '240.0.0.0/4', name: 'Reserved', rfc: 'RFC 1112', why: `${RESERVED} (reserved for future use)` },
  { cidr: '255.255.255.255/32', name: 'Limited Broadcast', rfc: 'RFC 919, RFC 8190', why: `${RESERVED} (the broadcast of every link)` },
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
