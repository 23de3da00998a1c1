/**
 * The reference dataplane's router and bridge layout, as pure functions: which router namespaces,
 * ports and gateway addresses a batch needs, the ARP rules each router holds, the router MAC,
 * and a bridge-chunk tree that stays under the kernel's 1023 ports per bridge at any size.
 */
import { expandBatch } from '../../src/activities/agent/expand';
import type { EndpointBatch } from '../../src/activities/agent/types';
import {
  BRIDGE_CHUNK_PORTS,
  BRIDGE_FANOUT,
  BRIDGE_MAX_PORTS,
  IFNAME_MAX,
  MAX_VNI,
  bridgePortsAtMost,
  chunkAncestry,
  chunkNameFits,
  chunkParent,
  chunkUplink,
  hostVeth,
  nodeNetns,
  routerIfname,
  routerNetns,
  routerPort,
  routerPortPrefix,
  underlayNodeEnd,
  validateVpcId,
  vmNetns,
  vniBridge,
  vxlanDevice,
} from '../../src/dataplane/names';
import { InvalidInputError } from '../../src/dataplane/errors';
import { fabricLines } from '../../src/endpoint-plugins/reference';
import { planRouters, routerArpRules, ROUTER_SYSCTLS } from '../../src/endpoint-plugins/reference-router';
import { MAX_ENDPOINTS_PER_VM, endpointMac, nodeMac, nodeMacPrefix, routerMac, routerMacOf } from '../../src/model/mac';
import { MAX_VMS_PER_NODE } from '../../src/model/spec';
import { seededRandom } from '../../src/model/random';

const red1 = { id: 'red-1', vpc: 'red', cidr: '10.20.1.0/24', gateway: '10.20.1.1', vni: 1100 };
const red2 = { id: 'red-2', vpc: 'red', cidr: '10.20.2.0/24', gateway: '10.20.2.1', vni: 1100 };
const red3 = { id: 'red-3', vpc: 'red', cidr: '10.20.3.0/24', gateway: '10.20.3.1', vni: 1103 };
const blue1 = { id: 'blue-1', vpc: 'blue', cidr: '10.20.1.0/24', gateway: '10.20.1.1', vni: 1200 };
const blue4 = { id: 'blue-4', vpc: 'blue', cidr: '10.20.4.0/25', gateway: '10.20.4.1', vni: 1201 };

function batch(over: Partial<EndpointBatch> = {}): EndpointBatch {
  return {
    scenario: 'demo',
    node: 'node-2',
    nodeSlot: 2,
    from: 0,
    count: 3,
    endpointsPerVm: 1,
    segments: [
      { vmFrom: 0, vmCount: 1, endpoint: 0, subnet: red1, ipIndexFrom: 0 },
      { vmFrom: 1, vmCount: 1, endpoint: 0, subnet: blue1, ipIndexFrom: 50 },
      { vmFrom: 2, vmCount: 1, endpoint: 0, subnet: red2, ipIndexFrom: 0 },
    ],
    ...over,
  };
}

describe('router plan', () => {
  test('one router per VPC with a port per VNI of the whole VPC, gateways on the port of their VNI', () => {
    const eps = [...expandBatch(batch({ vpcSubnets: [red1, red2, red3, blue1, blue4] }), 'abcd')];
    const plans = planRouters('abcd', 'node-2', eps);
    expect(plans).toEqual([
      {
        vpc: 'blue',
        netns: 'mk-abcd-node-2_r-blue',
        mac: routerMac('demo', 2),
        macPrefix: nodeMacPrefix(endpointMac('demo', 2, 0, 0)),
        ports: [
          { vni: 1200, ifname: 'vni1200', port: routerPort('abcd', 1200), addresses: ['10.20.1.1/24'] },
          // No VM of blue-4 on this node: its VNI and gateway are here all the same.
          { vni: 1201, ifname: 'vni1201', port: routerPort('abcd', 1201), addresses: ['10.20.4.1/25'] },
        ],
      },
      {
        vpc: 'red',
        netns: 'mk-abcd-node-2_r-red',
        mac: routerMac('demo', 2),
        macPrefix: nodeMacPrefix(endpointMac('demo', 2, 0, 0)),
        ports: [
          // Two subnets on the VPC's VNI: one port, both gateways.
          { vni: 1100, ifname: 'vni1100', port: routerPort('abcd', 1100), addresses: ['10.20.1.1/24', '10.20.2.1/24'] },
          { vni: 1103, ifname: 'vni1103', port: routerPort('abcd', 1103), addresses: ['10.20.3.1/24'] },
        ],
      },
    ]);
  });

  test('without vpcSubnets the router covers the subnets of the batch; subnets of other VPCs are ignored', () => {
    const plans = planRouters('abcd', 'node-2', [...expandBatch(batch({ vpcSubnets: [blue4] }), 'abcd')]);
    expect(plans.map((r) => [r.vpc, r.ports.map((p) => p.vni)])).toEqual([
      ['blue', [1200, 1201]],
      ['red', [1100]],
    ]);
    expect(planRouters('abcd', 'node-2', [])).toEqual([]);
  });

  test('a VPC id that cannot be part of a namespace name is refused naming the rule', () => {
    expect(() => routerNetns('abcd', 'n', '../x')).toThrow(InvalidInputError);
    expect(() => validateVpcId('a/b')).toThrow(/invalid vpc: "a\/b" \(must match/);
    expect(() => validateVpcId('')).toThrow(InvalidInputError);
    expect(() => validateVpcId('x'.repeat(64))).toThrow(InvalidInputError);
    expect(validateVpcId('Vpc_1.a-b')).toBe('Vpc_1.a-b');
  });

  test('router namespaces and ports never take the name of a VM, node, bridge, VXLAN device or endpoint', () => {
    const tag = 'zzzz';
    expect(routerNetns(tag, 'a', '1')).not.toBe(vmNetns(tag, 'a', 1));
    expect(routerNetns(tag, 'a', 'x')).not.toBe(nodeNetns(tag, 'a_r-x'.replace('_', '-')));
    const node = [underlayNodeEnd(tag), hostVeth(tag, 0, 0), vniBridge(tag, MAX_VNI, 0), vxlanDevice(tag, MAX_VNI), chunkUplink(tag, MAX_VNI, 1)];
    for (const vni of [1, 36, MAX_VNI]) {
      expect(routerPort(tag, vni).length).toBeLessThanOrEqual(IFNAME_MAX);
      expect(routerIfname(vni).length).toBeLessThanOrEqual(IFNAME_MAX);
      expect(node).not.toContain(routerPort(tag, vni));
      expect(routerPort(tag, vni).startsWith(routerPortPrefix(tag))).toBe(true);
    }
    for (const n of node) expect(n.startsWith(routerPortPrefix(tag))).toBe(false);
  });

  test('routers forward, send no redirects and have IPv6 off; ARP rules answer only this node and probe from 0.0.0.0', () => {
    expect(ROUTER_SYSCTLS).toEqual(
      expect.arrayContaining([
        { op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
        { op: 'sysctl', key: 'net.ipv4.conf.all.send_redirects', value: '0' },
        { op: 'sysctl', key: 'net.ipv4.conf.default.send_redirects', value: '0' },
        { op: 'sysctl', key: 'net.ipv6.conf.default.disable_ipv6', value: '1' },
      ]),
    );
    expect(routerArpRules('0a:00:02').split('\n')).toEqual([
      '*filter',
      ':INPUT ACCEPT',
      ':OUTPUT ACCEPT',
      ':FORWARD ACCEPT',
      '-A INPUT --opcode Request ! --source-mac 0a:00:02:00:00:00/ff:ff:ff:00:00:00 -j DROP',
      '-A OUTPUT --opcode Request -j mangle --mangle-ip-s 0.0.0.0',
      'COMMIT',
      '',
    ]);
  });
});

describe('router MAC', () => {
  test('is the node prefix of every endpoint MAC of the node, never an endpoint or node MAC, and differs per node', () => {
    const rnd = seededRandom(5);
    const wrong: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const scenario = `s${Math.floor(rnd() * 50)}`;
      const slot = Math.floor(rnd() * 0x10000);
      const vm = Math.floor(rnd() * MAX_VMS_PER_NODE);
      const ep = Math.floor(rnd() * MAX_ENDPOINTS_PER_VM);
      const mac = endpointMac(scenario, slot, vm, ep);
      const router = routerMac(scenario, slot);
      if (routerMacOf(mac) !== router || router === mac || nodeMacPrefix(router) !== nodeMacPrefix(mac)) wrong.push(`${scenario} ${slot} ${vm} ${ep}`);
      if (nodeMacPrefix(endpointMac(scenario, (slot + 1) % 0x10000, vm, ep)) === nodeMacPrefix(mac)) wrong.push(`prefix of slot ${slot} shared`);
    }
    expect(wrong).toEqual([]);
    expect(routerMac('demo', 3)).not.toBe(nodeMac('demo', 3));
    expect(routerMac('demo', 3)).not.toBe(routerMac('demo', 4));
    // The largest endpoint index stays below the router's.
    expect(endpointMac('demo', 3, MAX_VMS_PER_NODE - 1, MAX_ENDPOINTS_PER_VM - 1) < routerMac('demo', 3)).toBe(true);
    expect(() => nodeMacPrefix('0A:00:00:00:00:01')).toThrow(RangeError);
  });
});

describe('bridge chunk tree', () => {
  /** Last chunk of one VNI when every endpoint slot of a node is in it. */
  const lastChunkFor = (slots: number) => Math.floor((slots - 1) / BRIDGE_CHUNK_PORTS);

  test.each([
    ['~200,000 VMs of one VNI', 200_000],
    ['the largest node: 1,000,000 VMs x 16 endpoints in one VNI', MAX_VMS_PER_NODE * MAX_ENDPOINTS_PER_VM],
  ])('%s: no bridge passes 1023 ports, every chunk reaches chunk 0 in at most 3 hops', (_what, slots) => {
    const last = lastChunkFor(slots);
    const children = new Map<number, number>();
    let worst = 0;
    let deepest = 0;
    // Problems are collected and asserted once: an expect() per chunk costs seconds at 62,500 chunks.
    const wrong: string[] = [];
    for (let c = 1; c <= last; c++) {
      const p = chunkParent(c);
      if (p >= c) wrong.push(`chunk ${c} has parent ${p}`);
      children.set(p, (children.get(p) ?? 0) + 1);
      const path = chunkAncestry(c);
      if (path[path.length - 1] !== 0) wrong.push(`chunk ${c} does not reach chunk 0`);
      deepest = Math.max(deepest, path.length - 1);
    }
    for (let c = 0; c <= last; c++) {
      // Counted ports: endpoints, children, uplink or (chunk 0) VXLAN device + router port.
      const counted = BRIDGE_CHUNK_PORTS + (children.get(c) ?? 0) + (c === 0 ? 2 : 1);
      if (bridgePortsAtMost(c, last) !== counted) wrong.push(`chunk ${c}: bridgePortsAtMost ${bridgePortsAtMost(c, last)}, counted ${counted}`);
      worst = Math.max(worst, counted);
    }
    expect(wrong).toEqual([]);
    expect(deepest).toBeLessThanOrEqual(3);
    expect(worst).toBeLessThanOrEqual(BRIDGE_MAX_PORTS);
    // The flat star this replaces: every chunk's uplink on chunk 0.
    if (slots >= 200_000) expect(BRIDGE_CHUNK_PORTS + 2 + last).toBeGreaterThan(BRIDGE_MAX_PORTS);
  });

  test('chunks 1..BRIDGE_FANOUT hang off chunk 0 as before; the next ones off chunk 1, 2, ...', () => {
    expect(chunkParent(1)).toBe(0);
    expect(chunkParent(BRIDGE_FANOUT)).toBe(0);
    expect(chunkParent(BRIDGE_FANOUT + 1)).toBe(1);
    expect(chunkParent(2 * BRIDGE_FANOUT + 1)).toBe(2);
    expect(chunkAncestry(0)).toEqual([0]);
    expect(chunkAncestry(BRIDGE_FANOUT * BRIDGE_FANOUT + BRIDGE_FANOUT + 1)).toEqual([BRIDGE_FANOUT * BRIDGE_FANOUT + BRIDGE_FANOUT + 1, BRIDGE_FANOUT + 1, 1, 0]);
    expect(() => chunkParent(0)).toThrow(RangeError);
  });

  test('chunk names fit 15 characters for every chunk of a VNI below 36^4, and up to chunk 36^3 - 1 for any VNI', () => {
    const last = lastChunkFor(MAX_VMS_PER_NODE * MAX_ENDPOINTS_PER_VM);
    expect(chunkNameFits(36 ** 4 - 1, last)).toBe(true);
    expect(vniBridge('zzzz', 36 ** 4 - 1, last).length).toBeLessThanOrEqual(IFNAME_MAX);
    expect(chunkNameFits(MAX_VNI, 36 ** 3 - 1)).toBe(true);
    expect(vniBridge('zzzz', MAX_VNI, 36 ** 3 - 1).length).toBe(IFNAME_MAX);
    expect(chunkNameFits(MAX_VNI, 36 ** 3)).toBe(false);
  });

  test('fabric lines hang each chunk off its parent, parents first, and skip what exists', () => {
    const far = BRIDGE_FANOUT + 5; // parent: chunk 1
    const needs = new Map([[7, new Set(chunkAncestry(far))]]);
    const { lines, created } = fabricLines('abcd', needs, new Set([vniBridge('abcd', 7, 0)]), { address: '100.64.0.1', device: 'mabcdul' });
    expect(created).toEqual([vxlanDevice('abcd', 7), vniBridge('abcd', 7, 1), chunkUplink('abcd', 7, 1), vniBridge('abcd', 7, far), chunkUplink('abcd', 7, far)]);
    expect(lines).toContain(`link set ${chunkUplink('abcd', 7, 1)} master ${vniBridge('abcd', 7, 0)} up`);
    expect(lines).toContain(`link set ${chunkUplink('abcd', 7, far)} master ${vniBridge('abcd', 7, 1)} up`);
    expect(lines.findIndex((l) => l.startsWith(`link add ${vniBridge('abcd', 7, 1)}`))).toBeLessThan(lines.findIndex((l) => l.startsWith(`link add ${chunkUplink('abcd', 7, far)}`)));
  });
});
