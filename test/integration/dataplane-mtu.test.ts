/**
 * Endpoint MTU over a 1500-byte underlay (issue 14), on real namespaces: two local nodes of the
 * reference dataplane, whose underlay links are 1500 bytes as a pod network's are. VXLAN takes 50
 * bytes of each underlay packet, so every endpoint (both veth ends) and every router port gets
 * 1450: a full-size don't-fragment packet crosses nodes (bridged, and routed between subnets),
 * one that would not fit is refused at the sender with the MTU named instead of being lost on
 * the underlay, and iperf3 TCP runs at full segment size. A batch's own `mtu` overrides the
 * derived one. The fixture checks that nothing is left.
 */
import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createTestingActivities } from '../../src/activities/testing/activities';
import type { EndpointBatch, SubnetRef } from '../../src/activities/agent/types';
import { hostAddress } from '../../src/model/ipam';
import { DEFAULT_UNDERLAY_MTU, VXLAN_IPV4_OVERHEAD } from '../../src/model/limits';
import type { TestPair } from '../../src/model/pairs';
import { hostVethPrefix, nodeNetns, routerNetns, underlayNodeEnd, vmNetns, vxlanDevice } from '../../src/dataplane/names';
import { renderTable } from '../../src/report/table';
import { makeFixture, isRoot, type Fixture } from './dataplane-fixture';

const describeRoot = isRoot ? describe : describe.skip;
jest.setTimeout(300_000);

const red1: SubnetRef = { id: 'red-1', vpc: 'red', cidr: '10.30.1.0/24', gateway: '10.30.1.1', vni: 1300 };
const red2: SubnetRef = { id: 'red-2', vpc: 'red', cidr: '10.30.2.0/24', gateway: '10.30.2.1', vni: 1301 };
const ALL = [red1, red2];
const MTU = DEFAULT_UNDERLAY_MTU - VXLAN_IPV4_OVERHEAD; // 1450
/** ICMP payload that fills a packet of `mtu` bytes: minus the IPv4 (20) and ICMP (8) headers. */
const payloadFor = (mtu: number): number => mtu - 28;

/** node-0: VM 0 in red-1, VM 1 in red-2; node-1: VM 0 in red-1, VM 1 in red-1 made with mtu 1400. */
const LAYOUT: Record<string, { slot: number; vms: Array<[SubnetRef, number]> }> = {
  'node-0': { slot: 0, vms: [[red1, 0], [red2, 0]] },
  'node-1': { slot: 1, vms: [[red1, 1], [red1, 2]] },
};
const ipOf = (node: string, vm: number): string => hostAddress(LAYOUT[node]!.vms[vm]![0].cidr, LAYOUT[node]!.vms[vm]![1]);

function batch(f: Fixture, node: string, from: number, count: number, mtu?: number): EndpointBatch {
  const { slot, vms } = LAYOUT[node]!;
  return {
    scenario: f.scenario,
    node,
    nodeSlot: slot,
    from,
    count,
    endpointsPerVm: 1,
    segments: vms.slice(from, from + count).map(([subnet, index], k) => ({ vmFrom: from + k, vmCount: 1, endpoint: 0, subnet, ipIndexFrom: index })),
    vpcSubnets: ALL,
    ...(mtu !== undefined ? { mtu } : {}),
  };
}

const mtuOf = (netns: string, ifname: string): number =>
  (JSON.parse(execFileSync('ip', ['-n', netns, '-j', 'link', 'show', 'dev', ifname]).toString()) as Array<{ mtu: number }>)[0]!.mtu;

/** One don't-fragment ping of `payload` bytes; its exit status and what it printed. */
function dfPing(netns: string, address: string, payload: number): { ok: boolean; output: string } {
  const r = spawnSync('nsenter', [`--net=/run/netns/${netns}`, '--', 'ping', '-c', '1', '-W', '2', '-M', 'do', '-s', String(payload), address], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

describeRoot('endpoint MTU derived from the underlay (reference dataplane, 1500-byte underlay)', () => {
  let f: Fixture;
  let tag: string;
  beforeAll(async () => {
    f = makeFixture('mtu');
    for (const [node, { slot }] of Object.entries(LAYOUT)) await f.agent.ensureNode({ scenario: f.scenario, node, nodeSlot: slot, underlayMtu: DEFAULT_UNDERLAY_MTU });
    for (const [node, { vms }] of Object.entries(LAYOUT)) await f.agent.createVms({ scenario: f.scenario, node, from: 0, count: vms.length });
    await f.agent.createEndpoints(batch(f, 'node-0', 0, 2));
    await f.agent.createEndpoints(batch(f, 'node-1', 0, 1));
    await f.agent.createEndpoints(batch(f, 'node-1', 1, 1, 1400));
    tag = await f.tag();
  });
  afterAll(async () => {
    if (f) await f.finish();
  });

  test('the underlay link is 1500; endpoints, router ports and VXLAN devices are 1450; a batch mtu overrides', () => {
    const n0 = nodeNetns(tag, 'node-0');
    expect(mtuOf(n0, underlayNodeEnd(tag))).toBe(1500);
    expect(mtuOf(n0, vxlanDevice(tag, red1.vni))).toBe(MTU);
    expect(mtuOf(vmNetns(tag, 'node-0', 0), 'eth0')).toBe(MTU);
    expect(mtuOf(vmNetns(tag, 'node-0', 1), 'eth0')).toBe(MTU);
    const hostEnds = (JSON.parse(execFileSync('ip', ['-n', n0, '-j', 'link', 'show']).toString()) as Array<{ ifname: string; mtu: number }>).filter((l) => l.ifname.startsWith(hostVethPrefix(tag)));
    expect(hostEnds.map((l) => l.mtu)).toEqual([MTU, MTU]);
    const routerPorts = (JSON.parse(execFileSync('ip', ['-n', routerNetns(tag, 'node-0', 'red'), '-j', 'link', 'show']).toString()) as Array<{ ifname: string; mtu: number }>).filter((l) => l.ifname !== 'lo');
    expect(routerPorts.length).toBe(2);
    expect(routerPorts.every((l) => l.mtu === MTU)).toBe(true);
    expect(mtuOf(vmNetns(tag, 'node-1', 0), 'eth0')).toBe(MTU);
    expect(mtuOf(vmNetns(tag, 'node-1', 1), 'eth0')).toBe(1400);
  });

  test('a full-size don\'t-fragment packet crosses nodes, bridged and routed; a larger one is refused at the sender with the MTU', () => {
    const from = vmNetns(tag, 'node-0', 0);
    const routedFrom = vmNetns(tag, 'node-0', 1);
    expect(dfPing(from, ipOf('node-1', 0), payloadFor(MTU))).toMatchObject({ ok: true });
    expect(dfPing(routedFrom, ipOf('node-1', 0), payloadFor(MTU))).toMatchObject({ ok: true });
    // The 1472-byte payload a 1500-byte endpoint would send and the underlay would drop unseen.
    const big = dfPing(from, ipOf('node-1', 0), 1472);
    expect(big.ok).toBe(false);
    expect(big.output).toContain(`mtu=${MTU}`);
  });

  test('iperf3 TCP and the other kinds pass between nodes over the 1500-byte underlay', async () => {
    const pairs: TestPair[] = [
      { source: { node: 'node-0', vmIndex: 0, ip: ipOf('node-0', 0) }, destination: { node: 'node-1', vmIndex: 0, ip: ipOf('node-1', 0) }, negative: false },
      { source: { node: 'node-0', vmIndex: 1, ip: ipOf('node-0', 1) }, destination: { node: 'node-1', vmIndex: 0, ip: ipOf('node-1', 0) }, negative: false },
    ];
    const testing = createTestingActivities({ stateDir: f.stateDir, iperfPorts: { from: 15701, count: 10 } });
    const results = await testing.runTests({ scenario: f.scenario, node: 'node-0', kinds: ['icmp', 'tcp', 'udp', 'iperf'], pairs, timeoutMs: 2000 });
    const failed = results.filter((r) => !r.pass);
    if (failed.length) process.stderr.write(renderTable(failed));
    expect(results).toHaveLength(8);
    expect(failed).toEqual([]);
    expect(results.filter((r) => r.kind === 'iperf').every((r) => (r.throughputBps ?? 0) > 0)).toBe(true);
  });
});
