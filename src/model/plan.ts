/**
 * The build plan: how many VMs each node gets (placement), which subnet each endpoint joins, and
 * which address it gets. Pure and deterministic: the scenario workflow computes it (and replays
 * it), the node workflow turns it into batch payloads of ranges, and the test-pair selection reads
 * endpoint addresses from it. Nothing here is a per-VM list.
 *
 * Subnet layout. VMs of a node are grouped in blocks of `blockSize` consecutive indexes; endpoint
 * e of the VMs of block b on the node in slot n joins subnet (b + n + e) mod S, S being the number
 * of subnets over all VPCs in spec order. So every node mixes subnets (and VPCs) as soon as it
 * has a few VMs, a VM's subnet never depends on how many VMs its node has (scaling keeps every
 * existing VM where it is), and a batch of consecutive VMs is a handful of ranges.
 *
 * Address layout. Each (node, subnet) owns ranges of host indexes, allocated in whole blocks
 * from a per-subnet high-water mark; the j-th block-unit a node has in a subnet (ordered by block,
 * then endpoint) uses host indexes [j·blockSize, (j+1)·blockSize) of the node's ranges in that
 * subnet, laid end to end. Growing a node appends ranges; shrinking keeps them, so an address is
 * never handed to another VM while the scenario lives.
 */
import { capacity, gateway, hostAddress, prefixOf, underlayAddress } from './ipam';
import { cidrContainsAddress, isIpv4, parseCidr, parseIpv4, type Ipv4Cidr } from './ipv4';
import { endpointMac } from './mac';
import { seededRandom } from './random';
import type { Placement, ScenarioSpec } from './spec';

/** Largest block of consecutive VMs that share a subnet. */
export const MAX_BLOCK_SIZE = 64;

export interface PlanSubnet {
  /** Position in spec order over all VPCs. */
  index: number;
  id: string;
  vpc: string;
  cidr: string;
  gateway: string;
  /** VNI as the provider assigned it. */
  vni: number;
}

/** A node's host-index ranges in one subnet: [start, count] pairs, in allocation order. */
export type RangeList = [number, number][];

export interface AddressBook {
  blockSize: number;
  /** Next free host index per subnet (by PlanSubnet.index). */
  next: number[];
  /** Ranges per node name, per subnet index. */
  nodes: Record<string, RangeList[]>;
}

/** Thrown when a subnet has no room left; names the subnet, the node and the numbers. */
export class AddressSpaceError extends Error {
  override readonly name = 'AddressSpaceError';
}

/** Block size for a scenario: chosen once, at the first build, and kept for its whole life. */
export function chooseBlockSize(vmsPerNode: number, subnetCount: number): number {
  return Math.max(1, Math.min(MAX_BLOCK_SIZE, Math.floor(vmsPerNode / Math.max(1, subnetCount))));
}

/** Subnet index of endpoint `endpoint` of VM `vmIndex` on the node in `slot`. */
export function subnetOf(slot: number, vmIndex: number, endpoint: number, blockSize: number, subnetCount: number): number {
  return (Math.floor(vmIndex / blockSize) + slot + endpoint) % subnetCount;
}

/** Number of addresses a node of `vms` VMs needs in each subnet (whole blocks). */
export function addressNeeds(slot: number, vms: number, endpointsPerVm: number, blockSize: number, subnetCount: number): number[] {
  const needs = new Array<number>(subnetCount).fill(0);
  const blocks = Math.ceil(vms / blockSize);
  // Per endpoint, blocks visit subnets round-robin starting at (slot + e): count whole cycles at once.
  for (let e = 0; e < endpointsPerVm; e++) {
    const cycles = Math.floor(blocks / subnetCount);
    const rest = blocks % subnetCount;
    for (let s = 0; s < subnetCount; s++) needs[s]! += cycles * blockSize;
    for (let k = 0; k < rest; k++) needs[(slot + e + k) % subnetCount]! += blockSize;
  }
  return needs;
}

function rangeTotal(ranges: RangeList): number {
  return ranges.reduce((sum, [, count]) => sum + count, 0);
}

/**
 * Makes sure `node` owns enough addresses in every subnet for `vms` VMs; appends ranges as needed.
 * Returns a new book (the input is not changed). Throws AddressSpaceError when a subnet is full.
 * Copies the book's node map: O(nodes). Loops over many nodes use {@link reserveAddressesInto}
 * on one copy instead.
 */
export function reserveAddresses(
  book: AddressBook,
  subnets: readonly PlanSubnet[],
  node: string,
  slot: number,
  vms: number,
  endpointsPerVm: number,
): AddressBook {
  const copy: AddressBook = { blockSize: book.blockSize, next: [...book.next], nodes: { ...book.nodes } };
  reserveAddressesInto(copy, subnets, node, slot, vms, endpointsPerVm);
  return copy;
}

/**
 * {@link reserveAddresses} in place: `book.next` is updated and `book.nodes[node]` replaced by a
 * new list (the node's old lists are not changed, so a shallow copy of the book is a safe trial).
 * O(subnets + the node's ranges), whatever the number of nodes. Nothing changes when it throws.
 * @throws AddressSpaceError when a subnet has no room, naming the subnet, the node and the numbers
 */
export function reserveAddressesInto(
  book: AddressBook,
  subnets: readonly PlanSubnet[],
  node: string,
  slot: number,
  vms: number,
  endpointsPerVm: number,
): void {
  const needs = addressNeeds(slot, vms, endpointsPerVm, book.blockSize, subnets.length);
  const next = [...book.next];
  const current = book.nodes[node] ?? subnets.map(() => [] as RangeList);
  const ranges = current.map((r) => r.map(([a, b]) => [a, b] as [number, number]));
  subnets.forEach((subnet, s) => {
    const missing = needs[s]! - rangeTotal(ranges[s]!);
    if (missing <= 0) return;
    const room = capacity(subnet.cidr);
    if (next[s]! + missing > room) {
      throw new AddressSpaceError(
        `subnet ${subnet.id} (${subnet.cidr}) has no room for node ${node}: it needs ${missing} more addresses, ${room - next[s]!} of ${room} are left; use a larger subnet, more subnets or fewer VMs`,
      );
    }
    const last = ranges[s]![ranges[s]!.length - 1];
    if (last && last[0] + last[1] === next[s]) last[1] += missing;
    else ranges[s]!.push([next[s]!, missing]);
    next[s]! += missing;
  });
  book.next = next;
  book.nodes[node] = ranges;
}

/** Position of a block-unit (block b, endpoint e) among the node's units in its subnet. */
function unitRank(slot: number, block: number, endpoint: number, endpointsPerVm: number, subnetCount: number): number {
  const s = (block + slot + endpoint) % subnetCount;
  let rank = 0;
  // Units before block `block` in subnet s: for each endpoint e', blocks b' < block with (b'+slot+e') ≡ s.
  for (let e = 0; e < endpointsPerVm; e++) {
    const first = (((s - slot - e) % subnetCount) + subnetCount) % subnetCount; // smallest b' ≥ 0 in s
    if (block > first) rank += Math.floor((block - 1 - first) / subnetCount) + 1;
  }
  // Units of the same block with a smaller endpoint in subnet s.
  for (let e = 0; e < endpoint; e++) if ((block + slot + e) % subnetCount === s) rank++;
  return rank;
}

/** Host index (in its subnet) of endpoint `endpoint` of VM `vmIndex` on a node. */
export function hostIndexOf(ranges: readonly RangeList[], slot: number, vmIndex: number, endpoint: number, endpointsPerVm: number, blockSize: number): number {
  const subnetCount = ranges.length;
  const s = subnetOf(slot, vmIndex, endpoint, blockSize, subnetCount);
  const offset = unitRank(slot, Math.floor(vmIndex / blockSize), endpoint, endpointsPerVm, subnetCount) * blockSize + (vmIndex % blockSize);
  let left = offset;
  for (const [start, count] of ranges[s]!) {
    if (left < count) return start + left;
    left -= count;
  }
  throw new AddressSpaceError(`VM ${vmIndex} endpoint ${endpoint} has no reserved address (offset ${offset} in subnet #${s}); reserve addresses before building`);
}

/** A run of consecutive VMs whose endpoint `endpoint` gets consecutive host indexes in one subnet. */
export interface Segment {
  vmFrom: number;
  vmCount: number;
  endpoint: number;
  subnet: PlanSubnet;
  ipIndexFrom: number;
}

/**
 * The segments of VMs [from, from + count): at most one per (block, endpoint), fewer when ranges
 * are contiguous. A batch of 500 VMs with blocks of 64 is ~8 segments per endpoint.
 */
export function segmentsFor(
  subnets: readonly PlanSubnet[],
  ranges: readonly RangeList[],
  slot: number,
  from: number,
  count: number,
  endpointsPerVm: number,
  blockSize: number,
): Segment[] {
  const out: Segment[] = [];
  for (let e = 0; e < endpointsPerVm; e++) {
    let vm = from;
    while (vm < from + count) {
      const blockEnd = (Math.floor(vm / blockSize) + 1) * blockSize;
      const end = Math.min(blockEnd, from + count);
      const s = subnetOf(slot, vm, e, blockSize, subnets.length);
      const ipFrom = hostIndexOf(ranges, slot, vm, e, endpointsPerVm, blockSize);
      const prev = out[out.length - 1];
      if (prev && prev.endpoint === e && prev.subnet.index === s && prev.vmFrom + prev.vmCount === vm && prev.ipIndexFrom + prev.vmCount === ipFrom) {
        prev.vmCount += end - vm;
      } else {
        out.push({ vmFrom: vm, vmCount: end - vm, endpoint: e, subnet: subnets[s]!, ipIndexFrom: ipFrom });
      }
      vm = end;
    }
  }
  return out;
}

/** Everything about one endpoint, computed on demand (for tests and pair selection). */
export interface EndpointAddress {
  subnet: PlanSubnet;
  ip: string;
  prefix: number;
  mac: string;
}

export function endpointAddress(
  scenario: string,
  subnets: readonly PlanSubnet[],
  ranges: readonly RangeList[],
  slot: number,
  vmIndex: number,
  endpoint: number,
  endpointsPerVm: number,
  blockSize: number,
): EndpointAddress {
  const subnet = subnets[subnetOf(slot, vmIndex, endpoint, blockSize, subnets.length)]!;
  return {
    subnet,
    ip: hostAddress(subnet.cidr, hostIndexOf(ranges, slot, vmIndex, endpoint, endpointsPerVm, blockSize)),
    prefix: prefixOf(subnet.cidr),
    mac: endpointMac(scenario, slot, vmIndex, endpoint),
  };
}

/**
 * Whether an address answers inside a VPC under this plan (pure): it is the gateway of one of the
 * VPC's subnets, or a host address the plan reserved there for some node (reserved and not yet
 * used counts too: a later scale hands it out). For the negative test pairs of VPCs whose CIDRs
 * overlap: reaching such an address from the VPC says nothing about isolation.
 */
export function addressInVpc(subnets: readonly PlanSubnet[], book: AddressBook): (vpc: string, ip: string) => boolean {
  const byVpc = new Map<string, Array<{ index: number; cidr: Ipv4Cidr }>>();
  for (const s of subnets) {
    const list = byVpc.get(s.vpc) ?? [];
    list.push({ index: s.index, cidr: parseCidr(s.cidr) });
    byVpc.set(s.vpc, list);
  }
  const nodes = Object.keys(book.nodes).sort();
  return (vpc, ip) => {
    const list = byVpc.get(vpc);
    if (!list || !isIpv4(ip)) return false;
    const address = parseIpv4(ip);
    for (const s of list) {
      if (!cidrContainsAddress(s.cidr, address)) continue;
      const offset = address - s.cidr.network;
      if (offset === 1) return true;
      const host = offset - 2;
      for (const n of nodes) {
        for (const [start, count] of book.nodes[n]![s.index] ?? []) if (host >= start && host < start + count) return true;
      }
    }
    return false;
  };
}

/** Subnets of a spec in plan order, with the VNIs the provider assigned (fall back to the asked ones). */
export function planSubnets(spec: Pick<ScenarioSpec, 'vpcs'>, assignedVni: (kind: 'vpc' | 'subnet', id: string) => number | undefined): PlanSubnet[] {
  const out: PlanSubnet[] = [];
  for (const vpc of spec.vpcs) {
    for (const subnet of vpc.subnets) {
      out.push({
        index: out.length,
        id: subnet.id,
        vpc: vpc.id,
        cidr: subnet.cidr,
        gateway: gateway(subnet.cidr),
        vni: assignedVni('subnet', subnet.id) ?? subnet.vni ?? assignedVni('vpc', vpc.id) ?? vpc.vni,
      });
    }
  }
  return out;
}

/** Underlay address of a node: the one the spec gives (Kubernetes: the pod IP) or one from the underlay CIDR. */
export function nodeUnderlayIp(spec: { underlay: Pick<ScenarioSpec['underlay'], 'cidr'> }, node: { ip?: string }, slot: number): string {
  return node.ip ?? underlayAddress(spec.underlay.cidr, slot);
}


/** Splits `total` over weights with the largest-remainder method: exact sum, deterministic. */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (weights.length === 0) return [];
  if (sum <= 0) return weights.map((_, i) => (i === 0 ? total : 0));
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ frac: x - Math.floor(x), i })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; left > 0 && k < order.length; k++, left--) out[order[k]!.i]! += 1;
  return out;
}

/**
 * VMs per node under a placement: `uniform` gives every node vmsPerNode; `assign` takes each
 * node's own count; `skew` spreads the same total with weights 1, 1/2, 1/3 … (Zipf); `random`
 * spreads it with seeded random weights.
 */
export function placeVms(placement: Placement, nodes: readonly { vms: number }[], vmsPerNode: number, seed: number): number[] {
  const total = vmsPerNode * nodes.length;
  switch (placement) {
    case 'uniform':
      return nodes.map(() => vmsPerNode);
    case 'assign':
      return nodes.map((n) => n.vms);
    case 'skew':
      return apportion(total, nodes.map((_, i) => 1 / (i + 1)));
    case 'random': {
      const next = seededRandom(seed);
      return apportion(total, nodes.map(() => next() + 1e-9));
    }
  }
}
