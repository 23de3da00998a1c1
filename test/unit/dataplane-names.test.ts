import {
  IFNAME_MAX,
  VETH_NAME_MAX_VM_INDEX as MAX_VM_INDEX,
  MAX_VNI,
  bridgeChunk,
  chunkDownlink,
  chunkUplink,
  fabricNetns,
  hostVeth,
  nodeNetns,
  parseVmNetns,
  tagCandidate,
  TAG_RE,
  underlayBridge,
  underlayFabricEnd,
  underlayNodeEnd,
  validateNode,
  validateScenario,
  validateVmIfname,
  vmNetns,
  vniBridge,
  vxlanDevice,
  BRIDGE_CHUNK_PORTS,
} from '../../src/dataplane/names';
import { InvalidInputError } from '../../src/dataplane/errors';

describe('kernel names', () => {
  test('every interface name stays within 15 characters at the largest indices', () => {
    const tag = 'zzzz';
    const names = [
      underlayBridge(tag),
      underlayFabricEnd(tag, 0xffff),
      underlayNodeEnd(tag),
      hostVeth(tag, MAX_VM_INDEX, 15),
      vniBridge(tag, MAX_VNI, 35),
      vxlanDevice(tag, MAX_VNI),
      chunkUplink(tag, MAX_VNI, 35),
      chunkDownlink(tag, MAX_VNI, 35),
    ];
    for (const n of names) expect(n.length).toBeLessThanOrEqual(IFNAME_MAX);
    expect(new Set(names).size).toBe(names.length);
  });

  test('host veth names are distinct across VMs and endpoints', () => {
    const seen = new Set<string>();
    for (let vm = 0; vm < 2000; vm++) for (let e = 0; e < 4; e++) seen.add(hostVeth('abcd', vm, e));
    expect(seen.size).toBe(8000);
  });

  test('a VM namespace of node a never equals the namespace of node a-1, nor the fabric', () => {
    expect(vmNetns('abcd', 'a', 1)).not.toBe(nodeNetns('abcd', 'a-1'));
    expect(nodeNetns('abcd', 'fabric')).not.toBe(fabricNetns('abcd'));
    expect(parseVmNetns('abcd', 'a', vmNetns('abcd', 'a', 17))).toBe(17);
    expect(parseVmNetns('abcd', 'a', vmNetns('abcd', 'a-1', 17))).toBeUndefined();
    expect(parseVmNetns('abcd', 'a', 'mk-abcd-a_017')).toBeUndefined();
    expect(parseVmNetns('abcd', 'a', nodeNetns('abcd', 'a'))).toBeUndefined();
  });

  test('tag candidates are well-formed, deterministic and differ per scenario and attempt', () => {
    const tags = new Set<string>();
    for (let k = 0; k < 64; k++) {
      const t = tagCandidate('demo', k);
      expect(t).toMatch(TAG_RE);
      expect(tagCandidate('demo', k)).toBe(t);
      tags.add(t);
    }
    expect(tags.size).toBeGreaterThan(60);
    expect(tagCandidate('demo', 0)).not.toBe(tagCandidate('demo2', 0));
  });

  test('bridge chunks hold at most BRIDGE_CHUNK_PORTS endpoints', () => {
    const perChunk = new Map<number, number>();
    for (let vm = 0; vm < 3000; vm++) for (let e = 0; e < 2; e++) {
      const c = bridgeChunk(vm, e, 2);
      perChunk.set(c, (perChunk.get(c) ?? 0) + 1);
    }
    expect(Math.max(...perChunk.values())).toBe(BRIDGE_CHUNK_PORTS);
    expect(BRIDGE_CHUNK_PORTS).toBeLessThan(1023);
    expect(perChunk.size).toBe(Math.ceil(6000 / BRIDGE_CHUNK_PORTS));
  });

  test('validators name the field, the value and the rule', () => {
    expect(() => validateScenario('Demo')).toThrow(InvalidInputError);
    expect(() => validateScenario('Demo')).toThrow(/invalid scenario: "Demo" \(must match/);
    expect(() => validateNode('a_b', 'nodes.3')).toThrow(/invalid nodes\.3: "a_b"/);
    expect(() => validateVmIfname('eth0/1')).toThrow(/invalid ifname/);
    expect(() => validateVmIfname('a'.repeat(16))).toThrow(/at most 15/);
    expect(validateVmIfname('eth0')).toBe('eth0');
  });
});
