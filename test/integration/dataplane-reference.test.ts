/**
 * The reference dataplane on real namespaces: two nodes, two VPCs sharing one CIDR. VMs of a
 * VPC reach each other across nodes over VXLAN; VMs of different VPCs do not; interface name,
 * address and MAC are as requested; every activity run twice gives the same state.
 */
import { execFileSync } from 'node:child_process';
import { makeFixture, isRoot, pingFrom, vmInterfaces, vmRoutes, type Fixture } from './dataplane-fixture';
import { endpointMac } from '../../src/model/mac';
import { vmNetns, BRIDGE_CHUNK_PORTS } from '../../src/dataplane/names';
import type { EndpointBatch } from '../../src/activities/agent/types';

const describeRoot = isRoot ? describe : describe.skip;
jest.setTimeout(120_000);

const vpcA = { id: 'subnet-a', vpc: 'vpc-a', cidr: '10.1.0.0/24', gateway: '10.1.0.1', vni: 100 };
const vpcB = { id: 'subnet-b', vpc: 'vpc-b', cidr: '10.1.0.0/24', gateway: '10.1.0.1', vni: 200 };

/** VM 0 of each node in VPC A, VM 1 in VPC B; node slot s gets host indices s (A) and 10+s (B). */
function endpoints(f: Fixture, node: string, slot: number): EndpointBatch {
  return {
    scenario: f.scenario,
    node,
    nodeSlot: slot,
    from: 0,
    count: 2,
    endpointsPerVm: 1,
    segments: [
      { vmFrom: 0, vmCount: 1, endpoint: 0, subnet: vpcA, ipIndexFrom: slot },
      { vmFrom: 1, vmCount: 1, endpoint: 0, subnet: vpcB, ipIndexFrom: 10 + slot },
    ],
  };
}

describeRoot('reference dataplane, two nodes, two VPCs', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = makeFixture('ref');
    for (const [node, slot] of [['node-0', 0], ['node-1', 1]] as const) {
      await f.agent.ensureNode({ scenario: f.scenario, node, nodeSlot: slot });
      const again = await f.agent.ensureNode({ scenario: f.scenario, node, nodeSlot: slot });
      expect(again.created).toBe(false);
      const vms = { scenario: f.scenario, node, from: 0, count: 2 };
      expect((await f.agent.createVms(vms)).changed).toBe(2);
      expect((await f.agent.createVms(vms)).changed).toBe(0);
      expect((await f.agent.createEndpoints(endpoints(f, node, slot))).changed).toBe(2);
      const second = await f.agent.createEndpoints(endpoints(f, node, slot));
      expect(second).toMatchObject({ requested: 2, changed: 0, unchanged: 2 });
    }
    // node-0 made its VXLAN devices before node-1 existed: only a peer sync tells it about node-1.
    const sync = { scenario: f.scenario, node: 'node-0', nodeSlot: 0, vnis: [{ vni: 100 }, { vni: 200 }] };
    expect(await f.agent.syncPeers(sync)).toEqual({ changed: 2 });
    expect(await f.agent.syncPeers(sync)).toEqual({ changed: 0 });
  });
  afterAll(async () => {
    if (f) await f.finish();
  });

  test('interface name, address, MAC and default route are exactly as requested', async () => {
    const tag = await f.tag();
    const ifs = vmInterfaces(vmNetns(tag, 'node-1', 1));
    const eth0 = ifs.find((i) => i.ifname === 'eth0');
    expect(eth0).toBeDefined();
    expect(eth0!.address).toBe(endpointMac(f.scenario, 1, 1, 0));
    expect(eth0!.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)).toEqual(['10.1.0.13/24']);
    expect(ifs.find((i) => i.ifname === 'lo')!.addr_info.some((a) => a.local === '127.0.0.1')).toBe(true);
    expect(vmRoutes(vmNetns(tag, 'node-1', 1)).find((r) => r.dst === 'default')).toMatchObject({ gateway: '10.1.0.1', dev: 'eth0' });
  });

  test('IPv6 is off in every namespace made (VMs, nodes, fabric): no interface but loopback has an IPv6 address to chatter from', async () => {
    const tag = await f.tag();
    const made = execFileSync('ip', ['netns', 'list']).toString().split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`mk-${tag}`));
    // 2 nodes x 2 VMs, 2 node namespaces, the fabric, 2 nodes x 2 VPC routers.
    expect(made.length).toBe(11);
    expect(made.filter((n) => n.includes('_r-')).sort()).toEqual([`mk-${tag}-node-0_r-vpc-a`, `mk-${tag}-node-0_r-vpc-b`, `mk-${tag}-node-1_r-vpc-a`, `mk-${tag}-node-1_r-vpc-b`]);
    for (const ns of made) {
      // Nodes, the fabric and routers: off for every device made there; VMs: no link-local address on the veth.
      if (!ns.includes('_') || ns.endsWith('_fabric') || ns.includes('_r-')) {
        expect(execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/sys/net/ipv6/conf/default/disable_ipv6']).toString().trim()).toBe('1');
      }
      // Loopback keeps ::1 (it never leaves the namespace); no other interface has an IPv6 address.
      const inet6 = execFileSync('ip', ['-n', ns, '-6', '-br', 'addr']).toString().trim().split('\n').filter((l) => l !== '' && !l.startsWith('lo '));
      expect({ ns, inet6 }).toEqual({ ns, inet6: [] });
    }
  });

  test('same VPC reaches across nodes, different VPCs do not', async () => {
    const tag = await f.tag();
    const a0 = vmNetns(tag, 'node-0', 0);
    const b0 = vmNetns(tag, 'node-0', 1);
    expect(pingFrom(a0, '10.1.0.3')).toBe(true); // VPC A on node-1
    expect(pingFrom(b0, '10.1.0.13')).toBe(true); // VPC B on node-1
    expect(pingFrom(a0, '10.1.0.13')).toBe(false); // VPC B, other node
    expect(pingFrom(a0, '10.1.0.12')).toBe(false); // VPC B, same node
  });

  test('nodeInfo counts what exists; the node namespace holds the VXLAN devices, the root namespace none', async () => {
    const info = await f.agent.nodeInfo({ scenario: f.scenario, node: 'node-0' });
    expect(info).toMatchObject({ present: true, vms: 2, endpoints: 2 });
    const tag = await f.tag();
    const rootLinks = execFileSync('ip', ['-br', 'link']).toString();
    expect(rootLinks).not.toContain(tag);
  });

  test('updateEndpoint moves an endpoint to another address and VPC, twice with the same result', async () => {
    const tag = await f.tag();
    // VM 0 of node-1 moves from VPC A (10.1.0.3) to VPC B as host index 20 (10.1.0.22).
    const update: EndpointBatch = { ...endpoints(f, 'node-1', 1), count: 1, segments: [{ vmFrom: 0, vmCount: 1, endpoint: 0, subnet: vpcB, ipIndexFrom: 20 }] };
    await f.agent.updateEndpoint(update);
    expect(await f.agent.updateEndpoint(update)).toMatchObject({ requested: 1 });
    const vm = vmNetns(tag, 'node-1', 0);
    const eth0 = vmInterfaces(vm).find((i) => i.ifname === 'eth0')!;
    expect(eth0.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)).toEqual(['10.1.0.22/24']);
    expect(pingFrom(vmNetns(tag, 'node-0', 1), '10.1.0.22')).toBe(true); // VPC B, node-0
    expect(pingFrom(vmNetns(tag, 'node-0', 0), '10.1.0.22')).toBe(false); // VPC A no longer reaches it
    // And back, so the delete test below finds the original layout.
    await f.agent.updateEndpoint({ ...update, segments: [{ vmFrom: 0, vmCount: 1, endpoint: 0, subnet: vpcA, ipIndexFrom: 1 }] });
    expect(pingFrom(vmNetns(tag, 'node-0', 0), '10.1.0.3')).toBe(true);
  });

  test('delete activities run twice end with nothing of the node', async () => {
    const tag = await f.tag();
    const eb = endpoints(f, 'node-1', 1);
    expect((await f.agent.deleteEndpoints(eb)).changed).toBe(2);
    expect((await f.agent.deleteEndpoints(eb)).changed).toBe(0);
    const vms = { scenario: f.scenario, node: 'node-1', from: 0, count: 2 };
    expect((await f.agent.deleteVms(vms)).changed).toBe(2);
    expect((await f.agent.deleteVms(vms)).changed).toBe(0);
    expect(await f.agent.nodeInfo({ scenario: f.scenario, node: 'node-1' })).toMatchObject({ vms: 0, endpoints: 0 });
    await f.agent.deleteNode({ scenario: f.scenario, node: 'node-1' });
    await f.agent.deleteNode({ scenario: f.scenario, node: 'node-1' });
    const left = execFileSync('ip', ['netns', 'list']).toString();
    expect(left).not.toContain(`mk-${tag}-node-1`);
  });
});

describeRoot('reference dataplane, more endpoints than one bridge chunk', () => {
  test('a VM on a further chunk bridge reaches VMs on chunk 0 and on another node through the VXLAN on chunk 0', async () => {
    const f = makeFixture('chunk');
    try {
      const n = BRIDGE_CHUNK_PORTS + 4;
      const subnet = { id: 's', vpc: 'v', cidr: '10.3.0.0/22', gateway: '10.3.0.1', vni: 300 };
      for (const [node, slot] of [['node-0', 0], ['node-1', 1]] as const) {
        await f.agent.ensureNode({ scenario: f.scenario, node, nodeSlot: slot });
      }
      for (const [node, slot, count, ipFrom] of [['node-0', 0, n, 0], ['node-1', 1, 1, 1000]] as const) {
        await f.agent.createVms({ scenario: f.scenario, node, from: 0, count });
        await f.agent.createEndpoints({
          scenario: f.scenario,
          node,
          nodeSlot: slot,
          from: 0,
          count,
          endpointsPerVm: 1,
          segments: [{ vmFrom: 0, vmCount: count, endpoint: 0, subnet, ipIndexFrom: ipFrom }],
        });
      }
      const tag = await f.tag();
      const last = vmNetns(tag, 'node-0', n - 1);
      const node0 = JSON.parse(execFileSync('ip', ['-n', `mk-${tag}-node-0`, '-j', 'link', 'show']).toString()) as Array<{ ifname: string; master?: string }>;
      expect(node0.find((l) => l.ifname === `m${tag}v${(n - 1).toString(36)}e0`)?.master).toBe(`m${tag}b${(300).toString(36)}c1`);
      expect(pingFrom(last, '10.3.0.2')).toBe(true); // VM 0, chunk 0, same node
      expect(pingFrom(last, '10.3.3.234')).toBe(true); // node-1 VM 0 (host index 1000)
    } finally {
      await f.finish();
    }
  });
});
