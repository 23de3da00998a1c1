/**
 * Which VM pairs the connectivity tests run between. Pure and deterministic (seeded PRNG, no
 * Math.random, no clock): the scenario workflow computes it, and replaying the workflow computes
 * the same pairs.
 *
 * The input is compact — per node a VM count, plus a callback answering the VPC and IP of one
 * endpoint — so the selection works the same for 10 VMs and for 1,000,000: it never walks every
 * VM when it samples, never holds more than `maxPairs` positive plus `maxNegative` negative
 * pairs, and stops after `maxProbes` callback calls (reporting `exhausted`).
 *
 * Coverage (`cover`, on by default): before the strategy runs, up to half of `maxPairs` go to
 * pairs that show each kind of path a VPC has, per VPC in first-seen order: two VMs of one
 * subnet on one node, one subnet across two nodes, two subnets of the VPC on one node (routed by
 * that node's router) and two subnets across two nodes. They are found among the VMs the node
 * scans see (up to `negativeNodes` nodes spread over the scenario, `scanLimit` VMs each), so a
 * kind no scanned node has is left out. The strategy then fills the rest of `maxPairs`; a pair
 * chosen twice counts once.
 *
 * Strategies (positive pairs, both ends in the same VPC):
 * - `ring` (default): each source VM i of node n talks to a VM of its VPC on the next node that
 *   has one (preferring VM i mod count there, so the ring spreads over VMs), wrapping round to
 *   its own node (another VM of that node) when no other node has one.
 * - `random`: `perVm` seeded-random peers of the same VPC per source VM, never itself.
 * - `all`: every ordered same-VPC pair; above `maxPairs` a seeded uniform sample of them.
 * When there are more candidate sources than the cap allows, sources are spread evenly over
 * all VMs (one seeded pick per equal stratum), so every node keeps its share.
 *
 * Negative pairs (`negative`, both ends in different VPCs, expected to fail): one per ordered
 * VPC pair per node pair (same node first, then the next node, …), among up to
 * `negativeNodes` nodes spread over the scenario, at most `maxNegative` in all. VPCs may overlap:
 * a destination address for which `reachable(sourceVpc, ip)` says it answers in the source's
 * own VPC is passed over for another VM of the destination VPC on that node (or none).
 */
import type { TestsSpec } from './spec';
import { seededRandom } from './random';
import { vmName } from './names';

export type PairStrategy = 'ring' | 'random' | 'all';

/** One node as the selection sees it: its name and how many VMs it holds (indices 0..vms-1). */
export interface PairNodeInput {
  name: string;
  vms: number;
}

/** What the scenario's plan says about one endpoint. */
export interface EndpointInfo {
  vpc: string;
  subnet: string;
  ip: string;
}

/** The scenario plan's endpoint lookup (node, VM index, endpoint index) → VPC, subnet, IP. */
export type EndpointAt = (node: string, vmIndex: number, endpoint: number) => EndpointInfo;

export interface PairOptions {
  /** Pair strategy. @default 'ring' */
  strategy?: PairStrategy;
  /** Peers per source VM for `random`. @default 1 */
  perVm?: number;
  /** Most positive pairs returned. @default 200 */
  maxPairs?: number;
  /** Also return negative pairs (different VPCs, expected to fail). @default true */
  negative?: boolean;
  /** Most negative pairs returned. @default Math.min(maxPairs, 50) */
  maxNegative?: number;
  /** Seed of `random` and of the `all` sample. @default 1 */
  seed?: number;
  /** Which endpoint of each VM is tested (endpoint 0 carries the VM's default route). @default 0 */
  endpoint?: number;
  /** VMs examined from a starting point when looking for a same-VPC peer on one node. @default 64 */
  probeLimit?: number;
  /** VMs of one node examined to learn which VPCs it holds. @default 4096 */
  scanLimit?: number;
  /** Nodes examined for negative pairs (spread evenly over the node list). @default 64 */
  negativeNodes?: number;
  /** `all` lists every pair (before sampling) only up to this many VMs; above, it samples randomly. @default 10000 */
  enumerateLimit?: number;
  /** Hard bound on endpoint lookups; the selection stops and sets `exhausted` when reached. @default 1000000 */
  maxProbes?: number;
  /** Lead with pairs covering each kind of path of a VPC (see the module comment). @default true */
  cover?: boolean;
  /**
   * Whether address `ip` answers inside VPC `vpc` (a VM or gateway address there), for VPCs
   * whose CIDRs overlap; such an address is never a negative pair's destination from `vpc`.
   * @default every address is taken to be absent from other VPCs
   */
  reachable?: (vpc: string, ip: string) => boolean;
}

export interface PairEndpoint {
  node: string;
  vmIndex: number;
  ip: string;
}

export interface TestPair {
  source: PairEndpoint;
  destination: PairEndpoint;
  /** True when the two ends are in different VPCs: the test passes when traffic fails. */
  negative: boolean;
}

/** The pairs whose source VM lives on one node (they run on that node's agent). */
export interface NodePairs {
  node: string;
  pairs: TestPair[];
}

export interface PairSelection {
  /** Pairs grouped by source node, nodes in input order, positive pairs before negative ones. */
  byNode: NodePairs[];
  positive: number;
  negative: number;
  /** Source VMs chosen for which no same-VPC peer was found. */
  unpaired: number;
  /** Endpoint lookups made. */
  probes: number;
  /** The lookup budget ran out: the selection is smaller than asked. */
  exhausted: boolean;
}

/** Bad selection input: names the field, the value and the rule. */
export class PairSelectionError extends Error {
  override readonly name = 'PairSelectionError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly rule: string,
  ) {
    super(`invalid ${field}: ${JSON.stringify(value)} (${rule})`);
  }
}

/** Upper bounds of the options (the spec's own bounds, with room). */
export const PAIR_LIMITS = {
  perVm: 64,
  maxPairs: 100_000,
  maxNegative: 100_000,
  endpoint: 4095,
  probeLimit: 1_000_000,
  scanLimit: 1_000_000,
  negativeNodes: 1_000,
  enumerateLimit: 100_000,
  maxProbes: 100_000_000,
  vmsPerNode: 2 ** 31 - 1,
} as const;

/** How a pair end is shown in results: `node/vm-3 (10.0.0.5)`. */
export function endpointLabel(e: PairEndpoint): string {
  return `${vmName(e.node, e.vmIndex)} (${e.ip})`;
}

/** Options from the scenario's `tests` section and seed. */
export function pairOptionsFromSpec(tests: Pick<TestsSpec, 'pairs' | 'perVm' | 'maxPairs' | 'negative'>, seed: number): PairOptions {
  return { strategy: tests.pairs, perVm: tests.perVm, maxPairs: tests.maxPairs, negative: tests.negative, seed };
}


function intOption(options: PairOptions, field: keyof PairOptions, fallback: number, min: number, max: number): number {
  const v = options[field] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new PairSelectionError(field, v, `must be an integer from ${min} to ${max}`);
  }
  return v;
}

interface Resolved {
  strategy: PairStrategy;
  cover: boolean;
  reachable?: (vpc: string, ip: string) => boolean;
  perVm: number;
  maxPairs: number;
  negative: boolean;
  maxNegative: number;
  seed: number;
  endpoint: number;
  probeLimit: number;
  scanLimit: number;
  negativeNodes: number;
  enumerateLimit: number;
  maxProbes: number;
}

function resolveOptions(options: PairOptions): Resolved {
  const strategy = options.strategy ?? 'ring';
  if (strategy !== 'ring' && strategy !== 'random' && strategy !== 'all') {
    throw new PairSelectionError('strategy', strategy, "must be 'ring', 'random' or 'all'");
  }
  const negative = options.negative ?? true;
  if (typeof negative !== 'boolean') throw new PairSelectionError('negative', negative, 'must be true or false');
  const maxPairs = intOption(options, 'maxPairs', 200, 1, PAIR_LIMITS.maxPairs);
  const cover = options.cover ?? true;
  if (typeof cover !== 'boolean') throw new PairSelectionError('cover', cover, 'must be true or false');
  if (options.reachable !== undefined && typeof options.reachable !== 'function') {
    throw new PairSelectionError('reachable', typeof options.reachable, 'must be a function (vpc, ip) => boolean');
  }
  return {
    strategy,
    cover,
    reachable: options.reachable,
    negative,
    maxPairs,
    perVm: intOption(options, 'perVm', 1, 1, PAIR_LIMITS.perVm),
    maxNegative: intOption(options, 'maxNegative', Math.min(maxPairs, 50), 0, PAIR_LIMITS.maxNegative),
    seed: intOption(options, 'seed', 1, 0, 2 ** 32 - 1),
    endpoint: intOption(options, 'endpoint', 0, 0, PAIR_LIMITS.endpoint),
    probeLimit: intOption(options, 'probeLimit', 64, 1, PAIR_LIMITS.probeLimit),
    scanLimit: intOption(options, 'scanLimit', 4096, 1, PAIR_LIMITS.scanLimit),
    negativeNodes: intOption(options, 'negativeNodes', 64, 1, PAIR_LIMITS.negativeNodes),
    enumerateLimit: intOption(options, 'enumerateLimit', 10_000, 0, PAIR_LIMITS.enumerateLimit),
    maxProbes: intOption(options, 'maxProbes', 1_000_000, 1, PAIR_LIMITS.maxProbes),
  };
}

function validateNodes(nodes: readonly PairNodeInput[]): void {
  if (!Array.isArray(nodes)) throw new PairSelectionError('nodes', nodes, 'must be an array of {name, vms}');
  const seen = new Set<string>();
  nodes.forEach((n, i) => {
    if (typeof n?.name !== 'string' || n.name === '') throw new PairSelectionError(`nodes[${i}].name`, n?.name, 'must be a non-empty string');
    if (seen.has(n.name)) throw new PairSelectionError(`nodes[${i}].name`, n.name, 'must be unique');
    seen.add(n.name);
    if (typeof n.vms !== 'number' || !Number.isInteger(n.vms) || n.vms < 0 || n.vms > PAIR_LIMITS.vmsPerNode) {
      throw new PairSelectionError(`nodes[${i}].vms`, n.vms, `must be an integer from 0 to ${PAIR_LIMITS.vmsPerNode}`);
    }
  });
}

/** Thrown inside the selection when the lookup budget is spent; caught at the top. */
class BudgetSpent {}

/** A VM found by a node scan, with its address. */
interface Seen {
  vm: number;
  ip: string;
}

/** Per node: the first (up to two) VMs of each VPC and of each subnet seen by an incremental scan. */
interface NodeScan {
  scanned: number;
  limit: number;
  first: Map<string, number[]>;
  /** Subnet → its VPC and first (up to two) VMs, in first-seen order. */
  subnets: Map<string, { vpc: string; vms: Seen[] }>;
}

/** The VM space: global index ↔ (node, VM), budgeted endpoint lookups, per-node VPC scans. */
class VmSpace {
  readonly starts: number[] = [];
  readonly total: number;
  probes = 0;
  private readonly scans = new Map<number, NodeScan>();

  constructor(
    readonly nodes: readonly PairNodeInput[],
    private readonly endpointAt: EndpointAt,
    private readonly o: Resolved,
  ) {
    let sum = 0;
    for (const n of nodes) {
      this.starts.push(sum);
      sum += n.vms;
    }
    this.total = sum;
  }

  vms(node: number): number {
    return this.nodes[node].vms;
  }

  /** Node index holding global VM index g (binary search over the starts). */
  locate(g: number): { node: number; vm: number } {
    let lo = 0;
    let hi = this.nodes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= g) lo = mid;
      else hi = mid - 1;
    }
    // Nodes with zero VMs share a start with the next node; step over them.
    while (this.nodes[lo].vms === 0 || g - this.starts[lo] >= this.nodes[lo].vms) lo++;
    return { node: lo, vm: g - this.starts[lo] };
  }

  info(node: number, vm: number): EndpointInfo {
    if (this.probes >= this.o.maxProbes) throw new BudgetSpent();
    this.probes++;
    const name = this.nodes[node].name;
    const r = this.endpointAt(name, vm, this.o.endpoint);
    if (!r || typeof r.vpc !== 'string' || typeof r.ip !== 'string') {
      throw new PairSelectionError(`endpointAt(${name}, ${vm}, ${this.o.endpoint})`, r, 'must return {vpc, subnet, ip} strings');
    }
    return r;
  }

  end(node: number, vm: number, ip: string): PairEndpoint {
    return { node: this.nodes[node].name, vmIndex: vm, ip };
  }

  private scan(node: number, want?: string, untilComplete = false): NodeScan {
    let s = this.scans.get(node);
    if (!s) {
      s = { scanned: 0, limit: Math.min(this.vms(node), this.o.scanLimit), first: new Map(), subnets: new Map() };
      this.scans.set(node, s);
    }
    while (s.scanned < s.limit) {
      if (!untilComplete && want !== undefined && (s.first.get(want)?.length ?? 0) >= 2) break;
      const e = this.info(node, s.scanned);
      const list = s.first.get(e.vpc);
      if (!list) s.first.set(e.vpc, [s.scanned]);
      else if (list.length < 2) list.push(s.scanned);
      const sub = s.subnets.get(e.subnet);
      if (!sub) s.subnets.set(e.subnet, { vpc: e.vpc, vms: [{ vm: s.scanned, ip: e.ip }] });
      else if (sub.vms.length < 2) sub.vms.push({ vm: s.scanned, ip: e.ip });
      s.scanned++;
    }
    return s;
  }

  /** Whether the scan of a node has seen all it will ever see. */
  scanComplete(node: number): boolean {
    const s = this.scans.get(node);
    return s !== undefined && s.scanned >= s.limit;
  }

  /** A VM of the VPC on the node other than `exclude`, from the node's scan (lazy, bounded). */
  firstOf(node: number, vpc: string, exclude = -1): number | undefined {
    const s = this.scan(node, vpc);
    return s.first.get(vpc)?.find((v) => v !== exclude);
  }

  /** The VPCs of a node (scan bounded by scanLimit) with their first VM, in first-seen order. */
  vpcsOf(node: number): Array<[string, number]> {
    return [...this.scan(node, undefined, true).first.entries()].map(([v, l]) => [v, l[0]]);
  }

  /** The subnets of a node (scan bounded by scanLimit) with their VPC and first VMs, in first-seen order. */
  subnetsOf(node: number): Array<{ subnet: string; vpc: string; vms: Seen[] }> {
    return [...this.scan(node, undefined, true).subnets.entries()].map(([subnet, v]) => ({ subnet, ...v }));
  }
}

/** Nodes examined for coverage and negative pairs: up to negativeNodes nodes with VMs, spread evenly. */
function sampledNodes(space: VmSpace, o: Resolved): number[] {
  const withVms = space.nodes.map((_, i) => i).filter((i) => space.vms(i) > 0);
  return stratified(withVms.length, Math.min(withVms.length, o.negativeNodes)).map((k) => withVms[k]);
}

/**
 * `count` indices from [0, total), in increasing order, one from each of `count` equal strata;
 * with `rnd`, a seeded position inside each stratum (so sources are not all VM 0 of their node),
 * without, the stratum's start.
 */
function stratified(total: number, count: number, rnd?: () => number): number[] {
  const out: number[] = [];
  const width = total / count;
  for (let k = 0; k < count; k++) out.push(Math.floor(k * width + (rnd ? rnd() * width : 0)));
  return out;
}

/**
 * Looks for a VM of `vpc` on `node` starting at `start` and walking forward (wrapping) at most
 * probeLimit VMs, skipping `self` and `skip`; returns the VM index and its IP.
 */
function probeFrom(space: VmSpace, o: Resolved, node: number, start: number, vpc: string, self: number, skip?: ReadonlySet<number>): { vm: number; ip: string } | undefined {
  const n = space.vms(node);
  const steps = Math.min(n, o.probeLimit);
  for (let k = 0; k < steps; k++) {
    const vm = (start + k) % n;
    if (vm === self || skip?.has(vm)) continue;
    const e = space.info(node, vm);
    if (e.vpc === vpc) return { vm, ip: e.ip };
  }
  return undefined;
}

/** The ring peer of VM `vm` of node `node` (VPC `vpc`): see the module comment. */
function ringPeer(space: VmSpace, o: Resolved, node: number, vm: number, vpc: string): { node: number; vm: number; ip: string } | undefined {
  const count = space.nodes.length;
  for (let h = 1; h <= count; h++) {
    const m = (node + h) % count;
    const n = space.vms(m);
    const self = m === node ? vm : -1;
    if (n === 0 || (m === node && n < 2)) continue;
    if (space.scanComplete(m)) {
      // The node's VPCs are known: skip it cheaply if it has none of this VPC.
      if (space.firstOf(m, vpc, self) === undefined) continue;
    }
    const start = m === node ? (vm + 1) % n : vm % n;
    const hit = probeFrom(space, o, m, start, vpc, self);
    if (hit) return { node: m, ...hit };
    const first = space.firstOf(m, vpc, self);
    if (first !== undefined) return { node: m, vm: first, ip: space.info(m, first).ip };
  }
  return undefined;
}

type Emit = (node: number, pair: TestPair) => void;

function selectRing(space: VmSpace, o: Resolved, emit: Emit, limit: number): number {
  let unpaired = 0;
  const rnd = seededRandom(o.seed ^ 0x52494e47);
  for (const g of stratified(space.total, Math.min(space.total, limit), rnd)) {
    const src = space.locate(g);
    const e = space.info(src.node, src.vm);
    const peer = ringPeer(space, o, src.node, src.vm, e.vpc);
    if (!peer) {
      unpaired++;
      continue;
    }
    emit(src.node, { source: space.end(src.node, src.vm, e.ip), destination: space.end(peer.node, peer.vm, peer.ip), negative: false });
  }
  return unpaired;
}

/** Up to `want` random same-VPC peers of one source (not itself, no repeats). */
function randomPeers(space: VmSpace, o: Resolved, rnd: () => number, src: { node: number; vm: number }, vpc: string, want: number): Array<{ node: number; vm: number; ip: string }> {
  const found: Array<{ node: number; vm: number; ip: string }> = [];
  const taken = new Set<string>();
  for (let attempt = 0; attempt < 8 * want && found.length < want; attempt++) {
    const at = space.locate(Math.floor(rnd() * space.total));
    const skip = new Set<number>();
    for (const f of found) if (f.node === at.node) skip.add(f.vm);
    const hit = probeFrom(space, o, at.node, at.vm, vpc, at.node === src.node ? src.vm : -1, skip);
    if (hit && !taken.has(`${at.node}/${hit.vm}`)) {
      taken.add(`${at.node}/${hit.vm}`);
      found.push({ node: at.node, ...hit });
    }
  }
  if (found.length === 0) {
    // A rare VPC defeats random probing; the ring peer exists whenever any peer does.
    const peer = ringPeer(space, o, src.node, src.vm, vpc);
    if (peer) found.push(peer);
  }
  return found;
}

function selectRandom(space: VmSpace, o: Resolved, emit: Emit, limit: number): number {
  const rnd = seededRandom(o.seed ^ 0x52414e44);
  let unpaired = 0;
  let budget = limit;
  const sources = Math.min(space.total, Math.ceil(limit / o.perVm));
  for (const g of stratified(space.total, sources, rnd)) {
    if (budget === 0) break;
    const src = space.locate(g);
    const e = space.info(src.node, src.vm);
    const peers = randomPeers(space, o, rnd, src, e.vpc, Math.min(o.perVm, budget));
    if (peers.length === 0) unpaired++;
    for (const p of peers) {
      emit(src.node, { source: space.end(src.node, src.vm, e.ip), destination: space.end(p.node, p.vm, p.ip), negative: false });
      budget--;
    }
  }
  return unpaired;
}

/** Floyd's algorithm: `count` distinct integers from [0, total), sorted. */
function sampleDistinct(total: number, count: number, rnd: () => number): number[] {
  const chosen = new Set<number>();
  for (let j = total - count; j < total; j++) {
    const t = Math.floor(rnd() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen].sort((a, b) => a - b);
}

function selectAll(space: VmSpace, o: Resolved, emit: Emit, limit: number): number {
  const rnd = seededRandom(o.seed ^ 0x414c4c21);
  if (space.total > o.enumerateLimit) {
    // Too many VMs to list: a seeded random sample of same-VPC pairs instead.
    const taken = new Set<string>();
    let unpaired = 0;
    for (let attempt = 0; attempt < 4 * limit && taken.size < limit; attempt++) {
      const src = space.locate(Math.floor(rnd() * space.total));
      const e = space.info(src.node, src.vm);
      const [peer] = randomPeers(space, o, rnd, src, e.vpc, 1);
      if (!peer) {
        unpaired++;
        continue;
      }
      const key = `${src.node}/${src.vm}>${peer.node}/${peer.vm}`;
      if (taken.has(key)) continue;
      taken.add(key);
      emit(src.node, { source: space.end(src.node, src.vm, e.ip), destination: space.end(peer.node, peer.vm, peer.ip), negative: false });
    }
    return unpaired;
  }
  // Group every VM by VPC (global indices in order), then index the ordered pairs of each group.
  const groups = new Map<string, number[]>();
  const ips: string[] = [];
  for (let g = 0; g < space.total; g++) {
    const at = space.locate(g);
    const e = space.info(at.node, at.vm);
    ips.push(e.ip);
    const list = groups.get(e.vpc);
    if (list) list.push(g);
    else groups.set(e.vpc, [g]);
  }
  const lists = [...groups.values()];
  const offsets: number[] = [];
  let pairsTotal = 0;
  let unpaired = 0;
  for (const l of lists) {
    offsets.push(pairsTotal);
    pairsTotal += l.length * (l.length - 1);
    if (l.length === 1) unpaired++;
  }
  const picks = pairsTotal <= limit ? null : sampleDistinct(pairsTotal, limit, rnd);
  const pairAt = (idx: number): [number, number] => {
    // The last group starting at or before idx (groups of one VM start where the next one does).
    let lo = 0;
    let hi = lists.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (offsets[mid] <= idx) lo = mid;
      else hi = mid - 1;
    }
    const gi = lo;
    const l = lists[gi];
    const t = idx - offsets[gi];
    const s = Math.floor(t / (l.length - 1));
    const d = t % (l.length - 1);
    return [l[s], l[d >= s ? d + 1 : d]];
  };
  const chosen: Array<[number, number]> = [];
  if (picks) for (const p of picks) chosen.push(pairAt(p));
  else for (let p = 0; p < pairsTotal; p++) chosen.push(pairAt(p));
  chosen.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (const [s, d] of chosen) {
    const src = space.locate(s);
    const dst = space.locate(d);
    emit(src.node, { source: space.end(src.node, src.vm, ips[s]), destination: space.end(dst.node, dst.vm, ips[d]), negative: false });
  }
  return unpaired;
}

/**
 * A VM of `vpc` on node `nb` whose address does not answer in `fromVpc` (o.reachable): the
 * VPC's first VM when nothing overlaps, otherwise the first such VM among those the scan saw.
 */
function negativeDestination(space: VmSpace, o: Resolved, nb: number, vpc: string, firstVm: number, fromVpc: string): Seen | undefined {
  const first = { vm: firstVm, ip: space.info(nb, firstVm).ip };
  if (!o.reachable?.(fromVpc, first.ip)) return first;
  for (const s of space.subnetsOf(nb)) {
    if (s.vpc !== vpc) continue;
    for (const v of s.vms) if (!o.reachable(fromVpc, v.ip)) return v;
  }
  return undefined;
}

function selectNegative(space: VmSpace, o: Resolved, emit: Emit): void {
  const sampled = sampledNodes(space, o);
  const k = sampled.length;
  let left = o.maxNegative;
  for (let d = 0; d < k && left > 0; d++) {
    for (let a = 0; a < k && left > 0; a++) {
      const na = sampled[a];
      const nb = sampled[(a + d) % k];
      const va = space.vpcsOf(na);
      const vb = space.vpcsOf(nb);
      for (const [vpcA, vmA] of va) {
        for (const [vpcB, vmB] of vb) {
          if (left === 0) return;
          if (vpcA === vpcB) continue;
          const dst = negativeDestination(space, o, nb, vpcB, vmB, vpcA);
          if (!dst) continue;
          const ipA = space.info(na, vmA).ip;
          emit(na, { source: space.end(na, vmA, ipA), destination: space.end(nb, dst.vm, dst.ip), negative: true });
          left--;
        }
      }
    }
  }
}

/** One (node, subnet) the coverage scan saw, with its first VMs. */
interface Spot {
  node: number;
  subnet: string;
  vms: Seen[];
}

/**
 * The coverage pairs of one VPC, in order: same subnet and node, same subnet across nodes,
 * two subnets on one node, two subnets across nodes; a kind the spots cannot show is skipped.
 * Linear in the spots.
 */
function coveragePairs(spots: readonly Spot[]): Array<[Spot, Seen, Spot, Seen]> {
  const out: Array<[Spot, Seen, Spot, Seen]> = [];
  const twoOnNode = spots.find((p) => p.vms.length >= 2);
  if (twoOnNode) out.push([twoOnNode, twoOnNode.vms[0], twoOnNode, twoOnNode.vms[1]]);
  const firstOfSubnet = new Map<string, Spot>();
  const firstOfNode = new Map<number, Spot>();
  let acrossNodes: [Spot, Spot] | undefined;
  let acrossSubnets: [Spot, Spot] | undefined;
  for (const p of spots) {
    const f = firstOfSubnet.get(p.subnet);
    if (!f) firstOfSubnet.set(p.subnet, p);
    else if (!acrossNodes && f.node !== p.node) acrossNodes = [f, p];
    const g = firstOfNode.get(p.node);
    if (!g) firstOfNode.set(p.node, p);
    else if (!acrossSubnets && g.subnet !== p.subnet) acrossSubnets = [g, p];
  }
  if (acrossNodes) out.push([acrossNodes[0], acrossNodes[0].vms[0], acrossNodes[1], acrossNodes[1].vms[0]]);
  if (acrossSubnets) out.push([acrossSubnets[0], acrossSubnets[0].vms[0], acrossSubnets[1], acrossSubnets[1].vms[0]]);
  // Two subnets across nodes: from the first spot if any spot elsewhere has another subnet; else
  // every spot off its node has its subnet, and only a spot of another subnet on its node can start one.
  const p0 = spots[0];
  if (p0) {
    const direct = spots.find((p) => p.node !== p0.node && p.subnet !== p0.subnet);
    if (direct) out.push([p0, p0.vms[0], direct, direct.vms[0]]);
    else {
      const from = spots.find((p) => p.node === p0.node && p.subnet !== p0.subnet);
      const to = spots.find((p) => p.node !== p0.node);
      if (from && to) out.push([from, from.vms[0], to, to.vms[0]]);
    }
  }
  return out;
}

/** Coverage pairs of every VPC (see the module comment), through `emit`, while it accepts them. */
function selectCoverage(space: VmSpace, o: Resolved, emit: (node: number, pair: TestPair) => boolean, budget: number): void {
  const byVpc = new Map<string, Spot[]>();
  for (const n of sampledNodes(space, o)) {
    for (const s of space.subnetsOf(n)) {
      const list = byVpc.get(s.vpc) ?? [];
      list.push({ node: n, subnet: s.subnet, vms: s.vms });
      byVpc.set(s.vpc, list);
    }
  }
  let left = budget;
  for (const spots of byVpc.values()) {
    for (const [a, va, b, vb] of coveragePairs(spots)) {
      if (left === 0) return;
      if (emit(a.node, { source: space.end(a.node, va.vm, va.ip), destination: space.end(b.node, vb.vm, vb.ip), negative: false })) left--;
    }
  }
}

/** Chooses the test pairs of a scenario; see the module comment for the strategies and bounds. */
export function selectPairs(nodes: readonly PairNodeInput[], endpointAt: EndpointAt, options: PairOptions = {}): PairSelection {
  validateNodes(nodes);
  if (typeof endpointAt !== 'function') throw new PairSelectionError('endpointAt', typeof endpointAt, 'must be a function (node, vmIndex, endpoint) => {vpc, subnet, ip}');
  const o = resolveOptions(options);
  const space = new VmSpace(nodes, endpointAt, o);
  const positive: TestPair[][] = nodes.map(() => []);
  const negative: TestPair[][] = nodes.map(() => []);
  let positiveCount = 0;
  let negativeCount = 0;
  let unpaired = 0;
  let exhausted = false;
  if (space.total > 0) {
    try {
      // A pair chosen twice (by the coverage and by the strategy) counts once; never above maxPairs.
      const chosen = new Set<string>();
      const emit = (node: number, pair: TestPair): boolean => {
        const k = `${pair.source.node}/${pair.source.vmIndex}>${pair.destination.node}/${pair.destination.vmIndex}`;
        if (positiveCount >= o.maxPairs || chosen.has(k)) return false;
        chosen.add(k);
        positive[node].push(pair);
        positiveCount++;
        return true;
      };
      if (o.cover) selectCoverage(space, o, emit, Math.ceil(o.maxPairs / 2));
      const limit = o.maxPairs - positiveCount;
      if (limit > 0) {
        if (o.strategy === 'ring') unpaired = selectRing(space, o, emit, limit);
        else if (o.strategy === 'random') unpaired = selectRandom(space, o, emit, limit);
        else unpaired = selectAll(space, o, emit, limit);
      }
      if (o.negative && o.maxNegative > 0) {
        selectNegative(space, o, (node, pair) => {
          negative[node].push(pair);
          negativeCount++;
        });
      }
    } catch (e) {
      if (!(e instanceof BudgetSpent)) throw e;
      exhausted = true;
    }
  }
  const byNode: NodePairs[] = [];
  nodes.forEach((n, i) => {
    if (positive[i].length + negative[i].length > 0) byNode.push({ node: n.name, pairs: [...positive[i], ...negative[i]] });
  });
  return { byNode, positive: positiveCount, negative: negativeCount, unpaired, probes: space.probes, exhausted };
}
