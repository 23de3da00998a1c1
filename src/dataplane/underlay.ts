/**
 * Underlay addressing of the local cloud: node slot -> address inside the fabric. The rule lives
 * in the pure IPAM module the workflow uses too (network + 1 + slot); this wrapper turns its
 * errors into the agent's InvalidInputError and adds the prefix length.
 */
import { parseCidr, Ipv4FormatError } from '../model/ipv4';
import { underlayAddress as slotAddress } from '../model/ipam';
import { DEFAULT_UNDERLAY_CIDR } from '../model/spec';
import { InvalidInputError } from './errors';

export { DEFAULT_UNDERLAY_CIDR };

/** The underlay address of node slot `slot`: network + 1 + slot, with the prefix. */
export function underlayAddress(cidr: string, slot: number): { address: string; prefix: number } {
  let prefix: number;
  try {
    prefix = parseCidr(cidr).prefix;
  } catch (err) {
    throw new InvalidInputError('underlayCidr', cidr, err instanceof Ipv4FormatError ? err.rule : String(err));
  }
  try {
    return { address: slotAddress(cidr, slot), prefix };
  } catch (err) {
    throw new InvalidInputError('nodeSlot', slot, (err as Error).message);
  }
}
