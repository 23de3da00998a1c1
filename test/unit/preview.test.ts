import { planScenario } from '../../src/model/preview';
import { parseSpec, type ScenarioInput } from '../../src/model/spec';
import { chooseBlockSize, endpointAddress, placeVms, planSubnets, reserveAddresses, type AddressBook } from '../../src/model/plan';
import { numberedNodeMac } from '../../src/model/identity';
import { parseIpv4 } from '../../src/model/ipv4';
import { seededRandom } from '../../src/model/random';

const base: ScenarioInput = {
  name: 'demo',
  plugin: { address: '127.0.0.1:50051' },
  vpcs: [
    { id: 'blue', vni: 1001, cidr: '10.10.0.0/16', subnets: [{ id: 'blue-1', cidr: '10.10.1.0/24' }, { id: 'blue-2', cidr: '10.10.2.0/24', vni: 1101 }] },
    { id: 'green', vni: 1002, cidr: '10.20.0.0/16', subnets: [{ id: 'green-1', cidr: '10.20.1.0/24', optional: { zone: 'z1' } }] },
  ],
  nodes: ['node-a', { name: 'node-b', ip: '100.64.0.99', mac: '02:00:00:00:00:0b', optional: { rack: 'r2' } }, 'node-c'],
  vmsPerNode: 4,
};

function plan(input: ScenarioInput) {
  const r = planScenario(parseSpec(input));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.plan;
}

describe('planScenario', () => {
  it('lists nodes in their slots with the addresses and MACs the plugin gets (scenario number 0), marking the MACs the build assigns', () => {
    const p = plan(base);
    expect(p.nodes.map((n) => [n.name, n.slot, n.ip, n.mac, n.assignedAtBuild, n.vms, n.endpoints, n.taskQueue])).toEqual([
      ['node-a', 0, '100.64.0.1', numberedNodeMac(0, 0), ['mac'], 4, 4, 'merak-agent-node-a'],
      ['node-b', 1, '100.64.0.99', '02:00:00:00:00:0b', [], 4, 4, 'merak-agent-node-b'],
      ['node-c', 2, '100.64.0.3', numberedNodeMac(0, 2), ['mac'], 4, 4, 'merak-agent-node-c'],
    ]);
    // node-b's ip fixes the underlay: the spec's (default) 100.64.0.0/16, not the number's block.
    expect([p.underlay, p.underlayAssignedAtBuild]).toEqual(['100.64.0.0/16', false]);
    expect(p.totals).toEqual({ vpcs: 2, subnets: 3, nodes: 3, vms: 12, endpoints: 12 });
    expect(p.endpointPlugin).toBe('reference');
  });

  it('asks the plugin for VPCs, then subnets (their own VNI or the VPC one), then nodes, with their optional maps', () => {
    const p = plan(base);
    expect(p.plugin).toEqual({
      vpcs: [
        { id: 'blue', vni: 1001, ip: '10.10.0.0', prefix: 16, scenario: 'demo' },
        { id: 'green', vni: 1002, ip: '10.20.0.0', prefix: 16, scenario: 'demo' },
      ],
      subnets: [
        { id: 'blue-1', vpc: 'blue', vni: 1001, ip: '10.10.1.0', prefix: 24, scenario: 'demo' },
        { id: 'blue-2', vpc: 'blue', vni: 1101, ip: '10.10.2.0', prefix: 24, scenario: 'demo' },
        { id: 'green-1', vpc: 'green', vni: 1002, ip: '10.20.1.0', prefix: 24, optional: { zone: 'z1' }, scenario: 'demo' },
      ],
      nodes: [
        // Named at the plugin <node>.<scenario>, owned by the scenario (model/identity.ts).
        { name: 'node-a.demo', ip: '100.64.0.1', mac: numberedNodeMac(0, 0), scenario: 'demo' },
        { name: 'node-b.demo', ip: '100.64.0.99', mac: '02:00:00:00:00:0b', optional: { rack: 'r2' }, scenario: 'demo' },
        { name: 'node-c.demo', ip: '100.64.0.3', mac: numberedNodeMac(0, 2), scenario: 'demo' },
      ],
    });
  });

  // The ranges shown must be exactly the addresses the workflow gives the VMs: compare every
  // endpoint's address (as endpointAddress computes it from the same book) with the runs shown.
  it.each([
    ['uniform', { vmsPerNode: 4 }],
    ['uniform, 2 endpoints', { vmsPerNode: 7, endpointsPerVm: 2 }],
    ['skew', { placement: 'skew', vmsPerNode: 10 }],
    ['random', { placement: 'random', vmsPerNode: 9, seed: 7 }],
    ['assign', { placement: 'assign', nodes: [{ name: 'a', vms: 0 }, { name: 'b', vms: 13, endpointsPerVm: 3 }, { name: 'c', vms: 5 }] }],
    ['many nodes', { nodes: 40, vmsPerNode: 3 }],
  ] as [string, Partial<ScenarioInput>][])('the address runs hold exactly the endpoints of each node (%s)', (_name, over) => {
    const input = { ...base, ...over } as ScenarioInput;
    const spec = parseSpec(input);
    const p = plan(input);
    const subnets = planSubnets(spec, () => undefined);
    const placed = placeVms(spec.placement, spec.nodes, spec.vmsPerNode, spec.seed);
    let book: AddressBook = { blockSize: chooseBlockSize(Math.max(...placed), subnets.length), next: subnets.map(() => 0), nodes: {} };
    spec.nodes.forEach((n, slot) => (book = reserveAddresses(book, subnets, n.name, slot, placed[slot]!, n.endpointsPerVm)));
    expect(p.blockSize).toBe(book.blockSize);
    spec.nodes.forEach((n, slot) => {
      expect(p.nodes[slot]!.vms).toBe(placed[slot]);
      for (let vm = 0; vm < placed[slot]!; vm++) {
        for (let e = 0; e < n.endpointsPerVm; e++) {
          const a = endpointAddress(spec.name, subnets, book.nodes[n.name]!, slot, vm, e, n.endpointsPerVm, book.blockSize);
          const use = p.subnets.find((s) => s.id === a.subnet.id)!.nodes.find((x) => x.node === n.name)!;
          const ip = parseIpv4(a.ip);
          expect(use.runs.some((r) => parseIpv4(r.first) <= ip && ip <= parseIpv4(r.last))).toBe(true);
        }
      }
    });
    // No address is given to two nodes.
    for (const s of p.subnets) {
      const all = s.nodes.flatMap((x) => x.runs.flatMap((r) => Array.from({ length: r.count }, (_, i) => parseIpv4(r.first) + i)));
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBe(s.reserved);
      expect(s.reserved).toBeLessThanOrEqual(s.capacity);
    }
  });

  it('random specs: totals add up and runs never leave their subnet, or the plan names the full subnet (property, 200 specs)', () => {
    const next = seededRandom(42);
    let planned = 0;
    for (let k = 0; k < 200; k++) {
      const nodes = 1 + Math.floor(next() * 8);
      const vms = Math.floor(next() * 30);
      const input = { ...base, nodes, vmsPerNode: vms, endpointsPerVm: 1 + Math.floor(next() * 3) } as ScenarioInput;
      const r = planScenario(parseSpec(input));
      if (!r.ok) {
        // Whole blocks can need more than the spec's per-subnet share: the plan says which subnet.
        expect(r.issues).toEqual([{ path: expect.stringMatching(/^vpcs\[\d\]\.subnets\[\d\]\.cidr$/), value: expect.any(String), rule: expect.stringContaining('has no room for node') }]);
        continue;
      }
      planned++;
      const p = r.plan;
      expect(p.totals.vms).toBe(nodes * vms);
      expect(p.nodes.reduce((s, n) => s + n.endpoints, 0)).toBe(p.totals.endpoints);
      for (const s of p.subnets) {
        const [net, prefix] = s.cidr.split('/');
        const first = parseIpv4(net!) + 2;
        const last = parseIpv4(net!) + 2 ** (32 - Number(prefix)) - 2;
        for (const r of s.nodes.flatMap((x) => x.runs)) {
          expect(parseIpv4(r.first)).toBeGreaterThanOrEqual(first);
          expect(parseIpv4(r.last)).toBeLessThanOrEqual(last);
          expect(parseIpv4(r.last) - parseIpv4(r.first) + 1).toBe(r.count);
        }
      }
    }
    expect(planned).toBeGreaterThan(150);
  });

  it('refuses a plan whose whole blocks do not fit, naming the subnet', () => {
    // 2 nodes × 61 VMs over 2 subnets of 61 hosts: each subnet's share (61) fits, so parseSpec
    // accepts it, but VMs are reserved in whole blocks of 30, which round a node's need up.
    const input: ScenarioInput = {
      ...base,
      vpcs: [{ id: 'v', vni: 5, cidr: '10.5.0.0/16', subnets: [{ id: 's1', cidr: '10.5.1.0/26' }, { id: 's2', cidr: '10.5.2.0/26' }] }],
      nodes: 2,
      vmsPerNode: 61,
    };
    const r = planScenario(parseSpec(input));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues).toHaveLength(1);
      expect(r.issues[0]!.path).toMatch(/^vpcs\[0\]\.subnets\[[01]\]\.cidr$/);
      expect(r.issues[0]!.rule).toMatch(/has no room for node/);
    }
  });
});
