import { expandBatch, validateSegments } from '../../src/activities/agent/expand';
import { EndpointBatchSchema, parsePayload, VmBatchSchema, type EndpointBatch } from '../../src/activities/agent/types';
import { endpointMac } from '../../src/model/mac';
import { InvalidInputError } from '../../src/dataplane/errors';

const subnetA = { id: 'sa', vpc: 'va', cidr: '10.0.0.0/24', gateway: '10.0.0.1', vni: 10 };
const subnetB = { id: 'sb', vpc: 'va', cidr: '10.1.0.0/24', gateway: '10.1.0.1', vni: 10 };

function batch(over: Partial<EndpointBatch> = {}): EndpointBatch {
  return {
    scenario: 'demo',
    node: 'node-1',
    nodeSlot: 1,
    from: 10,
    count: 3,
    endpointsPerVm: 2,
    segments: [
      { vmFrom: 0, vmCount: 100, endpoint: 0, subnet: subnetA, ipIndexFrom: 0 },
      { vmFrom: 10, vmCount: 2, endpoint: 1, subnet: subnetB, ipIndexFrom: 50 },
    ],
    ...over,
  };
}

describe('endpoint batch expansion', () => {
  test('each covered (VM, endpoint) gets its interface, address, MAC, gateway and host veth', () => {
    const eps = [...expandBatch(batch(), 'abcd')];
    expect(eps.map((e) => [e.vmIndex, e.endpoint, e.ifname, e.ip, e.gateway, e.vni])).toEqual([
      [10, 0, 'eth0', '10.0.0.12/24', '10.0.0.1', 10],
      [10, 1, 'eth1', '10.1.0.52/24', '10.1.0.1', 10],
      [11, 0, 'eth0', '10.0.0.13/24', '10.0.0.1', 10],
      [11, 1, 'eth1', '10.1.0.53/24', '10.1.0.1', 10],
      [12, 0, 'eth0', '10.0.0.14/24', '10.0.0.1', 10],
    ]);
    expect(eps[1].mac).toBe(endpointMac('demo', 1, 10, 1));
    expect(eps[0].hostIfname).toBe('mabcdvae0');
    expect(eps[0].vm).toEqual({ vmIndex: 10, name: 'mk-abcd-node-1_10', netnsPath: '/run/netns/mk-abcd-node-1_10' });
    expect(eps[0].id).toBe('demo-node-1-10-0');
  });

  test('a sub-range and a custom interface prefix', () => {
    const eps = [...expandBatch(batch({ ifnamePrefix: 'ens' }), 'abcd', 12, 1)];
    expect(eps.map((e) => e.ifname)).toEqual(['ens0']);
  });

  test('overlapping segments, endpoints beyond endpointsPerVm and addresses beyond the subnet are refused, naming the field', () => {
    expect(() => validateSegments(batch({ segments: [...batch().segments, { vmFrom: 50, vmCount: 60, endpoint: 0, subnet: subnetA, ipIndexFrom: 150 }] }))).toThrow(
      /endpoints\.segments\.2\.vmFrom.*overlap segment 0/,
    );
    expect(() => validateSegments(batch({ endpointsPerVm: 1 }))).toThrow(/segments\.1\.endpoint.*below endpointsPerVm/);
    expect(() => validateSegments(batch({ segments: [{ vmFrom: 0, vmCount: 250, endpoint: 0, subnet: subnetA, ipIndexFrom: 10 }] }))).toThrow(
      /segments\.0\.ipIndexFrom.*exceeds the subnet's 253 host addresses/,
    );
    expect(() => validateSegments(batch({ ifnamePrefix: 'averylongnamex', endpointsPerVm: 16, segments: [] }))).toThrow(InvalidInputError);
  });

  test('payload schemas name the field, the value and the rule', () => {
    expect(() => parsePayload(VmBatchSchema, { scenario: 'demo', node: 'n', from: -1, count: 1 }, 'vms')).toThrow(/invalid vms\.from: -1/);
    expect(() => parsePayload(EndpointBatchSchema, { ...batch(), segments: [{ ...batch().segments[0], subnet: { ...subnetA, vni: 0 } }] }, 'endpoints')).toThrow(
      /invalid endpoints\.segments\.0\.subnet\.vni: 0/,
    );
    expect(() => parsePayload(VmBatchSchema, { scenario: 'demo', node: 'n', from: 0, count: 1, plugin: '/bin/sh' }, 'vms')).toThrow(/vms\.plugin: "\/bin\/sh".*never a path/);
  });
});
