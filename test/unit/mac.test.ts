import { endpointMac, fnv1a32, MAX_ENDPOINT_INDEX, MAX_ENDPOINTS_PER_VM, MAX_NODE_SLOT, MAX_VM_INDEX, NODE_MAC_INDEX, nodeMac } from '../../src/model/mac';

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** First octet: locally administered (bit 1 set), unicast (bit 0 clear). */
function isLocalUnicast(mac: string): boolean {
  const first = parseInt(mac.slice(0, 2), 16);
  return MAC.test(mac) && (first & 0b11) === 0b10;
}

describe('fnv1a32', () => {
  // Published FNV-1a 32-bit test vectors (ASCII, so UTF-16 code units equal the bytes).
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('%p → %i', (text, hash) => {
    expect(fnv1a32(text)).toBe(hash);
  });

  it('is an unsigned 32-bit number and differs for near-identical inputs', () => {
    const hashes = ['demo', 'demo1', 'demo2', 'Demo', 'omed'].map(fnv1a32);
    for (const h of hashes) {
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
    }
    expect(new Set(hashes).size).toBe(hashes.length);
  });
});

describe('layout', () => {
  it('constants agree with the documented layout', () => {
    expect(MAX_NODE_SLOT).toBe(0xffff);
    expect(NODE_MAC_INDEX).toBe(0xffffff);
    expect(MAX_ENDPOINT_INDEX).toBe(0xfffffe);
    expect(MAX_ENDPOINTS_PER_VM).toBe(16);
    // The last VM's endpoint 15 must stay below the node's reserved index.
    expect(MAX_VM_INDEX * MAX_ENDPOINTS_PER_VM + (MAX_ENDPOINTS_PER_VM - 1)).toBeLessThan(NODE_MAC_INDEX);
    expect((MAX_VM_INDEX + 1) * MAX_ENDPOINTS_PER_VM + (MAX_ENDPOINTS_PER_VM - 1)).toBeGreaterThanOrEqual(NODE_MAC_INDEX);
  });

  // Computed by hand: fnv1a32('a') = 0xe40c292c, low 6 bits 0x2c, (0x2c << 2) | 0b10 = 0xb2;
  // slot 1 → 00:01; VM 2 endpoint 3 → index 2*16+3 = 35 = 00:00:23.
  it('known vectors', () => {
    expect(endpointMac('a', 1, 2, 3)).toBe('b2:00:01:00:00:23');
    expect(endpointMac('a', 0, 0, 0)).toBe('b2:00:00:00:00:00');
    expect(nodeMac('a', 0x1234)).toBe('b2:12:34:ff:ff:ff');
    // fnv1a32('') = 0x811c9dc5, low 6 bits 0x05 → 0x16; index 1048574*16+15 = 0xffffef.
    expect(endpointMac('', MAX_NODE_SLOT, MAX_VM_INDEX, 15)).toBe('16:ff:ff:ff:ff:ef');
    // fnv1a32('foobar') = 0xbf9cf968, low 6 bits 0x28 → 0xa2; VM 4096 → index 65536 = 01:00:00.
    expect(endpointMac('foobar', 0x0100, 4096, 0)).toBe('a2:01:00:01:00:00');
    expect(nodeMac('foobar', 0)).toBe('a2:00:00:ff:ff:ff');
  });

  it('is locally administered unicast for many scenarios, slots and indexes', () => {
    const firsts = new Set<string>();
    const bad: string[] = [];
    for (let s = 0; s < 1000; s++) {
      const scenario = `scenario-${s}`;
      const slot = (s * 7919) % (MAX_NODE_SLOT + 1);
      const vm = (s * 104_729) % (MAX_VM_INDEX + 1);
      for (const mac of [endpointMac(scenario, slot, vm, s % 16), nodeMac(scenario, slot)]) {
        if (!isLocalUnicast(mac)) bad.push(`${scenario}: ${mac}`);
        firsts.add(mac.slice(0, 2));
      }
    }
    expect(bad).toEqual([]);
    // Every one of the 64 scenario prefixes shows up: the scenario really uses 6 bits.
    const expected = Array.from({ length: 64 }, (_, x) => ((x << 2) | 2).toString(16).padStart(2, '0'));
    expect([...firsts].sort()).toEqual(expected.sort());
  });

  it('is deterministic', () => {
    for (const [s, slot, vm, ep] of [
      ['demo', 0, 0, 0],
      ['demo', 17, 123_456, 9],
      ['x', MAX_NODE_SLOT, MAX_VM_INDEX, 15],
    ] as const) {
      expect(endpointMac(s, slot, vm, ep)).toBe(endpointMac(s, slot, vm, ep));
      expect(endpointMac(s, slot, vm, ep)).toBe(endpointMac(`${s}`, slot, vm, ep));
    }
    expect(nodeMac('demo', 3)).toBe(nodeMac('demo', 3));
  });
});

describe('injectivity within a scenario', () => {
  it('no collision among 50 slots × 1000 VMs × 4 endpoints, and node MACs stay apart', () => {
    const seen = new Set<string>();
    let count = 0;
    // Slots spread over the whole range (not only 0..49) so high slot bytes are exercised.
    const slots = Array.from({ length: 50 }, (_, i) => Math.floor((i * MAX_NODE_SLOT) / 49));
    // VMs: the first 500 (low index bytes carry over) and 500 spread up to MAX_VM_INDEX (high bytes).
    const vms = [...Array.from({ length: 500 }, (_, i) => i), ...Array.from({ length: 500 }, (_, i) => 500 + Math.floor((i * (MAX_VM_INDEX - 500)) / 499))];
    expect(new Set(slots).size).toBe(50);
    expect(new Set(vms).size).toBe(1000);
    expect(vms[vms.length - 1]).toBe(MAX_VM_INDEX);
    for (const slot of slots) {
      for (const vm of vms) {
        for (const ep of [0, 1, 7, 15]) {
          seen.add(endpointMac('demo', slot, vm, ep));
          count++;
        }
      }
    }
    expect(count).toBe(200_000);
    expect(seen.size).toBe(count);
    for (const slot of slots) expect(seen.has(nodeMac('demo', slot))).toBe(false);
    const nodes = new Set(slots.map((slot) => nodeMac('demo', slot)));
    expect(nodes.size).toBe(50);
  });

  it('edge values are distinct from each other and from the node MAC', () => {
    const edges: [number, number, number][] = [];
    for (const slot of [0, 1, 255, 256, MAX_NODE_SLOT - 1, MAX_NODE_SLOT]) {
      for (const vm of [0, 1, 4095, 4096, 65_535, 65_536, MAX_VM_INDEX - 1, MAX_VM_INDEX]) {
        for (const ep of [0, 1, 14, 15]) edges.push([slot, vm, ep]);
      }
    }
    const macs = edges.map(([slot, vm, ep]) => endpointMac('edge', slot, vm, ep));
    expect(new Set(macs).size).toBe(edges.length);
    for (const slot of [0, 1, 255, 256, MAX_NODE_SLOT - 1, MAX_NODE_SLOT]) {
      expect(macs).not.toContain(nodeMac('edge', slot));
      // The very last endpoint of the node is the closest one to the node MAC.
      expect(endpointMac('edge', slot, MAX_VM_INDEX, 15)).not.toBe(nodeMac('edge', slot));
    }
  });

  it('every endpoint of one VM and every VM of a small node map to consecutive indexes', () => {
    const indexOf = (mac: string) => parseInt(mac.split(':').slice(3).join(''), 16);
    const wrong: string[] = [];
    for (let vm = 0; vm < 64; vm++) {
      for (let ep = 0; ep < MAX_ENDPOINTS_PER_VM; ep++) {
        const mac = endpointMac('demo', 5, vm, ep);
        if (indexOf(mac) !== vm * 16 + ep || !mac.startsWith(`${mac.slice(0, 2)}:00:05:`)) wrong.push(`${vm}/${ep} → ${mac}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('range errors', () => {
  it.each([-1, MAX_NODE_SLOT + 1, 1.5, Number.NaN])('node slot %p', (slot) => {
    expect(() => endpointMac('demo', slot, 0, 0)).toThrow(RangeError);
    expect(() => endpointMac('demo', slot, 0, 0)).toThrow(/node slot .* is outside 0\.\.65535/);
    expect(() => nodeMac('demo', slot)).toThrow(/node slot .* is outside 0\.\.65535/);
  });

  it.each([-1, MAX_VM_INDEX + 1, 0.5, Number.POSITIVE_INFINITY])('VM index %p', (vm) => {
    expect(() => endpointMac('demo', 0, vm, 0)).toThrow(new RegExp(`VM index .* is outside 0\\.\\.${MAX_VM_INDEX}`));
  });

  it.each([-1, MAX_ENDPOINTS_PER_VM, 1.5])('endpoint %p', (ep) => {
    expect(() => endpointMac('demo', 0, 0, ep)).toThrow(/endpoint .* is outside 0\.\.15/);
  });
});
