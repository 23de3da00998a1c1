/**
 * Pair selection and the testing activity on a scenario built by the real agent activities with
 * the reference (VXLAN) dataplane: two nodes, two VPCs, four VMs per node. The ring pairs cross
 * nodes over VXLAN and must all pass; the negative pairs (different VPCs, same node and across
 * nodes) must all be refused. Everything is cleaned and checked by the dataplane fixture.
 */
import { createTestingActivities } from '../../src/activities/testing/activities';
import type { EndpointBatch } from '../../src/activities/agent/types';
import { hostAddress } from '../../src/model/ipam';
import { selectPairs, type EndpointAt } from '../../src/model/pairs';
import type { TestResult } from '../../src/model/status';
import { renderTable } from '../../src/report/table';
import { makeFixture, isRoot, type Fixture } from './dataplane-fixture';

const describeRoot = isRoot ? describe : describe.skip;
jest.setTimeout(180_000);

const subnetA = { id: 'subnet-a', vpc: 'vpc-a', cidr: '10.1.0.0/24', gateway: '10.1.0.1', vni: 100 };
const subnetB = { id: 'subnet-b', vpc: 'vpc-b', cidr: '10.2.0.0/24', gateway: '10.2.0.1', vni: 200 };
const NODES = [
  { name: 'node-0', slot: 0 },
  { name: 'node-1', slot: 1 },
];
const VMS = 4;

/** VMs 0-1 of each node in VPC A, 2-3 in VPC B; node slot s takes host indices 2s and 2s+1 of each subnet. */
function batch(f: Fixture, node: string, slot: number): EndpointBatch {
  return {
    scenario: f.scenario,
    node,
    nodeSlot: slot,
    from: 0,
    count: VMS,
    endpointsPerVm: 1,
    segments: [
      { vmFrom: 0, vmCount: 2, endpoint: 0, subnet: subnetA, ipIndexFrom: 2 * slot },
      { vmFrom: 2, vmCount: 2, endpoint: 0, subnet: subnetB, ipIndexFrom: 2 * slot },
    ],
  };
}

/** The same layout as the plan a workflow would hand to selectPairs. */
const endpointAt: EndpointAt = (node, vm) => {
  const slot = NODES.find((n) => n.name === node)!.slot;
  const s = vm < 2 ? subnetA : subnetB;
  return { vpc: s.vpc, subnet: s.id, ip: hostAddress(s.cidr, 2 * slot + (vm % 2)) };
};

describeRoot('connectivity tests on a reference-dataplane scenario', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = makeFixture('tst');
    for (const n of NODES) {
      await f.agent.ensureNode({ scenario: f.scenario, node: n.name, nodeSlot: n.slot });
      await f.agent.createVms({ scenario: f.scenario, node: n.name, from: 0, count: VMS });
      await f.agent.createEndpoints(batch(f, n.name, n.slot));
    }
    // node-0 built its VXLAN devices before node-1 existed.
    await f.agent.syncPeers({ scenario: f.scenario, node: 'node-0', nodeSlot: 0, vnis: [{ vni: 100 }, { vni: 200 }] });
  });
  afterAll(async () => {
    if (f) await f.finish();
  });

  test('ring pairs reach across nodes with every kind; negative pairs are refused', async () => {
    const selection = selectPairs(
      NODES.map((n) => ({ name: n.name, vms: VMS })),
      endpointAt,
      // The ring alone (no coverage pairs): its exact pairs are asserted below.
      { strategy: 'ring', maxPairs: 8, maxNegative: 8, cover: false },
    );
    expect(selection).toMatchObject({ positive: 8, negative: 8, unpaired: 0, exhausted: false });
    // Ring: VM i of one node talks to VM i of the other.
    expect(selection.byNode[0].pairs[0]).toEqual({ source: { node: 'node-0', vmIndex: 0, ip: '10.1.0.2' }, destination: { node: 'node-1', vmIndex: 0, ip: '10.1.0.4' }, negative: false });

    const started: number[] = [];
    const activities = createTestingActivities({ stateDir: f.stateDir, watcher: (p) => started.push(p.pid), iperfPorts: { from: 15401, count: 50 } });
    const results: TestResult[] = [];
    for (const group of selection.byNode) {
      results.push(...(await activities.runTests({ scenario: f.scenario, node: group.node, kinds: ['icmp', 'tcp', 'udp', 'iperf'], pairs: group.pairs, timeoutMs: 1000 })));
    }
    expect(results).toHaveLength(16 * 4);
    const failed = results.filter((r) => !r.pass);
    if (failed.length) process.stderr.write(renderTable(failed));
    expect(failed).toEqual([]);
    const positive = results.filter((r) => !r.negative);
    expect(positive.filter((r) => r.kind === 'iperf').every((r) => (r.throughputBps ?? 0) > 0)).toBe(true);
    expect(positive.filter((r) => r.kind !== 'iperf').every((r) => (r.latencyMs ?? 0) > 0)).toBe(true);
    // Negative checks include same-node and cross-node pairs.
    const neg = selection.byNode.flatMap((g) => g.pairs).filter((p) => p.negative);
    expect(neg.some((p) => p.source.node === p.destination.node)).toBe(true);
    expect(neg.some((p) => p.source.node !== p.destination.node)).toBe(true);
    expect(started.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    })).toEqual([]);
  });
});
