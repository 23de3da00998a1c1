import { underlayAddress } from '../../src/dataplane/underlay';
import { InvalidInputError } from '../../src/dataplane/errors';

describe('underlayAddress: the slot address, or the one the scenario gives', () => {
  it.each([
    [0, '100.64.0.1'],
    [1, '100.64.0.2'],
    [254, '100.64.0.255'],
    [255, '100.64.1.0'],
  ])('slot %p is %s', (slot, address) => {
    expect(underlayAddress('100.64.0.0/16', slot)).toEqual({ address, prefix: 16 });
  });

  it.each(['100.64.0.77', '100.64.255.254', '100.64.0.1', '100.64.128.0'])('a given %s inside the underlay wins over the slot', (ip) => {
    expect(underlayAddress('100.64.0.0/16', 3, ip)).toEqual({ address: ip, prefix: 16 });
  });

  it.each([
    ['10.0.0.1', /outside the underlay 100\.64\.0\.0\/16/],
    ['100.65.0.1', /outside the underlay/],
    ['100.63.255.255', /outside the underlay/],
    ['100.64.0.0', /network or broadcast/],
    ['100.64.255.255', /network or broadcast/],
    ['100.64.0.300', /octet 300 is above 255/],
    ['100.64.0', /4 dot-separated octets/],
  ])('refuses the given %s', (ip, rule) => {
    let err: unknown;
    try {
      underlayAddress('100.64.0.0/16', 0, ip);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).message).toMatch(rule);
    expect((err as InvalidInputError).message).toContain('underlayIp');
  });

  it('takes both ends of a /31 (no network or broadcast address there)', () => {
    expect(underlayAddress('100.64.0.0/31', 0, '100.64.0.0').address).toBe('100.64.0.0');
    expect(underlayAddress('100.64.0.0/31', 0, '100.64.0.1').address).toBe('100.64.0.1');
  });
});
