import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { alcorNames, GoalStateGap, localVpcs, planPort, planVpc, routedSubnets, shortHash, tunnelIdOf, type NodeGoalStates } from '../../src/model/alcor-dataplane';
import { GoalStateStore, readReadyPort } from '../../src/plugin/alcor/goal-state-store';
import type { GoalStateV2__Output } from '../../src/plugin/alcor/goal-state-proto';
import { IFNAME_MAX } from '../../src/dataplane/names';

// Goal states as Alcor 21f11b5 pushed them to a node (recorded by hand from its network
// configuration manager): the tunnel id sits in SubnetState (VpcState.tunnel_id is 0), the
// router's routing tables list the subnets the push is about, neighbors carry their host.
const SELF = '100.64.0.1';
const gs = (over: Partial<NodeGoalStates> = {}): NodeGoalStates => ({
  vpcs: { v1: { id: 'v1', tunnel_id: 0, cidr: '10.1.0.0/16' } },
  subnets: {
    s1: { id: 's1', vpc_id: 'v1', cidr: '10.1.1.0/24', tunnel_id: 15519744, gateway: { ip_address: '10.1.1.1', mac_address: 'AA:BB:CC:6D:97:CD' } },
    s2: { id: 's2', vpc_id: 'v1', cidr: '10.1.2.0/24', tunnel_id: 15519744, gateway: { ip_address: '10.1.2.1', mac_address: 'aa:bb:cc:8a:a5:14' } },
  },
  ports: { p1: { id: 'p1', vpc_id: 'v1', mac_address: 'aa:bb:cc:d0:eb:d8', fixed_ips: [{ subnet_id: 's1', ip_address: '10.1.1.10' }] } },
  neighbors: {
    'L3/p2': { id: 'p2', vpc_id: 'v1', mac_address: 'aa:bb:cc:6b:01:15', host_ip_address: '100.64.0.2', fixed_ips: [{ subnet_id: 's2', ip_address: '10.1.2.20' }] },
    'L3/p1': { id: 'p1', vpc_id: 'v1', mac_address: 'aa:bb:cc:d0:eb:d8', host_ip_address: SELF, fixed_ips: [{ subnet_id: 's1', ip_address: '10.1.1.10' }] },
  },
  routers: { r1: { id: 'r1', subnet_routing_tables: [{ subnet_id: 's2' }] } },
  ...over,
});
const o = { tag: 'ab12', node: 'node-a', self: SELF };

describe('a node builds what Alcor pushed (pure)', () => {
  test('the tunnel id is the SubnetState\'s; without any, the VPC cannot be built yet', () => {
    expect(tunnelIdOf(gs(), 'v1')).toBe(15519744);
    expect(tunnelIdOf(gs({ subnets: {} }), 'v1')).toBeUndefined();
    expect(tunnelIdOf(gs({ subnets: {}, vpcs: { v1: { id: 'v1', tunnel_id: 77, cidr: '' } } }), 'v1')).toBe(77);
    expect(planVpc(gs({ subnets: {} }), 'v1', o)).toBeUndefined();
  });

  test('the router joins the subnets of Alcor\'s routing tables and those with a port here', () => {
    expect(routedSubnets(gs(), 'v1')).toEqual(['s1', 's2']);
    expect(routedSubnets(gs({ routers: {} }), 'v1')).toEqual(['s1']);
    expect(localVpcs(gs())).toEqual(['v1']);
  });

  test('VPC plumbing: bridge and VXLAN with the tunnel id, gateways with Alcor\'s address and MAC, neighbors local and remote', () => {
    const plan = planVpc(gs(), 'v1', o)!;
    expect(plan).toMatchObject({ tunnelId: 15519744, bridge: 'mab12n98n40', vxlan: 'mab12w98n40', routerNetns: 'mk-ab12-node-a_r98n40' });
    expect(plan.gateways.map((g) => [g.subnetId, g.ip, g.prefix, g.mac])).toEqual([
      ['s1', '10.1.1.1', 24, 'aa:bb:cc:6d:97:cd'],
      ['s2', '10.1.2.1', 24, 'aa:bb:cc:8a:a5:14'],
    ]);
    expect(plan.neighbors).toEqual([
      { ip: '10.1.1.10', mac: 'aa:bb:cc:d0:eb:d8', subnetId: 's1' },
      { ip: '10.1.2.20', mac: 'aa:bb:cc:6b:01:15', subnetId: 's2', remoteHost: '100.64.0.2' },
    ]);
  });

  test('a gateway address is never a neighbor; neighbors of other VPCs are not this VPC\'s', () => {
    const plan = planVpc(
      gs({
        neighbors: {
          gw: { id: 'gw', vpc_id: 'v1', mac_address: 'aa:bb:cc:6d:97:cd', host_ip_address: '100.64.0.2', fixed_ips: [{ subnet_id: 's1', ip_address: '10.1.1.1' }] },
          other: { id: 'x', vpc_id: 'v9', mac_address: 'aa:bb:cc:00:00:09', host_ip_address: '100.64.0.2', fixed_ips: [{ subnet_id: 's9', ip_address: '10.9.0.5' }] },
        },
      }),
      'v1',
      o,
    )!;
    expect(plan.neighbors.map((n) => n.ip)).toEqual(['10.1.1.10']);
  });

  test('a port is built from its PortState, its subnet and the VPC\'s bridge; gaps are named', () => {
    expect(planPort(gs(), 'p1', o)).toEqual({ portId: 'p1', vpcId: 'v1', subnetId: 's1', mac: 'aa:bb:cc:d0:eb:d8', ip: '10.1.1.10', prefix: 24, gateway: '10.1.1.1', tunnelId: 15519744, bridge: 'mab12n98n40' });
    expect(() => planPort(gs(), 'nope', o)).toThrow(GoalStateGap);
    expect(() => planPort(gs({ subnets: {} }), 'p1', o)).toThrow(/no SubnetState for its subnet s1/);
    const noGw = gs();
    (noGw.subnets as Record<string, unknown>).s1 = { ...noGw.subnets.s1!, gateway: null };
    expect(() => planPort(noGw, 'p1', o)).toThrow(/no gateway/);
  });

  test('every name fits the kernel at the largest tunnel id', () => {
    const max = 2 ** 24 - 1;
    for (const n of [alcorNames.bridge('zzzz', max), alcorNames.vxlan('zzzz', max), alcorNames.gatewayBridgeEnd('zzzz', 'a-very-long-subnet-id-of-a-scenario'), alcorNames.gatewayRouterEnd('x'.repeat(200))]) {
      expect(n.length).toBeLessThanOrEqual(IFNAME_MAX);
    }
    expect(shortHash('s1')).toHaveLength(7);
    expect(shortHash('s1')).not.toBe(shortHash('s2'));
  });
});

describe('the goal-state store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'merak-gs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const msg = (over: Partial<GoalStateV2__Output>): GoalStateV2__Output =>
    ({ format_version: 102, host_resources: {}, vpc_states: {}, subnet_states: {}, port_states: {}, dhcp_states: {}, neighbor_states: {}, security_group_states: {}, router_states: {}, gateway_states: {}, ...over }) as GoalStateV2__Output;
  const port = (op: string) => ({ operation_type: op, configuration: { id: 'p1', vpc_id: 'v1', mac_address: 'aa:bb:cc:00:00:01', fixed_ips: [{ subnet_id: 's1', ip_address: '10.1.1.10' }] } });

  test('stores, reloads after a restart, deletes, and logs every resource it received', async () => {
    const store = new GoalStateStore(dir);
    const r = await store.apply(msg({ port_states: { p1: port('CREATE') }, neighbor_states: { 'L3/p2': { operation_type: 'CREATE', configuration: { id: 'p2', vpc_id: 'v1', mac_address: 'aa', host_ip_address: '1.2.3.4', fixed_ips: [] } } } } as never), 1000);
    expect(r.resources.map((x) => `${x.type} ${x.id} ${x.operation}`)).toEqual(['PORT p1 CREATE', 'NEIGHBOR p2 CREATE']);
    const again = new GoalStateStore(dir);
    await again.load();
    expect(Object.keys(again.snapshot().ports)).toEqual(['p1']);
    expect(Object.keys(again.snapshot().neighbors)).toEqual(['p2']);
    await again.markReady({ portId: 'p1', vpcId: 'v1', subnetId: 's1', mac: 'aa', ip: '10.1.1.10', prefix: 24, gateway: '10.1.1.1', tunnelId: 5, bridge: 'b', receivedAt: 1, programmedAt: 2 });
    expect(await readReadyPort(dir, 'p1')).toMatchObject({ ip: '10.1.1.10' });
    const del = await again.apply(msg({ port_states: { p1: port('DELETE') } } as never), 2000);
    expect(del.removed).toEqual([{ kind: 'port', value: expect.objectContaining({ id: 'p1' }) }]);
    expect(again.snapshot().ports).toEqual({});
    expect(await readReadyPort(dir, 'p1')).toBeUndefined();
    expect(existsSync(path.join(dir, 'port', 'p1.json'))).toBe(false);
    const events = readFileSync(path.join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: number; op: string });
    expect(events.map((e) => [e.t, e.op])).toEqual([[1000, 'CREATE'], [1000, 'CREATE'], [2000, 'DELETE']]);
  });

  test("a router's routing tables accumulate over pushes (each lists only the subnets it is about)", async () => {
    const store = new GoalStateStore(dir);
    const router = (subnets: string[]) => ({ '100.64.0.1/r1': { operation_type: 'INFO', configuration: { id: 'r1', subnet_routing_tables: subnets.map((s) => ({ subnet_id: s })) } } });
    await store.apply(msg({ router_states: router(['s1']) } as never), 1);
    await store.apply(msg({ router_states: router(['s2', 's1']) } as never), 2);
    expect(store.snapshot().routers.r1!.subnet_routing_tables.map((t) => t.subnet_id)).toEqual(['s1', 's2']);
  });

  test('an empty push (Alcor warms its channels up with one) changes nothing', async () => {
    const store = new GoalStateStore(dir);
    expect(await store.apply(msg({}), 1)).toEqual({ resources: [], removed: [] });
    expect(existsSync(path.join(dir, 'events.jsonl'))).toBe(false);
  });
});
