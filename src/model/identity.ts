/**
 * What makes the values Merak invents for a scenario unique among the scenarios that share a
 * machine and a network plugin. Pure (the workflow uses it).
 *
 * A scenario holds a *scenario number* 0..SCENARIO_NUMBERS-1, claimed on the compute worker's
 * machine and checked against what the plugin holds (activities/compute/preflight.ts). From it:
 * - its default underlay: the number's /16 of 100.64.0.0/10 (number 0: 100.64.0.0/16, the
 *   default of earlier versions), unless the spec names an underlay or gives a node's ip;
 * - its nodes' MACs when the spec gives none: the number in the first octet, the node slot in
 *   the next two, ff:ff:ff last (no endpoint MAC ends so: see mac.ts);
 * and its nodes' names at the plugin are `<node>.<scenario>` (scenario names are unique), so two
 * scenarios may both have a node-a.
 */
import { formatIpv4, parseCidr } from './ipv4';
import { MAX_NODE_SLOT, NODE_MAC_INDEX } from './mac';

/** How many scenarios can hold a number at once: one per /16 of 100.64.0.0/10, and 6 bits of a MAC's first octet. */
export const SCENARIO_NUMBERS = 64;
/** The range the default underlays are taken from (RFC 6598 shared space; only ever inside the emulated namespaces). */
export const UNDERLAY_POOL = '100.64.0.0/10';

/** What the workflow carries once its number is known. */
export interface ScenarioIdentity {
  /** The scenario number, 0..SCENARIO_NUMBERS-1. */
  number: number;
  /** The underlay of its local nodes: the spec's, or the number's block. */
  underlayCidr: string;
}

function checkNumber(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n >= SCENARIO_NUMBERS) throw new RangeError(`scenario number ${n} is outside 0..${SCENARIO_NUMBERS - 1}`);
}

/** The default underlay of scenario number `n`: 100.(64+n).0.0/16. */
export function underlayBlock(n: number): string {
  checkNumber(n);
  return `${formatIpv4(parseCidr(UNDERLAY_POOL).network + n * 65_536)}/16`;
}

/**
 * Whether a scenario document fixes its underlay, so the number's block must not replace it:
 * it names `underlay.cidr`, or one of its nodes gives its own `ip`. A local node's given address
 * is its underlay address and was checked against the spec's underlay (the default
 * 100.64.0.0/16 when none is named, address-rules.ts): moving the other nodes to another block
 * would put them in a different network from it.
 */
export function namesUnderlay(input: unknown): boolean {
  if (typeof input !== 'object' || input === null) return false;
  const { underlay, nodes } = input as { underlay?: unknown; nodes?: unknown };
  if (typeof underlay === 'object' && underlay !== null && typeof (underlay as { cidr?: unknown }).cidr === 'string') return true;
  return Array.isArray(nodes) && nodes.some((n) => typeof n === 'object' && n !== null && typeof (n as { ip?: unknown }).ip === 'string');
}

/** The underlay of a scenario with number `n`: the one its document names, else the number's block. */
export function identityUnderlay(input: unknown, specUnderlay: string, n: number): string {
  return namesUnderlay(input) ? specUnderlay : underlayBlock(n);
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * The MAC of the node in `slot` of scenario number `n`, when the spec names none: locally
 * administered, unicast, `n` in the first octet's upper 6 bits, the slot in octets 2-3, and
 * ff:ff:ff (NODE_MAC_INDEX) last, which no endpoint MAC of any scenario carries.
 */
export function numberedNodeMac(n: number, slot: number): string {
  checkNumber(n);
  if (!Number.isInteger(slot) || slot < 0 || slot > MAX_NODE_SLOT) throw new RangeError(`node slot ${slot} is outside 0..${MAX_NODE_SLOT}`);
  const tail = NODE_MAC_INDEX;
  return [(n << 2) | 0x02, slot >>> 8, slot & 0xff, tail >>> 16, (tail >>> 8) & 0xff, tail & 0xff].map((b) => HEX[b]).join(':');
}

/** The name a scenario's node has at the network plugin: `<node>.<scenario>` ('.' occurs in neither). */
export function pluginNodeName(scenario: string, node: string): string {
  return `${node}.${scenario}`;
}
