import {
  cidrAddressAt,
  cidrContains,
  cidrContainsAddress,
  cidrFrom,
  cidrLast,
  cidrsOverlap,
  cidrSize,
  formatCidr,
  formatIpv4,
  Ipv4FormatError,
  isIpv4,
  parseCidr,
  parseIpv4,
  prefixMask,
} from '../../src/model/ipv4';

describe('parseIpv4 / formatIpv4', () => {
  it.each([
    ['0.0.0.0', 0],
    ['0.0.0.1', 1],
    ['10.0.0.1', 0x0a000001],
    ['127.0.0.1', 0x7f000001],
    ['192.168.1.255', 0xc0a801ff],
    ['128.0.0.0', 0x80000000],
    ['255.255.255.255', 0xffffffff],
  ])('%s ⇄ %d', (text, value) => {
    expect(parseIpv4(text)).toBe(value);
    expect(formatIpv4(value)).toBe(text);
    expect(isIpv4(text)).toBe(true);
  });

  it.each([
    ['', '4 dot-separated octets'],
    ['1.2.3', '4 dot-separated octets'],
    ['1.2.3.4.5', '4 dot-separated octets'],
    ['1.2.3.256', 'above 255'],
    ['999.1.1.1', 'above 255'],
    ['01.2.3.4', 'leading zeros'],
    ['1.2.3.04', 'leading zeros'],
    ['1.2.3.', 'octet ""'],
    ['1..3.4', 'octet ""'],
    [' 1.2.3.4', 'octet " 1"'],
    ['1.2.3.4 ', 'octet "4 "'],
    ['1.2.3.-4', 'octet "-4"'],
    ['1.2.3.+4', 'octet "+4"'],
    ['1.2.3.0x4', 'octet "0x4"'],
    ['a.b.c.d', 'octet "a"'],
    ['1.2.3.4/24', 'octet "4/24"'],
    ['1.2.3.1000', 'octet "1000"'],
    ['::1', '4 dot-separated octets'],
  ])('refuses %j (%s)', (text, rule) => {
    expect(() => parseIpv4(text)).toThrow(Ipv4FormatError);
    expect(() => parseIpv4(text)).toThrow(rule);
    expect(isIpv4(text)).toBe(false);
  });

  it('names the value and the rule', () => {
    try {
      parseIpv4('1.2.3.300');
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(Ipv4FormatError);
      expect((err as Ipv4FormatError).value).toBe('1.2.3.300');
      expect((err as Ipv4FormatError).rule).toBe('octet 300 is above 255');
    }
  });

  it.each([-1, 2 ** 32, 1.5, NaN, Infinity])('formatIpv4 refuses %d', (n) => {
    expect(() => formatIpv4(n)).toThrow(Ipv4FormatError);
  });

  it('round-trips a spread of addresses', () => {
    for (let i = 0; i < 1000; i += 1) {
      const n = (i * 4294967291) % 2 ** 32; // a prime stride spreads over the whole space
      expect(parseIpv4(formatIpv4(n))).toBe(n);
    }
  });
});

describe('prefixMask', () => {
  it.each([
    [0, '0.0.0.0'],
    [1, '128.0.0.0'],
    [8, '255.0.0.0'],
    [16, '255.255.0.0'],
    [23, '255.255.254.0'],
    [24, '255.255.255.0'],
    [31, '255.255.255.254'],
    [32, '255.255.255.255'],
  ])('/%d is %s', (prefix, mask) => {
    expect(formatIpv4(prefixMask(prefix))).toBe(mask);
  });
  it.each([-1, 33, 1.5])('refuses prefix %d', (prefix) => {
    expect(() => prefixMask(prefix)).toThrow('0..32');
  });
});

describe('parseCidr / cidrFrom / formatCidr', () => {
  it.each([
    ['0.0.0.0/0', 0, 0],
    ['10.0.0.0/8', 0x0a000000, 8],
    ['10.1.0.0/16', 0x0a010000, 16],
    ['192.168.1.128/25', 0xc0a80180, 25],
    ['10.0.0.1/32', 0x0a000001, 32],
    ['255.255.255.254/31', 0xfffffffe, 31],
  ])('%s', (text, network, prefix) => {
    expect(parseCidr(text)).toEqual({ network, prefix });
    expect(formatCidr(parseCidr(text))).toBe(text);
    expect(cidrFrom(formatIpv4(network), prefix)).toEqual({ network, prefix });
    expect(cidrFrom(network, prefix)).toEqual({ network, prefix });
  });

  it.each([
    ['10.0.0.0', 'address/prefix'],
    ['10.0.0.0/', 'prefix ""'],
    ['10.0.0.0/33', 'prefix "33"'],
    ['10.0.0.0/-1', 'prefix "-1"'],
    ['10.0.0.0/08', 'prefix "08"'],
    ['10.0.0.0/8/8', 'prefix "8/8"'],
    ['10.0.0.0/ 8', 'prefix " 8"'],
    ['10.0.0/8', '4 dot-separated octets'],
    ['10.0.0.256/24', 'above 255'],
    ['10.0.0.1/24', 'host bits must be zero (did you mean 10.0.0.0/24?)'],
    ['10.0.1.0/16', 'did you mean 10.0.0.0/16?'],
    ['1.0.0.0/0', 'did you mean 0.0.0.0/0?'],
    ['255.255.255.255/31', 'did you mean 255.255.255.254/31?'],
  ])('refuses %j (%s)', (text, rule) => {
    expect(() => parseCidr(text)).toThrow(Ipv4FormatError);
    expect(() => parseCidr(text)).toThrow(rule);
  });

  it('cidrFrom refuses bad prefixes and addresses', () => {
    expect(() => cidrFrom('10.0.0.0', 33)).toThrow('0..32');
    expect(() => cidrFrom('10.0.0.0', 8.5)).toThrow('0..32');
    expect(() => cidrFrom(-1, 8)).toThrow('0..4294967295');
    expect(() => cidrFrom('10.0.0.x', 8)).toThrow('octet "x"');
  });
});

describe('sizes and positions', () => {
  it('counts addresses', () => {
    expect(cidrSize(parseCidr('0.0.0.0/0'))).toBe(2 ** 32);
    expect(cidrSize(parseCidr('10.0.0.0/8'))).toBe(16777216);
    expect(cidrSize(parseCidr('10.0.0.0/24'))).toBe(256);
    expect(cidrSize(parseCidr('10.0.0.0/31'))).toBe(2);
    expect(cidrSize(parseCidr('10.0.0.7/32'))).toBe(1);
  });
  it('knows the last address', () => {
    expect(formatIpv4(cidrLast(parseCidr('10.0.0.0/24')))).toBe('10.0.0.255');
    expect(formatIpv4(cidrLast(parseCidr('0.0.0.0/0')))).toBe('255.255.255.255');
    expect(formatIpv4(cidrLast(parseCidr('192.168.0.0/23')))).toBe('192.168.1.255');
  });
  it('gives the index-th address and refuses outside indexes', () => {
    const c = parseCidr('10.0.1.0/30');
    expect([0, 1, 2, 3].map((i) => formatIpv4(cidrAddressAt(c, i)))).toEqual(['10.0.1.0', '10.0.1.1', '10.0.1.2', '10.0.1.3']);
    expect(() => cidrAddressAt(c, 4)).toThrow('index 4 is outside 10.0.1.0/30, which holds 4 addresses (0..3)');
    expect(() => cidrAddressAt(c, -1)).toThrow(RangeError);
    expect(() => cidrAddressAt(c, 1.5)).toThrow(RangeError);
  });
});

describe('containment and overlap', () => {
  const c = (text: string) => parseCidr(text);
  it.each([
    ['10.0.0.0/16', '10.0.0.0/16', true],
    ['10.0.0.0/16', '10.0.0.0/24', true],
    ['10.0.0.0/16', '10.0.255.0/24', true],
    ['10.0.0.0/16', '10.0.255.255/32', true],
    ['10.0.0.0/16', '10.1.0.0/24', false],
    ['10.0.0.0/16', '10.0.0.0/15', false],
    ['10.0.0.0/16', '9.255.255.255/32', false],
    ['0.0.0.0/0', '255.255.255.255/32', true],
    ['10.0.0.0/24', '0.0.0.0/0', false],
  ])('%s contains %s: %s', (outer, inner, expected) => {
    expect(cidrContains(c(outer), c(inner))).toBe(expected);
  });

  it.each([
    ['10.0.0.0/24', '10.0.0.0/24', true],
    ['10.0.0.0/24', '10.0.0.128/25', true],
    ['10.0.0.128/25', '10.0.0.0/24', true],
    ['10.0.0.0/24', '10.0.1.0/24', false],
    ['10.0.0.0/25', '10.0.0.128/25', false],
    ['10.0.0.0/23', '10.0.1.0/24', true],
    ['0.0.0.0/0', '192.168.0.0/16', true],
    ['10.0.0.255/32', '10.0.1.0/32', false],
    ['255.255.255.0/24', '255.255.255.255/32', true],
  ])('%s overlaps %s: %s (both ways)', (a, b, expected) => {
    expect(cidrsOverlap(c(a), c(b))).toBe(expected);
    expect(cidrsOverlap(c(b), c(a))).toBe(expected);
  });

  it('contains addresses at the edges only', () => {
    const block = c('172.16.0.0/12');
    expect(cidrContainsAddress(block, parseIpv4('172.16.0.0'))).toBe(true);
    expect(cidrContainsAddress(block, parseIpv4('172.31.255.255'))).toBe(true);
    expect(cidrContainsAddress(block, parseIpv4('172.15.255.255'))).toBe(false);
    expect(cidrContainsAddress(block, parseIpv4('172.32.0.0'))).toBe(false);
  });
});
