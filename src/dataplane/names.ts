/**
 * Names of everything Merak creates in the kernel. Pure functions.
 *
 * Every name carries the scenario's tag: four characters claimed atomically in the state
 * directory (see tags.ts), so two scenarios running at once can never produce the same name,
 * and interface names stay within the kernel's 15-character limit (IFNAMSIZ - 1).
 *
 * | object | namespace | name |
 * | --- | --- | --- |
 * | fabric namespace | - | `mk-<tag>_fabric` |
 * | node namespace (local mode) | - | `mk-<tag>-<node>` |
 * | VM namespace | - | `mk-<tag>-<node>_<vmIndex>` |
 * | underlay bridge | fabric | `m<tag>fab` |
 * | underlay veth, fabric end | fabric | `m<tag>u<slot36>` |
 * | underlay veth, node end | node | `m<tag>ul` |
 * | endpoint veth, node end | node | `m<tag>v<vm36>e<ep36>` |
 * | VNI bridge (chunk c) | node | `m<tag>b<vni36>c<c36>` |
 * | VXLAN device | node | `m<tag>x<vni36>` |
 * | chunk uplink veth | node | `m<tag>k<vni36>c<c36>` (in the parent chunk) / `m<tag>j<vni36>c<c36>` (in chunk c) |
 * | VPC router namespace (reference) | - | `mk-<tag>-<node>_r-<vpc>` |
 * | router port veth | node ↔ router | `m<tag>r<vni36>` (on chunk 0 of the VNI) ↔ `vni<vni>` |
 */
import { InvalidInputError } from './errors';
import { NODE_RE, OBJECT_ID_RE, SCENARIO_RE } from '../model/names';
import { MAX_VNI } from '../model/limits';

export { MAX_VNI };

/** Longest interface name the kernel accepts (IFNAMSIZ 16 including the NUL). */
export const IFNAME_MAX = 15;
/** A scenario tag: a letter then three base-36 characters. */
export const TAG_RE = /^[a-z][a-z0-9]{3}$/;
/** Interface names requested inside a VM: the kernel's rules (no '/', no whitespace, not '.' or '..'). */
export const VM_IFNAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;
/**
 * Largest VM index whose base-36 form fits the node-side veth name (6 characters). What the
 * kernel names can carry, not what a spec may ask for: the MAC layout's MAX_VM_INDEX
 * (src/model/mac.ts) is lower and is the one the spec enforces.
 */
export const VETH_NAME_MAX_VM_INDEX = 36 ** 6 - 1;
/**
 * Endpoints per VNI bridge before a further chunk bridge is used. The kernel allows 1023 ports
 * per bridge, but adding a port costs time proportional to the ports already there (measured
 * 0.37 ms at 0–250 ports, 0.8 ms at 750–1000): small bridges keep creation flat.
 */
export const BRIDGE_CHUNK_PORTS = 256;
/**
 * Most ports a Linux bridge takes: port numbers are 10 bits and 0 is reserved
 * (`BR_PORT_BITS`/`BR_MAX_PORTS` in net/bridge/br_private.h; the 1024th `link set master` fails
 * with EXFULL).
 */
export const BRIDGE_MAX_PORTS = 1023;
/**
 * Chunk bridges hung off one bridge. The chunks of a VNI form a tree: chunk c ≥ 1 hangs off
 * chunk `chunkParent(c)` = ⌊(c − 1) / BRIDGE_FANOUT⌋ by a veth, so chunks 1..512 hang off chunk
 * 0 as they always did and the next ones off chunks 1, 2, … A bridge then holds at most
 * BRIDGE_CHUNK_PORTS endpoints + BRIDGE_FANOUT children + its uplink, or on chunk 0 the VXLAN
 * device and the VPC router's port: 770 ports, under BRIDGE_MAX_PORTS at any size, where a flat
 * star (every chunk on chunk 0) passed 1023 ports at ~196,000 endpoints of one VNI on one node.
 */
export const BRIDGE_FANOUT = 512;
/** Ports of chunk 0 that are neither endpoints nor chunk links: the VXLAN device and the router port. */
export const CHUNK0_DEVICE_PORTS = 2;

export function validateScenario(scenario: unknown, field = 'scenario'): string {
  if (typeof scenario !== 'string' || !SCENARIO_RE.test(scenario)) {
    throw new InvalidInputError(field, scenario, `must match ${SCENARIO_RE} (lower-case letters, digits, '-', at most 63 characters)`);
  }
  return scenario;
}

export function validateNode(node: unknown, field = 'node'): string {
  if (typeof node !== 'string' || !NODE_RE.test(node)) {
    throw new InvalidInputError(field, node, `must match ${NODE_RE} (lower-case letters, digits, '-', at most 40 characters)`);
  }
  return node;
}

export function validateTag(tag: unknown): string {
  if (typeof tag !== 'string' || !TAG_RE.test(tag)) throw new InvalidInputError('tag', tag, `must match ${TAG_RE}`);
  return tag;
}

export function validateVmIfname(ifname: unknown, field = 'ifname'): string {
  if (typeof ifname !== 'string' || !VM_IFNAME_RE.test(ifname) || ifname === '.' || ifname === '..') {
    throw new InvalidInputError(field, ifname, `must be a kernel interface name: ${VM_IFNAME_RE}, at most ${IFNAME_MAX} characters`);
  }
  return ifname;
}

export function validateIndex(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new InvalidInputError(field, value, `must be an integer from 0 to ${max}`);
  }
  return value;
}

/**
 * VPC ids as they appear in router namespace names: the spec's object id rule (1-63 letters,
 * digits, '.', '_' or '-', starting with a letter or digit), so the name is a valid file name.
 */
export function validateVpcId(vpc: unknown, field = 'vpc'): string {
  if (typeof vpc !== 'string' || !OBJECT_ID_RE.test(vpc)) {
    throw new InvalidInputError(field, vpc, `must match ${OBJECT_ID_RE} (1-63 letters, digits, '.', '_' or '-', starting with a letter or digit)`);
  }
  return vpc;
}

export function validateVni(vni: unknown, field = 'vni'): number {
  if (typeof vni !== 'number' || !Number.isInteger(vni) || vni < 1 || vni > MAX_VNI) {
    throw new InvalidInputError(field, vni, `must be an integer from 1 to ${MAX_VNI}`);
  }
  return vni;
}

const b36 = (n: number): string => n.toString(36);

function ifname(name: string): string {
  // Guarded by the validators above; a failure here is a bug in this file, not bad input.
  if (name.length > IFNAME_MAX) throw new Error(`internal: interface name ${name} longer than ${IFNAME_MAX}`);
  return name;
}

/** The `k`-th candidate tag for a scenario: deterministic, so concurrent claimers agree. */
export function tagCandidate(scenario: string, k: number): string {
  // FNV-1a over the scenario and the attempt number; the first character is a letter.
  let h = 0x811c9dc5;
  const s = `${scenario}#${k}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const letter = String.fromCharCode(97 + (h % 26));
  const rest = (Math.floor(h / 26) % 36 ** 3).toString(36).padStart(3, '0');
  return letter + rest;
}

export const fabricNetns = (tag: string): string => `mk-${tag}_fabric`;
/** Whether a namespace name is the local cloud (fabric) of some scenario. */
export const isFabricNetns = (name: string): boolean => /^mk-[a-z][a-z0-9]{3}_fabric$/.test(name);
export const nodeNetns = (tag: string, node: string): string => `mk-${tag}-${node}`;
export const vmNetns = (tag: string, node: string, vmIndex: number): string => `mk-${tag}-${node}_${vmIndex}`;
/** The prefix shared by the VM namespaces of one node; used to count, never to delete. */
export const vmNetnsPrefix = (tag: string, node: string): string => `mk-${tag}-${node}_`;

export const underlayBridge = (tag: string): string => ifname(`m${tag}fab`);
export const underlayFabricEnd = (tag: string, slot: number): string => ifname(`m${tag}u${b36(slot)}`);
export const underlayNodeEnd = (tag: string): string => ifname(`m${tag}ul`);
export const hostVeth = (tag: string, vmIndex: number, endpoint: number): string =>
  ifname(`m${tag}v${b36(vmIndex)}e${b36(endpoint)}`);
/** Prefix of the node-side endpoint veths of one scenario on a node; used to count, never to delete. */
export const hostVethPrefix = (tag: string): string => `m${tag}v`;
export const vniBridge = (tag: string, vni: number, chunk: number): string => ifname(`m${tag}b${b36(vni)}c${b36(chunk)}`);
export const vxlanDevice = (tag: string, vni: number): string => ifname(`m${tag}x${b36(vni)}`);
export const chunkUplink = (tag: string, vni: number, chunk: number): string => ifname(`m${tag}k${b36(vni)}c${b36(chunk)}`);
export const chunkDownlink = (tag: string, vni: number, chunk: number): string => ifname(`m${tag}j${b36(vni)}c${b36(chunk)}`);

/**
 * The namespace of VPC `vpc`'s router on a node (reference plugin). `_r-` cannot start a VM
 * namespace (`_<digits>`) or a node name (no `_`), so the three never collide.
 */
export const routerNetns = (tag: string, node: string, vpc: string): string => `mk-${tag}-${node}_r-${validateVpcId(vpc)}`;
/** Node end of the router's port into VNI `vni` (a port of the VNI's chunk-0 bridge). */
export const routerPort = (tag: string, vni: number): string => ifname(`m${tag}r${b36(vni)}`);
/** Prefix of the router ports of one scenario on a node: they are not endpoints. */
export const routerPortPrefix = (tag: string): string => `m${tag}r`;
/** Router end of that port, inside the router namespace: `vni<decimal>`, readable in `ip addr`. */
export const routerIfname = (vni: number): string => ifname(`vni${vni}`);

/** The chunk bridge that chunk `chunk` (≥ 1) hangs off; see BRIDGE_FANOUT. */
export function chunkParent(chunk: number): number {
  if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`chunk ${chunk} has no parent: chunk 0 is the root`);
  return Math.floor((chunk - 1) / BRIDGE_FANOUT);
}

/** Chunk `chunk` and every chunk between it and chunk 0 (all must exist for it to reach the VXLAN device). */
export function chunkAncestry(chunk: number): number[] {
  const out = [chunk];
  for (let c = chunk; c > 0; ) {
    c = chunkParent(c);
    out.push(c);
  }
  return out;
}

/**
 * Most ports the bridge of chunk `chunk` can have when chunks 0..lastChunk of the VNI exist:
 * endpoints, child chunks, its uplink (chunks ≥ 1) or the VXLAN device and router port (chunk 0).
 */
export function bridgePortsAtMost(chunk: number, lastChunk: number): number {
  const firstChild = chunk * BRIDGE_FANOUT + 1;
  const children = Math.max(0, Math.min(BRIDGE_FANOUT, lastChunk - firstChild + 1));
  return BRIDGE_CHUNK_PORTS + children + (chunk === 0 ? CHUNK0_DEVICE_PORTS : 1);
}

/**
 * Whether the names of chunk `chunk` of VNI `vni` fit the kernel's 15 characters. They do for
 * every chunk below 36^3 (11,943,936 endpoint slots on one node) whatever the VNI, and for every
 * chunk at all when the VNI is below 36^4 (1,679,616).
 */
export function chunkNameFits(vni: number, chunk: number): boolean {
  return `m0000b${b36(vni)}c${b36(chunk)}`.length <= IFNAME_MAX;
}

/**
 * Which bridge chunk an endpoint joins: consecutive endpoint slots fill a bridge up to
 * BRIDGE_CHUNK_PORTS ports, leaving room for the VXLAN device and chunk uplinks.
 */
export function bridgeChunk(vmIndex: number, endpoint: number, endpointsPerVm: number): number {
  return Math.floor((vmIndex * endpointsPerVm + endpoint) / BRIDGE_CHUNK_PORTS);
}

/** Parses a VM namespace name of this tag and node back to its index, or undefined. */
export function parseVmNetns(tag: string, node: string, name: string): number | undefined {
  const prefix = vmNetnsPrefix(tag, node);
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  if (!/^(0|[1-9][0-9]*)$/.test(rest)) return undefined;
  return Number(rest);
}
