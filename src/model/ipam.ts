/**
 * Address allocation for endpoints: subnet CIDR + index → address. Pure and deterministic, so the
 * workflow can compute it (and replay it) and the agent can expand a batch from a range.
 *
 * Layout of a subnet a.b.c.0/p: the network address is never used, network+1 is the gateway, the
 * broadcast address is never used, and host index 0 is network+2. A /31 or /32 has no room for a
 * gateway and a host, so it is refused.
 */
import { cidrAddressAt, cidrSize, formatIpv4, parseCidr, type Ipv4Cidr } from './ipv4';

/** Smallest usable subnet: network, gateway, one host, broadcast. */
export const MAX_SUBNET_PREFIX = 30;

/** Thrown when a host index falls outside the subnet. */
export class IpamRangeError extends RangeError {
  override readonly name = 'IpamRangeError';
}

function toCidr(cidr: string | Ipv4Cidr): Ipv4Cidr {
  const parsed = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  if (parsed.prefix > MAX_SUBNET_PREFIX) {
    throw new IpamRangeError(
      `subnet /${parsed.prefix} is too small: a subnet needs a gateway and at least one host (prefix at most /${MAX_SUBNET_PREFIX})`,
    );
  }
  return parsed;
}

/** Number of host addresses a subnet offers to endpoints (gateway, network, broadcast excluded). */
export function capacity(cidr: string | Ipv4Cidr): number {
  return cidrSize(toCidr(cidr)) - 3;
}

/** The gateway of a subnet: network + 1, as dotted-quad text. */
export function gateway(cidr: string | Ipv4Cidr): string {
  return formatIpv4(cidrAddressAt(toCidr(cidr), 1));
}

/** The index-th host address of a subnet (index 0 = network + 2), as dotted-quad text. */
export function hostAddress(cidr: string | Ipv4Cidr, index: number): string {
  const parsed = toCidr(cidr);
  const cap = cidrSize(parsed) - 3;
  if (!Number.isInteger(index) || index < 0 || index >= cap) {
    throw new IpamRangeError(`host index ${index} is outside the ${cap} host addresses of the subnet (0..${cap - 1})`);
  }
  return formatIpv4(cidrAddressAt(parsed, index + 2));
}

/** Prefix length of a CIDR text, for "ip/prefix" strings. */
export function prefixOf(cidr: string | Ipv4Cidr): number {
  return toCidr(cidr).prefix;
}

/**
 * Underlay address of a node: slot 0 gets network + 1 of the underlay CIDR. There is no gateway on
 * the underlay: it is one flat L2 segment inside the fabric namespace.
 */
export function underlayAddress(cidr: string | Ipv4Cidr, slot: number): string {
  const parsed = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  const cap = underlayCapacity(parsed);
  if (!Number.isInteger(slot) || slot < 0 || slot >= cap) {
    throw new IpamRangeError(`node slot ${slot} is outside the ${cap} underlay addresses of ${formatIpv4(parsed.network)}/${parsed.prefix}`);
  }
  return formatIpv4(cidrAddressAt(parsed, slot + 1));
}

/** Number of nodes an underlay CIDR can address (network and broadcast excluded). */
export function underlayCapacity(cidr: string | Ipv4Cidr): number {
  const parsed = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  return Math.max(0, cidrSize(parsed) - 2);
}
