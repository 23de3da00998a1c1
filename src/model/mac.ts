/**
 * MAC derivation: scenario + node slot + endpoint index → a locally administered unicast MAC.
 *
 * Layout (48 bits): first octet = (6 bits of a scenario hash) << 2 | 0b10, i.e. the
 * locally-administered bit set and the multicast bit clear; then 16 bits of node slot, then
 * 24 bits of endpoint index within the node. Within one scenario the map (slot, index) → MAC is
 * injective, so no two endpoints of a scenario share a MAC; the scenario bits make clashes
 * between two scenarios on one L2 segment unlikely (1 in 64), not impossible.
 */

/** Largest node slot a MAC can carry. */
export const MAX_NODE_SLOT = 0xffff;
/** Reserved endpoint index for the node's own MAC. */
export const NODE_MAC_INDEX = 0xffffff;
/** Largest endpoint index within a node (the last value is reserved for the node itself). */
export const MAX_ENDPOINT_INDEX = NODE_MAC_INDEX - 1;

// Built-ins held in module constants: inside a vm context (the workflow sandbox, jest) every
// global lookup such as `Math.imul` goes through the context's global object and costs ~40x more,
// which made deriving a few hundred thousand MACs take seconds.
const imul = Math.imul;
const isInteger = Number.isInteger;
const HEX: readonly string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** FNV-1a over the UTF-16 code units: small, stable, no Node imports (workflow-safe). */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

function buildMac(scenario: string, slot: number, index: number): string {
  if (!isInteger(slot) || slot < 0 || slot > MAX_NODE_SLOT) {
    throw new RangeError(`node slot ${slot} is outside 0..${MAX_NODE_SLOT}`);
  }
  if (!isInteger(index) || index < 0 || index > NODE_MAC_INDEX) {
    throw new RangeError(`endpoint index ${index} is outside 0..${MAX_ENDPOINT_INDEX}`);
  }
  const first = ((fnv1a32(scenario) & 0x3f) << 2) | 0x02;
  return `${HEX[first]}:${HEX[slot >>> 8]}:${HEX[slot & 0xff]}:${HEX[index >>> 16]}:${HEX[(index >>> 8) & 0xff]}:${HEX[index & 0xff]}`;
}

/**
 * Endpoint slots per VM in the MAC space. Fixed (not the spec's endpointsPerVm) so that a VM's MACs
 * stay the same when a later spec changes its endpoint count.
 */
export const MAX_ENDPOINTS_PER_VM = 16;
/**
 * Largest VM index per node that still gets a MAC: 2^20 - 2. The VM at 2^20 - 1 is given up because
 * its endpoint 15 would land on NODE_MAC_INDEX, the node's own MAC.
 */
export const MAX_VM_INDEX = Math.floor(MAX_ENDPOINT_INDEX / MAX_ENDPOINTS_PER_VM) - 1;

/** The MAC of endpoint `endpoint` (0-based) of VM `vmIndex` on the node in `nodeSlot`. */
export function endpointMac(scenario: string, nodeSlot: number, vmIndex: number, endpoint: number): string {
  if (!isInteger(endpoint) || endpoint < 0 || endpoint >= MAX_ENDPOINTS_PER_VM) {
    throw new RangeError(`endpoint ${endpoint} is outside 0..${MAX_ENDPOINTS_PER_VM - 1}`);
  }
  if (!isInteger(vmIndex) || vmIndex < 0 || vmIndex > MAX_VM_INDEX) {
    throw new RangeError(`VM index ${vmIndex} is outside 0..${MAX_VM_INDEX}`);
  }
  return buildMac(scenario, nodeSlot, vmIndex * MAX_ENDPOINTS_PER_VM + endpoint);
}

/** The MAC Merak gives a node when the spec names none. */
export function nodeMac(scenario: string, nodeSlot: number): string {
  return buildMac(scenario, nodeSlot, NODE_MAC_INDEX);
}

/**
 * Index of the MAC of a node's VPC router ports (reference dataplane). Above every endpoint index
 * (MAX_VM_INDEX · 16 + 15 = 0xffffef) and below the node's own: never an endpoint's MAC.
 */
export const ROUTER_MAC_INDEX = NODE_MAC_INDEX - 1;

/**
 * The MAC of the router ports on the node in `nodeSlot`: one per node, like Neutron DVR's host
 * MAC. Each router port sits on its own VNI, a separate L2 segment, so the VPCs of one node
 * can share it; what matters is that no two nodes share one (see docs/dataplane.md, "Routing").
 */
export function routerMac(scenario: string, nodeSlot: number): string {
  return buildMac(scenario, nodeSlot, ROUTER_MAC_INDEX);
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/**
 * The three leading octets every MAC of one node shares (scenario bits and node slot), e.g.
 * `0a:00:01` for any MAC of slot 1; with the mask ff:ff:ff:00:00:00 it matches exactly the
 * endpoints (and router) of that node. @throws RangeError when `mac` is not lower-case hex
 */
export function nodeMacPrefix(mac: string): string {
  if (!MAC_RE.test(mac)) throw new RangeError(`${JSON.stringify(mac)} is not a lower-case MAC address`);
  return mac.slice(0, 8);
}

/** The router MAC of the node that endpoint MAC `mac` belongs to (same as routerMac of its scenario and slot). */
export function routerMacOf(mac: string): string {
  return `${nodeMacPrefix(mac)}:${HEX[ROUTER_MAC_INDEX >>> 16]}:${HEX[(ROUTER_MAC_INDEX >>> 8) & 0xff]}:${HEX[ROUTER_MAC_INDEX & 0xff]}`;
}
