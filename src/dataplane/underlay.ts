/** Underlay addressing of the local cloud (pure): node slot -> address inside the fabric. */
import { InvalidInputError } from './errors';
import { formatIpv4, hostCount, parseCidr } from './ipv4';

/** Default underlay CIDR; it only ever exists inside the fabric and node namespaces. */
export const DEFAULT_UNDERLAY_CIDR = '100.64.0.0/16';

/** The underlay address of node slot `slot`: network + 1 + slot, with the prefix. */
export function underlayAddress(cidr: string, slot: number): { address: string; prefix: number } {
  const c = parseCidr(cidr, 'underlayCidr');
  if (!Number.isInteger(slot) || slot < 0 || slot >= hostCount(c)) {
    throw new InvalidInputError('nodeSlot', slot, `must be an integer from 0 to ${hostCount(c) - 1} for underlay ${cidr}`);
  }
  return { address: formatIpv4(c.network + 1 + slot), prefix: c.prefix };
}
