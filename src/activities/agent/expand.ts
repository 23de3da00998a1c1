/**
 * Expands an endpoint batch (counts and ranges) into concrete endpoints (pure): VM i, endpoint
 * e gets interface `${ifnamePrefix}${e}`, address ipIndexFrom + (i - vmFrom) in its segment's
 * subnet, MAC endpointMac(scenario, nodeSlot, i, e). Generated lazily, so memory does not grow
 * with the batch.
 */
import { capacity, hostAddress, prefixOf } from '../../model/ipam';
import { endpointMac } from '../../model/mac';
import { InvalidInputError } from '../../dataplane/errors';
import { bridgeChunk, hostVeth, vmNetns, validateVmIfname } from '../../dataplane/names';
import { netnsPath } from '../../dataplane/netns';
import type { Endpoint } from '../../endpoint-plugins/types';
import type { EndpointBatch, Segment } from './types';

export const DEFAULT_IFNAME_PREFIX = 'eth';

/** Checks what the schema cannot: segment bounds, overlaps, addresses inside the subnet. */
export function validateSegments(b: EndpointBatch): void {
  const seen = new Map<number, Array<[number, number, number]>>();
  b.segments.forEach((s, k) => {
    const f = `endpoints.segments.${k}`;
    if (s.endpoint >= b.endpointsPerVm) {
      throw new InvalidInputError(`${f}.endpoint`, s.endpoint, `must be below endpointsPerVm (${b.endpointsPerVm})`);
    }
    let cap: number;
    try {
      cap = capacity(s.subnet.cidr);
    } catch (e) {
      throw new InvalidInputError(`${f}.subnet.cidr`, s.subnet.cidr, (e as Error).message);
    }
    if (s.ipIndexFrom + s.vmCount > cap) {
      throw new InvalidInputError(`${f}.ipIndexFrom`, s.ipIndexFrom, `ipIndexFrom + vmCount (${s.ipIndexFrom + s.vmCount}) exceeds the subnet's ${cap} host addresses`);
    }
    const ranges = seen.get(s.endpoint) ?? [];
    for (const [from, count, other] of ranges) {
      if (s.vmFrom < from + count && from < s.vmFrom + s.vmCount) {
        throw new InvalidInputError(`${f}.vmFrom`, s.vmFrom, `VMs ${s.vmFrom}..${s.vmFrom + s.vmCount - 1} endpoint ${s.endpoint} overlap segment ${other}`);
      }
    }
    ranges.push([s.vmFrom, s.vmCount, k]);
    seen.set(s.endpoint, ranges);
  });
  validateVmIfname(`${b.ifnamePrefix ?? DEFAULT_IFNAME_PREFIX}${b.endpointsPerVm - 1}`, 'endpoints.ifnamePrefix');
}

function segmentFor(segments: readonly Segment[], vmIndex: number, endpoint: number): Segment | undefined {
  return segments.find((s) => s.endpoint === endpoint && vmIndex >= s.vmFrom && vmIndex < s.vmFrom + s.vmCount);
}

/** One concrete endpoint of the batch. */
export function expandOne(b: EndpointBatch, tag: string, s: Segment, vmIndex: number, endpoint: number): Endpoint {
  const name = vmNetns(tag, b.node, vmIndex);
  return {
    vmIndex,
    endpoint,
    id: `${b.scenario}-${b.node}-${vmIndex}-${endpoint}`,
    ifname: `${b.ifnamePrefix ?? DEFAULT_IFNAME_PREFIX}${endpoint}`,
    ip: `${hostAddress(s.subnet.cidr, s.ipIndexFrom + (vmIndex - s.vmFrom))}/${prefixOf(s.subnet.cidr)}`,
    mac: endpointMac(b.scenario, b.nodeSlot, vmIndex, endpoint),
    gateway: s.subnet.gateway,
    subnetId: s.subnet.id,
    subnetCidr: s.subnet.cidr,
    vpc: s.subnet.vpc,
    vni: s.subnet.vni,
    hostIfname: hostVeth(tag, vmIndex, endpoint),
    vm: { vmIndex, name, netnsPath: netnsPath(name) },
    chunk: bridgeChunk(vmIndex, endpoint, b.endpointsPerVm),
    extras: s.extras ?? {},
    peers: s.peers,
    vpcSubnets: b.vpcSubnets,
  };
}

/** Endpoints of VMs [from, from+count) that some segment covers, in VM then endpoint order. */
export function* expandBatch(b: EndpointBatch, tag: string, from = b.from, count = b.count): Generator<Endpoint> {
  for (let vm = from; vm < from + count; vm++) {
    for (let e = 0; e < b.endpointsPerVm; e++) {
      const s = segmentFor(b.segments, vm, e);
      if (s) yield expandOne(b, tag, s, vm, e);
    }
  }
}
