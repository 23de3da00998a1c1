/**
 * Underlay addressing of the local cloud: node slot -> address inside the fabric. The rule lives
 * in the pure IPAM module the workflow uses too (network + 1 + slot); this wrapper turns its
 * errors into the agent's InvalidInputError and adds the prefix length.
 */
import { cidrContainsAddress, cidrLast, parseCidr, parseIpv4, Ipv4FormatError, type Ipv4Cidr } from '../model/ipv4';
import { underlayAddress as slotAddress } from '../model/ipam';
import { DEFAULT_UNDERLAY_CIDR } from '../model/spec';
import { InvalidInputError } from './errors';

export { DEFAULT_UNDERLAY_CIDR };

/**
 * The underlay address of a node, with the prefix: the one the scenario gives (`given`, which
 * must lie inside the underlay and be neither its network nor its broadcast address), else the
 * slot's, network + 1 + slot.
 * @throws InvalidInputError naming underlayCidr, underlayIp or nodeSlot.
 */
export function underlayAddress(cidr: string, slot: number, given?: string): { address: string; prefix: number } {
  let parsed: Ipv4Cidr;
  try {
    parsed = parseCidr(cidr);
  } catch (err) {
    throw new InvalidInputError('underlayCidr', cidr, err instanceof Ipv4FormatError ? err.rule : String(err));
  }
  const prefix = parsed.prefix;
  if (given !== undefined) {
    let address: number;
    try {
      address = parseIpv4(given);
    } catch (err) {
      throw new InvalidInputError('underlayIp', given, err instanceof Ipv4FormatError ? err.rule : String(err));
    }
    if (!cidrContainsAddress(parsed, address)) throw new InvalidInputError('underlayIp', given, `is outside the underlay ${cidr}: a local node's address must lie in underlay.cidr`);
    if (prefix < 31 && (address === parsed.network || address === cidrLast(parsed))) {
      throw new InvalidInputError('underlayIp', given, `is the network or broadcast address of the underlay ${cidr}`);
    }
    return { address: given, prefix };
  }
  try {
    return { address: slotAddress(cidr, slot), prefix };
  } catch (err) {
    throw new InvalidInputError('nodeSlot', slot, (err as Error).message);
  }
}
