import { parseCidr, parseIpv4 } from '../../src/model/ipv4';
import { capacity, gateway, hostAddress, IpamRangeError, MAX_SUBNET_PREFIX, prefixOf, underlayAddress, underlayCapacity } from '../../src/model/ipam';

/** Dotted quad of an unsigned 32-bit number, written independently of the code under test. */
function dotted(n: number): string {
  return [Math.floor(n / 2 ** 24) % 256, Math.floor(n / 2 ** 16) % 256, Math.floor(n / 2 ** 8) % 256, n % 256].join('.');
}

/** Network address of `base` under `prefix`, by arithmetic rather than bit masks. */
function networkOf(base: number, prefix: number): number {
  const size = 2 ** (32 - prefix);
  return Math.floor(base / size) * size;
}

const PREFIXES = Array.from({ length: MAX_SUBNET_PREFIX - 8 + 1 }, (_, i) => 8 + i);
/** Bases spread over the address space, including the top block (sign-bit trouble) and 0.0.0.0. */
const BASES = ['0.0.0.0', '10.0.0.0', '172.16.0.0', '192.168.255.255', '255.255.255.255'].map(parseIpv4);

describe('capacity / gateway / first and last host, every prefix /8../30', () => {
  it('covers every prefix from /8 to /30', () => {
    expect(MAX_SUBNET_PREFIX).toBe(30);
    expect(PREFIXES).toHaveLength(23);
  });

  // One test per prefix, five networks each: the top block 255.x catches signed-shift mistakes.
  it.each(PREFIXES.map((p) => [p]))('/%i', (prefix) => {
    for (const network of BASES.map((base) => networkOf(base, prefix))) checkSubnet(`${dotted(network)}/${prefix}`, network, prefix);
  });

  function checkSubnet(cidr: string, network: number, prefix: number): void {
    const size = 2 ** (32 - prefix);
    const cap = size - 3;
    expect(capacity(cidr)).toBe(cap);
    expect(capacity(parseCidr(cidr))).toBe(cap);
    expect(prefixOf(cidr)).toBe(prefix);
    expect(gateway(cidr)).toBe(dotted(network + 1));
    expect(gateway(parseCidr(cidr))).toBe(dotted(network + 1));
    expect(hostAddress(cidr, 0)).toBe(dotted(network + 2));
    expect(hostAddress(cidr, cap - 1)).toBe(dotted(network + size - 2)); // just below broadcast
    expect(() => hostAddress(cidr, cap)).toThrow(IpamRangeError);
    expect(() => hostAddress(cidr, -1)).toThrow(IpamRangeError);
    if (cap > 2) expect(hostAddress(cidr, Math.floor(cap / 2))).toBe(dotted(network + 2 + Math.floor(cap / 2)));
  }
});

describe('every index of a subnet maps to a distinct usable address', () => {
  it.each(['192.168.7.0/24', '10.20.30.16/28', '255.255.255.240/28', '10.0.0.0/30'])('%s', (cidr) => {
    const { network, prefix } = parseCidr(cidr);
    const size = 2 ** (32 - prefix);
    const broadcast = network + size - 1;
    const gw = gateway(cidr);
    const seen = new Set<string>();
    const wrong: string[] = [];
    const cap = capacity(cidr);
    for (let i = 0; i < cap; i++) {
      const address = hostAddress(cidr, i);
      const value = parseIpv4(address);
      if (value <= network || value >= broadcast || address === gw) wrong.push(`${i} → ${address}`);
      seen.add(address);
    }
    expect(wrong).toEqual([]);
    expect(seen.size).toBe(cap);
    // Together with network, gateway and broadcast they fill the block exactly.
    expect(seen.size + 3).toBe(size);
  });
});

describe('out-of-range and malformed input', () => {
  it.each([-1, 253, 254, 255, 256, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 32])('host index %p of a /24 throws IpamRangeError naming the range', (index) => {
    expect(() => hostAddress('10.0.0.0/24', index)).toThrow(IpamRangeError);
    expect(() => hostAddress('10.0.0.0/24', index)).toThrow(/outside the 253 host addresses of the subnet \(0\.\.252\)/);
  });

  it('a /30 has exactly one host', () => {
    expect(hostAddress('10.0.0.4/30', 0)).toBe('10.0.0.6');
    expect(() => hostAddress('10.0.0.4/30', 1)).toThrow(IpamRangeError);
  });

  it.each(['10.0.0.0/31', '10.0.0.1/32', '0.0.0.0/32'])('refuses %s everywhere: no room for a gateway and a host', (cidr) => {
    const refused = /too small.*prefix at most \/30/;
    expect(() => capacity(cidr)).toThrow(refused);
    expect(() => gateway(cidr)).toThrow(refused);
    expect(() => hostAddress(cidr, 0)).toThrow(refused);
    expect(() => prefixOf(cidr)).toThrow(refused);
    expect(() => capacity(parseCidr(cidr))).toThrow(IpamRangeError);
  });

  it('IpamRangeError is a RangeError with its own name', () => {
    let caught: unknown;
    try {
      hostAddress('10.0.0.0/24', 999);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RangeError);
    expect((caught as Error).name).toBe('IpamRangeError');
  });

  it.each(['10.0.0.1/24', '10.0.0.0', '10.0.0.0/33', 'x/24'])('refuses malformed CIDR %s', (cidr) => {
    expect(() => capacity(cidr)).toThrow(/not valid/);
    expect(() => underlayCapacity(cidr)).toThrow(/not valid/);
  });
});

describe('underlay slots', () => {
  it('slot n is network + 1 + n, up to the address below broadcast', () => {
    expect(underlayCapacity('100.64.0.0/16')).toBe(65_534);
    expect(underlayAddress('100.64.0.0/16', 0)).toBe('100.64.0.1');
    expect(underlayAddress('100.64.0.0/16', 254)).toBe('100.64.0.255');
    expect(underlayAddress('100.64.0.0/16', 255)).toBe('100.64.1.0');
    expect(underlayAddress('100.64.0.0/16', 65_533)).toBe('100.64.255.254');
    expect(() => underlayAddress('100.64.0.0/16', 65_534)).toThrow(IpamRangeError);
    expect(() => underlayAddress('100.64.0.0/16', 65_534)).toThrow(/node slot 65534 is outside the 65534 underlay addresses of 100\.64\.0\.0\/16/);
  });

  it.each(PREFIXES.concat([31, 32]).map((p) => [p]))('every slot of a /%i with few enough addresses is distinct and inside', (prefix) => {
    const cidr = `10.0.0.0/${prefix}`;
    const size = 2 ** (32 - prefix);
    const cap = Math.max(0, size - 2);
    expect(underlayCapacity(cidr)).toBe(cap);
    expect(underlayCapacity(parseCidr(cidr))).toBe(cap);
    if (cap > 0) {
      expect(underlayAddress(cidr, 0)).toBe(dotted(parseIpv4('10.0.0.0') + 1));
      expect(underlayAddress(cidr, cap - 1)).toBe(dotted(parseIpv4('10.0.0.0') + size - 2));
    }
    expect(() => underlayAddress(cidr, cap)).toThrow(IpamRangeError);
    if (size <= 1024) {
      const seen = new Set<string>();
      for (let slot = 0; slot < cap; slot++) seen.add(underlayAddress(parseCidr(cidr), slot));
      expect(seen.size).toBe(cap);
      expect(seen.has('10.0.0.0')).toBe(false);
      expect(seen.has(dotted(parseIpv4('10.0.0.0') + size - 1))).toBe(false);
    }
  });

  it.each([-1, 0.5, Number.NaN])('slot %p throws', (slot) => {
    expect(() => underlayAddress('100.64.0.0/24', slot)).toThrow(IpamRangeError);
  });

  it('/31 and /32 underlays hold no node', () => {
    expect(() => underlayAddress('100.64.0.0/31', 0)).toThrow(/outside the 0 underlay addresses/);
    expect(() => underlayAddress('100.64.0.0/32', 0)).toThrow(IpamRangeError);
  });
});
