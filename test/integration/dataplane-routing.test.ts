/**
 * Routing between the subnets of a VPC on the reference dataplane, on real namespaces: three
 * nodes, VPC red with three subnets (two on the VPC's VNI, one on its own VNI), VPC blue whose
 * CIDR overlaps red's (blue-1 is red-1's CIDR). Every gateway answers on every node with a VM of
 * the VPC; ICMP, TCP, UDP and iperf3 cross subnets on one node and across nodes (also to a
 * subnet that has no VM on the source's node, and back, the reply routed by the other node's
 * router); blue and red never reach each other; each VM's gateway resolves to its own node's
 * router; the fixture checks that nothing is left, router namespaces included.
 */
import { execFileSync } from 'node:child_process';
import { createTestingActivities } from '../../src/activities/testing/activities';
import type { EndpointBatch, SubnetRef } from '../../src/activities/agent/types';
import { hostAddress } from '../../src/model/ipam';
import { routerMac } from '../../src/model/mac';
import type { TestPair } from '../../src/model/pairs';
import type { TestResult } from '../../src/model/status';
import { routerNetns, vmNetns } from '../../src/dataplane/names';
import { renderTable } from '../../src/report/table';
import { makeFixture, isRoot, pingFrom, type Fixture } from './dataplane-fixture';

const describeRoot = isRoot ? describe : describe.skip;
jest.setTimeout(300_000);

const red1: SubnetRef = { id: 'red-1', vpc: 'red', cidr: '10.20.1.0/24', gateway: '10.20.1.1', vni: 1100 };
const red2: SubnetRef = { id: 'red-2', vpc: 'red', cidr: '10.20.2.0/24', gateway: '10.20.2.1', vni: 1100 };
const red3: SubnetRef = { id: 'red-3', vpc: 'red', cidr: '10.20.3.0/24', gateway: '10.20.3.1', vni: 1103 };
const blue1: SubnetRef = { id: 'blue-1', vpc: 'blue', cidr: '10.20.1.0/24', gateway: '10.20.1.1', vni: 1200 };
const blue4: SubnetRef = { id: 'blue-4', vpc: 'blue', cidr: '10.20.4.0/24', gateway: '10.20.4.1', vni: 1201 };
const ALL = [red1, red2, red3, blue1, blue4];

/** Per node: each VM's subnet and host index. node-2 has no VM of red-3 or blue-4. */
const LAYOUT: Record<string, { slot: number; vms: Array<[SubnetRef, number]> }> = {
  'node-0': { slot: 0, vms: [[red1, 0], [red2, 0], [blue1, 50]] },
  'node-1': { slot: 1, vms: [[red1, 1], [red3, 0], [blue4, 0]] },
  'node-2': { slot: 2, vms: [[red2, 1], [blue1, 51]] },
};
const ipOf = (node: string, vm: number): string => hostAddress(LAYOUT[node]!.vms[vm]![0].cidr, LAYOUT[node]!.vms[vm]![1]);
const subnetOf = (node: string, vm: number): SubnetRef => LAYOUT[node]!.vms[vm]![0];

function batch(f: Fixture, node: string): EndpointBatch {
  const { slot, vms } = LAYOUT[node]!;
  return {
    scenario: f.scenario,
    node,
    nodeSlot: slot,
    from: 0,
    count: vms.length,
    endpointsPerVm: 1,
    segments: vms.map(([subnet, index], vm) => ({ vmFrom: vm, vmCount: 1, endpoint: 0, subnet, ipIndexFrom: index })),
    vpcSubnets: ALL,
  };
}

const pair = (from: string, fromVm: number, to: string, toVm: number, negative = false): TestPair => ({
  source: { node: from, vmIndex: fromVm, ip: ipOf(from, fromVm) },
  destination: { node: to, vmIndex: toVm, ip: ipOf(to, toVm) },
  negative,
});

describeRoot('routing between the subnets of a VPC (reference dataplane, 3 nodes, overlapping VPCs)', () => {
  let f: Fixture;
  let tag: string;
  beforeAll(async () => {
    f = makeFixture('route');
    // Every node exists before any endpoint: the peer lists are complete from the start.
    for (const [node, { slot }] of Object.entries(LAYOUT)) await f.agent.ensureNode({ scenario: f.scenario, node, nodeSlot: slot });
    for (const [node, { vms }] of Object.entries(LAYOUT)) {
      await f.agent.createVms({ scenario: f.scenario, node, from: 0, count: vms.length });
      expect((await f.agent.createEndpoints(batch(f, node))).changed).toBe(vms.length);
      // Run twice: the routers, their settings and ARP rules are made once and kept.
      expect(await f.agent.createEndpoints(batch(f, node))).toMatchObject({ changed: 0, unchanged: vms.length });
    }
    tag = await f.tag();
  });
  afterAll(async () => {
    if (f) await f.finish();
  });

  test('one router per VPC per node, with a port in every VNI of the VPC carrying its gateways; nodeInfo counts only endpoints', async () => {
    for (const [node, { vms }] of Object.entries(LAYOUT)) {
      const vpcs = [...new Set(vms.map(([s]) => s.vpc))].sort();
      for (const vpc of vpcs) {
        const addrs = JSON.parse(execFileSync('ip', ['-n', routerNetns(tag, node, vpc), '-j', 'addr', 'show']).toString()) as Array<{ ifname: string; address: string; addr_info: Array<{ family: string; local: string; prefixlen: number }> }>;
        const byIf = Object.fromEntries(addrs.filter((a) => a.ifname !== 'lo').map((a) => [a.ifname, a.addr_info.map((i) => `${i.family} ${i.local}/${i.prefixlen}`).sort()]));
        const want = vpc === 'red'
          ? { vni1100: ['inet 10.20.1.1/24', 'inet 10.20.2.1/24'], vni1103: ['inet 10.20.3.1/24'] }
          : { vni1200: ['inet 10.20.1.1/24'], vni1201: ['inet 10.20.4.1/24'] };
        // Also node-2, which has no VM of red-3 or blue-4: the router still reaches them. No IPv6.
        expect({ node, vpc, byIf }).toEqual({ node, vpc, byIf: want });
        for (const a of addrs.filter((x) => x.ifname !== 'lo')) expect(a.address).toBe(routerMac(f.scenario, LAYOUT[node]!.slot));
      }
      expect(await f.agent.nodeInfo({ scenario: f.scenario, node })).toMatchObject({ present: true, vms: vms.length, endpoints: vms.length });
    }
  });

  test('every VM reaches its gateway, which resolves to its own node\'s router', async () => {
    for (const [node, { slot, vms }] of Object.entries(LAYOUT)) {
      for (let vm = 0; vm < vms.length; vm++) {
        const ns = vmNetns(tag, node, vm);
        // Forget what the earlier tests taught, then ask again: only this node's router may answer.
        execFileSync('ip', ['-n', ns, 'neigh', 'flush', 'all']);
        expect({ node, vm, reached: pingFrom(ns, subnetOf(node, vm).gateway) }).toEqual({ node, vm, reached: true });
        const neigh = JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'neigh', 'show', subnetOf(node, vm).gateway]).toString()) as Array<{ lladdr?: string }>;
        expect({ node, vm, mac: neigh[0]?.lladdr }).toEqual({ node, vm, mac: routerMac(f.scenario, slot) });
      }
    }
  });

  test('ICMP, TCP, UDP and iperf3 cross subnets on one node and across nodes; VPCs stay apart', async () => {
    const pairs: TestPair[] = [
      pair('node-0', 0, 'node-0', 1), // red-1 -> red-2: same node, two subnets on one VNI (one router port)
      pair('node-0', 0, 'node-1', 1), // red-1 -> red-3: across nodes, another VNI
      pair('node-2', 0, 'node-1', 1), // red-2 -> red-3: node-2 has no VM of red-3
      pair('node-1', 1, 'node-2', 0), // and back: routed by node-1's router
      pair('node-0', 0, 'node-1', 0), // red-1 -> red-1 across nodes: bridged, no router
      pair('node-2', 1, 'node-1', 2), // blue-1 -> blue-4 across nodes
      pair('node-0', 2, 'node-2', 1), // blue-1 -> blue-1 across nodes
      pair('node-1', 2, 'node-0', 2), // blue-4 -> blue-1
      // Negative: the destinations' addresses are no VM or gateway of the source's VPC.
      pair('node-0', 0, 'node-0', 2, true), // red-1 -> blue-1's VM on the same node, same CIDR
      pair('node-0', 0, 'node-2', 1, true), // red-1 -> blue-1 across nodes
      pair('node-1', 1, 'node-1', 2, true), // red-3 -> blue-4: red's router has no route to 10.20.4.0/24
      pair('node-2', 1, 'node-2', 0, true), // blue-1 -> red-2: blue's router has no route to 10.20.2.0/24
      pair('node-1', 2, 'node-1', 1, true), // blue-4 -> red-3, same node
      pair('node-2', 1, 'node-1', 1, true), // blue-1 -> red-3 across nodes
    ];
    const testing = createTestingActivities({ stateDir: f.stateDir, iperfPorts: { from: 15601, count: 40 } });
    const results: TestResult[] = [];
    for (const node of Object.keys(LAYOUT)) {
      const mine = pairs.filter((p) => p.source.node === node);
      results.push(...(await testing.runTests({ scenario: f.scenario, node, kinds: ['icmp', 'tcp', 'udp', 'iperf'], pairs: mine, timeoutMs: 2000 })));
    }
    expect(results).toHaveLength(pairs.length * 4);
    const failed = results.filter((r) => !r.pass);
    if (failed.length) process.stderr.write(renderTable(failed));
    expect(failed).toEqual([]);
    expect(results.filter((r) => r.kind === 'iperf' && !r.negative).every((r) => (r.throughputBps ?? 0) > 0)).toBe(true);
    // A gateway of red is no address of blue's routers.
    expect(pingFrom(vmNetns(tag, 'node-2', 1), '10.20.3.1')).toBe(false);
    expect(pingFrom(vmNetns(tag, 'node-1', 2), '10.20.2.1')).toBe(false);
  });

  test('a router hears no ARP request from another node and sends its own from 0.0.0.0', async () => {
    // Counters of the two rules in node-2's red router, after the traffic above.
    const rules = execFileSync('nsenter', [`--net=/run/netns/${routerNetns(tag, 'node-2', 'red')}`, '--', 'arptables', '-L', '-n', '-v']).toString();
    const counts = [...rules.matchAll(/pcnt=(\d+)/g)].map((m) => Number(m[1]));
    expect(counts).toHaveLength(2);
    expect(counts.every((c) => c > 0)).toBe(true);
  });
});
