import { seededRandom } from '../../src/model/random';
import { addressInVpc, chooseBlockSize, endpointAddress, planSubnets, reserveAddresses, type AddressBook } from '../../src/model/plan';
import {
  endpointLabel,
  pairOptionsFromSpec,
  PairSelectionError,
  selectPairs,
  type EndpointAt,
  type PairNodeInput,
  type PairSelection,
  type TestPair,
} from '../../src/model/pairs';

/** A plan where VPC and IP follow from (node, vm) by a rule given per test. */
function plan(vpcOf: (node: string, vm: number) => string): EndpointAt & { calls: number } {
  const fn = ((node: string, vm: number, ep: number) => {
    fn.calls++;
    return { vpc: vpcOf(node, vm), subnet: `${vpcOf(node, vm)}-s`, ip: `${node}:${vm}:${ep}` };
  }) as EndpointAt & { calls: number };
  fn.calls = 0;
  return fn;
}

const nodes = (...vms: number[]): PairNodeInput[] => vms.map((v, i) => ({ name: `n${i}`, vms: v }));
const all = (s: PairSelection): TestPair[] => s.byNode.flatMap((g) => g.pairs);
const key = (p: TestPair) => `${p.source.node}/${p.source.vmIndex}>${p.destination.node}/${p.destination.vmIndex}`;
const alternating = plan((_n, vm) => (vm % 2 === 0 ? 'red' : 'blue'));

function checkInvariants(s: PairSelection, vpcOf: (node: string, vm: number) => string): void {
  for (const g of s.byNode) {
    for (const p of g.pairs) {
      expect(p.source.node).toBe(g.node);
      expect(key(p)).not.toBe(`${p.source.node}/${p.source.vmIndex}>${p.source.node}/${p.source.vmIndex}`);
      const same = vpcOf(p.source.node, p.source.vmIndex) === vpcOf(p.destination.node, p.destination.vmIndex);
      expect(same).toBe(!p.negative);
      expect(p.source.ip).toBe(`${p.source.node}:${p.source.vmIndex}:0`);
      expect(p.destination.ip).toBe(`${p.destination.node}:${p.destination.vmIndex}:0`);
    }
  }
  expect(all(s).filter((p) => !p.negative)).toHaveLength(s.positive);
  expect(all(s).filter((p) => p.negative)).toHaveLength(s.negative);
}

describe('ring', () => {
  it('pairs VM i of each node with VM i of the next node, wrapping, grouped by source node', () => {
    const s = selectPairs(nodes(4, 4, 4), alternating, { negative: false, cover: false });
    expect(s.positive).toBe(12);
    expect(s.unpaired).toBe(0);
    expect(s.byNode.map((g) => g.node)).toEqual(['n0', 'n1', 'n2']);
    expect(s.byNode[0].pairs.map(key)).toEqual(['n0/0>n1/0', 'n0/1>n1/1', 'n0/2>n1/2', 'n0/3>n1/3']);
    expect(s.byNode[2].pairs.map(key)).toEqual(['n2/0>n0/0', 'n2/1>n0/1', 'n2/2>n0/2', 'n2/3>n0/3']);
    checkInvariants(s, (_n, vm) => (vm % 2 === 0 ? 'red' : 'blue'));
  });

  it('with one node talks to the next VM of the same VPC, wrapping, never itself', () => {
    const s = selectPairs(nodes(4), alternating, { negative: false, cover: false });
    expect(all(s).map(key)).toEqual(['n0/0>n0/2', 'n0/1>n0/3', 'n0/2>n0/0', 'n0/3>n0/1']);
  });

  it('skips nodes without the VPC and nodes without VMs, and wraps to its own node last', () => {
    // n0: red,blue  n1: (none)  n2: red only  n3: blue,blue
    const vpc = (n: string, vm: number) => ({ n0: ['red', 'blue'], n2: ['red', 'red'], n3: ['blue', 'blue'] })[n as 'n0' | 'n2' | 'n3'][vm];
    const s = selectPairs(nodes(2, 0, 2, 2), plan(vpc), { negative: false, cover: false });
    expect(all(s).map(key)).toEqual([
      'n0/0>n2/0', // red: next node with red is n2
      'n0/1>n3/1', // blue: n2 has none, n3 has VM 1
      'n2/0>n0/0', // red: n3 has none, wraps to n0
      'n2/1>n0/0',
      'n3/0>n0/1', // blue: the node after n3 is n0, blue at VM 1
      'n3/1>n0/1',
    ]);
    checkInvariants(s, vpc);
  });

  it('finds a same-VPC peer far from VM i by scanning the node, and reports VMs without any peer', () => {
    // Only n1/vm 900 is green besides n0/vm 3; n0/vm 5 is the only yellow VM anywhere.
    const vpc = (n: string, vm: number) => (n === 'n0' && vm === 3) || (n === 'n1' && vm === 900) ? 'green' : n === 'n0' && vm === 5 ? 'yellow' : 'red';
    const s = selectPairs(nodes(10, 1000), plan(vpc), { negative: false, maxPairs: 1010, cover: false });
    const byKey = new Map(all(s).map((p) => [`${p.source.node}/${p.source.vmIndex}`, p]));
    expect(key(byKey.get('n0/3')!)).toBe('n0/3>n1/900');
    expect(key(byKey.get('n1/900')!)).toBe('n1/900>n0/3');
    expect(byKey.has('n0/5')).toBe(false);
    expect(s.unpaired).toBe(1);
    expect(s.positive).toBe(1009);
    checkInvariants(s, vpc);
  });

  it('spreads capped sources evenly over all nodes', () => {
    const s = selectPairs(nodes(100, 100, 100, 100), alternating, { negative: false, maxPairs: 40, cover: false });
    expect(s.positive).toBe(40);
    expect(s.byNode.map((g) => g.pairs.length)).toEqual([10, 10, 10, 10]);
  });
});

describe('random', () => {
  const vpc = (_n: string, vm: number) => ['a', 'b', 'c'][vm % 3];
  it('gives perVm distinct same-VPC peers per VM, never itself, deterministic per seed', () => {
    const p1 = plan(vpc);
    const s = selectPairs(nodes(30, 30, 30), p1, { strategy: 'random', perVm: 3, maxPairs: 1000, seed: 7, negative: false, cover: false });
    expect(s.positive).toBe(270);
    checkInvariants(s, vpc);
    const perSource = new Map<string, string[]>();
    for (const p of all(s)) {
      const k = `${p.source.node}/${p.source.vmIndex}`;
      perSource.set(k, [...(perSource.get(k) ?? []), `${p.destination.node}/${p.destination.vmIndex}`]);
    }
    expect(perSource.size).toBe(90);
    for (const d of perSource.values()) expect(new Set(d).size).toBe(3);
    const again = selectPairs(nodes(30, 30, 30), plan(vpc), { strategy: 'random', perVm: 3, maxPairs: 1000, seed: 7, negative: false, cover: false });
    expect(all(again).map(key)).toEqual(all(s).map(key));
    const other = selectPairs(nodes(30, 30, 30), plan(vpc), { strategy: 'random', perVm: 3, maxPairs: 1000, seed: 8, negative: false, cover: false });
    expect(all(other).map(key)).not.toEqual(all(s).map(key));
  });

  it('stops at maxPairs', () => {
    const s = selectPairs(nodes(30, 30, 30), plan(vpc), { strategy: 'random', perVm: 4, maxPairs: 10, negative: false });
    expect(s.positive).toBe(10);
  });

  it('falls back to the ring peer for a VPC too rare for random probing', () => {
    const rare = (n: string, vm: number) => (vm === 777 && (n === 'n0' || n === 'n9') ? 'rare' : 'common');
    const s = selectPairs(nodes(...Array(10).fill(1000)), plan(rare), { strategy: 'random', maxPairs: 100_000, negative: false, probeLimit: 4 });
    const fromRare = all(s).filter((p) => p.source.vmIndex === 777 && (p.source.node === 'n0' || p.source.node === 'n9'));
    expect(fromRare.map(key)).toEqual(['n0/777>n9/777', 'n9/777>n0/777']);
    checkInvariants(s, rare);
  });
});

describe('all', () => {
  const vpc = (_n: string, vm: number) => (vm < 3 ? 'a' : 'b');
  it('lists every ordered same-VPC pair when under the cap', () => {
    // per node 3 of a + 2 of b; 2 nodes → a: 6 VMs → 30 pairs, b: 4 VMs → 12 pairs
    const s = selectPairs(nodes(5, 5), plan(vpc), { strategy: 'all', maxPairs: 1000, negative: false });
    expect(s.positive).toBe(42);
    expect(new Set(all(s).map(key)).size).toBe(42);
    checkInvariants(s, vpc);
  });

  it('samples maxPairs distinct pairs deterministically above the cap', () => {
    const a = selectPairs(nodes(5, 5), plan(vpc), { strategy: 'all', maxPairs: 10, negative: false, seed: 3, cover: false });
    const b = selectPairs(nodes(5, 5), plan(vpc), { strategy: 'all', maxPairs: 10, negative: false, seed: 3, cover: false });
    expect(a.positive).toBe(10);
    expect(new Set(all(a).map(key)).size).toBe(10);
    expect(all(a).map(key)).toEqual(all(b).map(key));
    checkInvariants(a, vpc);
  });

  it('samples instead of listing above enumerateLimit', () => {
    const p = plan(vpc);
    const s = selectPairs(nodes(50, 50), p, { strategy: 'all', maxPairs: 20, negative: false, enumerateLimit: 10 });
    expect(s.positive).toBe(20);
    expect(new Set(all(s).map(key)).size).toBe(20);
    checkInvariants(s, vpc);
  });

  it('maps pair indices across groups with single-VM VPCs between them', () => {
    const layout = ['a', 's1', 'a', 'b', 's2', 'b', 'a'];
    const v = (_n: string, vm: number) => layout[vm];
    const full = selectPairs(nodes(7), plan(v), { strategy: 'all', negative: false });
    expect(all(full).map(key).sort()).toEqual(
      ['n0/0>n0/2', 'n0/0>n0/6', 'n0/2>n0/0', 'n0/2>n0/6', 'n0/6>n0/0', 'n0/6>n0/2', 'n0/3>n0/5', 'n0/5>n0/3'].sort(),
    );
    expect(full.unpaired).toBe(2);
    for (let seed = 0; seed < 20; seed++) {
      const sample = selectPairs(nodes(7), plan(v), { strategy: 'all', negative: false, maxPairs: 5, seed, cover: false });
      expect(sample.positive).toBe(5);
      expect(new Set(all(sample).map(key)).size).toBe(5);
      checkInvariants(sample, v);
    }
  });

  it('a VPC with a single VM counts as unpaired', () => {
    const s = selectPairs(nodes(1, 2), plan((n) => (n === 'n0' ? 'solo' : 'x')), { strategy: 'all', negative: false });
    expect(s.unpaired).toBe(1);
    expect(all(s).map(key)).toEqual(['n1/0>n1/1', 'n1/1>n1/0']);
  });
});

/** Which kind of path a positive pair takes: subnet and node, each same or other. */
type Kind = 'subnet+node' | 'subnet+cross-node' | 'cross-subnet+node' | 'cross-subnet+cross-node';
const KINDS: Kind[] = ['subnet+node', 'subnet+cross-node', 'cross-subnet+node', 'cross-subnet+cross-node'];
function kindOf(p: TestPair, subnetOf: (node: string, vm: number) => string): Kind {
  const subnet = subnetOf(p.source.node, p.source.vmIndex) === subnetOf(p.destination.node, p.destination.vmIndex) ? 'subnet' : 'cross-subnet';
  return `${subnet}+${p.source.node === p.destination.node ? 'node' : 'cross-node'}` as Kind;
}

describe('coverage', () => {
  /** The demo-like plan the workflow builds: VPC red with three subnets, VPC blue overlapping red's CIDR. */
  function scenarioPlan(vmsPerNode: number, nodeCount: number) {
    const spec = {
      vpcs: [
        { id: 'red', vni: 100, cidr: '10.30.0.0/16', subnets: [{ id: 'red-1', cidr: '10.30.1.0/24' }, { id: 'red-2', cidr: '10.30.2.0/24' }, { id: 'red-3', cidr: '10.30.3.0/24', vni: 103 }] },
        { id: 'blue', vni: 200, cidr: '10.30.0.0/16', subnets: [{ id: 'blue-1', cidr: '10.30.1.0/24' }, { id: 'blue-4', cidr: '10.30.4.0/24' }] },
      ],
    };
    const subnets = planSubnets(spec as never, () => undefined);
    let book: AddressBook = { blockSize: chooseBlockSize(vmsPerNode, subnets.length), next: subnets.map(() => 0), nodes: {} };
    const ns = Array.from({ length: nodeCount }, (_, i) => ({ name: `node-${i}`, vms: vmsPerNode }));
    ns.forEach((n, slot) => (book = reserveAddresses(book, subnets, n.name, slot, n.vms, 1)));
    const at = (node: string, vm: number) => endpointAddress('s', subnets, book.nodes[node]!, Number(node.slice(5)), vm, 0, 1, book.blockSize);
    const endpointAt: EndpointAt = (node, vm) => {
      const a = at(node, vm);
      return { vpc: a.subnet.vpc, subnet: a.subnet.id, ip: a.ip };
    };
    return { nodes: ns, endpointAt, subnetOf: (node: string, vm: number) => at(node, vm).subnet.id, vpcOf: (node: string, vm: number) => at(node, vm).subnet.vpc, reachable: addressInVpc(subnets, book) };
  }

  it('the default selection of a 3-node scenario holds every kind of path of each VPC, and negatives that cannot reach the own VPC', () => {
    const p = scenarioPlan(10, 3);
    const s = selectPairs(p.nodes, p.endpointAt, { reachable: p.reachable, maxPairs: 24 });
    const positive = all(s).filter((x) => !x.negative);
    expect(positive.length).toBe(s.positive);
    expect(s.positive).toBeLessThanOrEqual(24);
    for (const vpc of ['red', 'blue']) {
      const kinds = new Set(positive.filter((x) => p.vpcOf(x.source.node, x.source.vmIndex) === vpc).map((x) => kindOf(x, p.subnetOf)));
      expect({ vpc, kinds: [...kinds].sort() }).toEqual({ vpc, kinds: [...KINDS].sort() });
    }
    for (const x of positive) expect(p.vpcOf(x.destination.node, x.destination.vmIndex)).toBe(p.vpcOf(x.source.node, x.source.vmIndex));
    const negative = all(s).filter((x) => x.negative);
    expect(negative.length).toBeGreaterThan(0);
    for (const x of negative) {
      const from = p.vpcOf(x.source.node, x.source.vmIndex);
      expect(p.vpcOf(x.destination.node, x.destination.vmIndex)).not.toBe(from);
      // blue-1 is red-1's CIDR and takes the same first addresses: those are never a negative destination from red.
      expect(p.reachable(from, x.destination.ip)).toBe(false);
    }
    expect(selectPairs(p.nodes, p.endpointAt, { reachable: p.reachable, maxPairs: 24 })).toEqual(s);
  });

  it('the ring alone never leaves a subnet in a one-subnet-per-VPC layout; with coverage it has each kind the layout allows', () => {
    const subnetOf = (_n: string, vm: number) => (vm % 2 === 0 ? 'red-s' : 'blue-s');
    const ring = selectPairs(nodes(4, 4, 4), alternating, { negative: false, cover: false });
    expect(new Set(all(ring).map((x) => kindOf(x, subnetOf)))).toEqual(new Set(['subnet+cross-node']));
    const covered = selectPairs(nodes(4, 4, 4), alternating, { negative: false });
    expect(new Set(all(covered).map((x) => kindOf(x, subnetOf)))).toEqual(new Set(['subnet+node', 'subnet+cross-node']));
    expect(covered.positive).toBeLessThanOrEqual(200);
  });

  it('has every kind a random layout holds, whatever the strategy, within maxPairs (400 layouts)', () => {
    const rnd = seededRandom(99);
    for (let round = 0; round < 400; round++) {
      const counts = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => Math.floor(rnd() * 5));
      const table = new Map<string, [string, string]>();
      counts.forEach((c, n) => {
        for (let vm = 0; vm < c; vm++) {
          const vpc = rnd() < 0.5 ? 'a' : 'b';
          table.set(`n${n}/${vm}`, [vpc, `${vpc}${Math.floor(rnd() * 3)}`]);
        }
      });
      const vpcOf = (n: string, vm: number) => table.get(`${n}/${vm}`)![0];
      const subnetOf = (n: string, vm: number) => table.get(`${n}/${vm}`)![1];
      const endpointAt: EndpointAt = (n, vm) => ({ vpc: vpcOf(n, vm), subnet: subnetOf(n, vm), ip: `${n}:${vm}:0` });
      // The kinds each VPC has, by brute force over every ordered pair.
      const want = new Set<string>();
      const vms = [...table.keys()].map((k) => ({ node: k.split('/')[0]!, vm: Number(k.split('/')[1]) }));
      for (const x of vms) for (const y of vms) {
        if (x === y || vpcOf(x.node, x.vm) !== vpcOf(y.node, y.vm)) continue;
        const pair = { source: { node: x.node, vmIndex: x.vm, ip: '' }, destination: { node: y.node, vmIndex: y.vm, ip: '' }, negative: false };
        want.add(`${vpcOf(x.node, x.vm)} ${kindOf(pair, subnetOf)}`);
      }
      const strategy = (['ring', 'random', 'all'] as const)[round % 3];
      const maxPairs = 1 + Math.floor(rnd() * 24);
      const s = selectPairs(nodes(...counts), endpointAt, { strategy, maxPairs, negative: false, seed: round });
      expect(s.positive).toBeLessThanOrEqual(maxPairs);
      expect(new Set(all(s).map(key)).size).toBe(s.positive);
      checkInvariants(s, vpcOf);
      const got = new Set(all(s).map((x) => `${vpcOf(x.source.node, x.source.vmIndex)} ${kindOf(x, subnetOf)}`));
      // With room for every coverage pair (at most 4 per VPC, half the budget), every kind is there.
      if (maxPairs >= 16) expect([...want].filter((k) => !got.has(k))).toEqual([]);
      else for (const k of got) expect(want.has(k)).toBe(true);
    }
  });

  it('takes at most half of maxPairs and leaves the rest to the strategy', () => {
    const p = scenarioPlan(10, 3);
    const s = selectPairs(p.nodes, p.endpointAt, { maxPairs: 4, negative: false });
    expect(s.positive).toBe(4);
    // The first two are coverage pairs (red, same subnet on one node, then across nodes), the rest ring pairs.
    const pairs = all(s);
    expect(pairs.map((x) => kindOf(x, p.subnetOf)).slice(0, 2).sort()).toEqual(['subnet+cross-node', 'subnet+node']);
    expect(selectPairs(p.nodes, p.endpointAt, { maxPairs: 1, negative: false }).positive).toBe(1);
  });

  it('refuses a cover that is not a boolean and a reachable that is not a function', () => {
    expect(() => selectPairs(nodes(2), alternating, { cover: 'yes' as never })).toThrow(/invalid cover: "yes"/);
    expect(() => selectPairs(nodes(2), alternating, { reachable: 3 as never })).toThrow(/invalid reachable: "number"/);
  });
});

describe('negative pairs', () => {
  it('one per ordered VPC pair per node pair, same node first, different VPCs only', () => {
    const s = selectPairs(nodes(2, 2), alternating, { maxNegative: 100 });
    const neg = all(s).filter((p) => p.negative);
    // node pairs (n0,n0) (n1,n1) (n0,n1) (n1,n0), each with red>blue and blue>red; listed by source node
    expect(neg.map(key)).toEqual(['n0/0>n0/1', 'n0/1>n0/0', 'n0/0>n1/1', 'n0/1>n1/0', 'n1/0>n1/1', 'n1/1>n1/0', 'n1/0>n0/1', 'n1/1>n0/0']);
    checkInvariants(s, (_n, vm) => (vm % 2 === 0 ? 'red' : 'blue'));
    // grouped by source node, positive first
    expect(s.byNode[0].pairs.map((p) => p.negative)).toEqual([false, false, true, true, true, true]);
  });

  it('caps negative pairs, defaults to min(maxPairs, 50), and can be turned off', () => {
    expect(selectPairs(nodes(4, 4, 4), alternating, { maxNegative: 3 }).negative).toBe(3);
    expect(selectPairs(nodes(4, 4, 4), alternating, { maxPairs: 5 }).negative).toBe(5);
    expect(selectPairs(nodes(4, 4, 4), alternating, { negative: false }).negative).toBe(0);
    const many = (_n: string, vm: number) => `v${vm}`;
    expect(selectPairs(nodes(20, 20, 20), plan(many), {}).negative).toBe(50);
  });

  it('pass over destinations that answer in the source VPC (overlapping CIDRs), and leave out a VPC pair with none', () => {
    // Both VPCs number their VMs 10.0.0.<vm>; red has VMs 0-3 on each node, blue 4-7.
    const vpc = (_n: string, vm: number) => (vm < 4 ? 'red' : 'blue');
    const sameIps: EndpointAt = (_n, vm) => ({ vpc: vpc('', vm), subnet: `${vpc('', vm)}-${vm % 2}`, ip: `10.0.0.${vm}` });
    // red uses 10.0.0.0-5 (blue's VM 4 and 5 collide with red addresses), blue uses 4-7.
    const reachable = (v: string, ip: string) => {
      const last = Number(ip.split('.')[3]);
      return v === 'red' ? last <= 5 : last >= 4;
    };
    const s = selectPairs(nodes(8, 8), sameIps, { reachable, maxNegative: 100 });
    const neg = all(s).filter((p) => p.negative);
    expect(neg.length).toBeGreaterThan(0);
    for (const p of neg) expect(reachable(vpc('', p.source.vmIndex), p.destination.ip)).toBe(false);
    // From red, blue's first VM (4) answers in red: the scan's other blue subnet's VMs are tried; VM 6 does not.
    expect(neg.filter((p) => p.source.vmIndex < 4).map((p) => p.destination.vmIndex)).toEqual(expect.arrayContaining([6]));
    const none = selectPairs(nodes(8, 8), sameIps, { reachable: () => true, maxNegative: 100 });
    expect(none.negative).toBe(0);
  });

  it('none when every VM is in one VPC', () => {
    const s = selectPairs(nodes(3, 3), plan(() => 'only'), { cover: false });
    expect(s.negative).toBe(0);
    expect(s.positive).toBe(6);
  });
});

describe('bounds at 1,000,000 VMs', () => {
  const big = nodes(...Array(1000).fill(1000));
  const vpc = (_n: string, vm: number) => `vpc-${vm % 4}`;

  it.each(['ring', 'random', 'all'] as const)('%s returns maxPairs pairs with few lookups', (strategy) => {
    const p = plan(vpc);
    const t0 = Date.now();
    const s = selectPairs(big, p, { strategy, maxPairs: 200, perVm: 2 });
    expect(s.positive).toBe(200);
    expect(s.negative).toBe(50);
    expect(s.exhausted).toBe(false);
    expect(p.calls).toBe(s.probes);
    // Negative discovery scans up to 64 nodes; pair search costs a few lookups per pair.
    expect(p.calls).toBeLessThan(64 * 1000 + 200 * 40);
    expect(Date.now() - t0).toBeLessThan(5000);
    checkInvariants(s, vpc);
  });

  it('stops at maxProbes and says so when peers are nowhere to be found', () => {
    const p = plan((n, vm) => `${n}-${vm}`); // every VM alone in its VPC
    const s = selectPairs(big, p, { maxProbes: 50_000 });
    expect(s.exhausted).toBe(true);
    expect(p.calls).toBe(50_000);
    expect(s.positive).toBe(0);
  });
});

describe('input', () => {
  it('is deterministic and handles nodes without VMs', () => {
    expect(selectPairs([], alternating)).toEqual({ byNode: [], positive: 0, negative: 0, unpaired: 0, probes: 0, exhausted: false });
    expect(selectPairs(nodes(0, 0), alternating).byNode).toEqual([]);
    expect(selectPairs(nodes(1), alternating)).toMatchObject({ positive: 0, unpaired: 1 });
    expect(selectPairs(nodes(3, 0, 3), alternating)).toEqual(selectPairs(nodes(3, 0, 3), alternating));
  });

  it('tests the endpoint asked for', () => {
    const s = selectPairs(nodes(2, 2), plan(() => 'x'), { endpoint: 2, negative: false });
    expect(all(s)[0].source.ip).toBe('n0:0:2');
  });

  it.each([
    [{ strategy: 'mesh' }, 'strategy'],
    [{ maxPairs: 0 }, 'maxPairs'],
    [{ perVm: 65 }, 'perVm'],
    [{ perVm: 1.5 }, 'perVm'],
    [{ seed: -1 }, 'seed'],
    [{ negative: 'yes' }, 'negative'],
    [{ maxProbes: 0 }, 'maxProbes'],
  ])('refuses option %j naming %s', (opts, field) => {
    expect(() => selectPairs(nodes(2), alternating, opts as never)).toThrow(PairSelectionError);
    expect(() => selectPairs(nodes(2), alternating, opts as never)).toThrow(new RegExp(`invalid ${field}: `));
  });

  it('refuses bad nodes and bad lookups, naming the field', () => {
    expect(() => selectPairs([{ name: 'a', vms: -1 }], alternating)).toThrow(/invalid nodes\[0\]\.vms: -1 \(must be an integer/);
    expect(() => selectPairs([{ name: 'a', vms: 1 }, { name: 'a', vms: 1 }], alternating)).toThrow(/nodes\[1\]\.name: "a" \(must be unique/);
    expect(() => selectPairs([{ name: '', vms: 1 }], alternating)).toThrow(/nodes\[0\]\.name/);
    expect(() => selectPairs(nodes(2), undefined as never)).toThrow(/invalid endpointAt/);
    expect(() => selectPairs(nodes(2), (() => ({ vpc: 1 })) as never)).toThrow(/endpointAt\(n0, 0, 0\)/);
  });
});

describe('helpers', () => {
  it('labels ends and maps the spec section', () => {
    expect(endpointLabel({ node: 'node-1', vmIndex: 3, ip: '10.0.0.5' })).toBe('node-1/vm-3 (10.0.0.5)');
    expect(pairOptionsFromSpec({ pairs: 'random', perVm: 2, maxPairs: 9, negative: false }, 5)).toEqual({ strategy: 'random', perVm: 2, maxPairs: 9, negative: false, seed: 5 });
  });

  it('seeded PRNG is deterministic and in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(990);
  });
});
