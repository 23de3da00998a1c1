import { DEFAULT_UNDERLAY_MTU, endpointMtu, MAX_MTU, MIN_ENDPOINT_MTU, MIN_UNDERLAY_MTU, VXLAN_IPV4_OVERHEAD } from '../../src/model/limits';
import { parseSpec, SpecError } from '../../src/model/spec';

const base = {
  name: 'demo',
  plugin: { address: '127.0.0.1:50051' },
  vpcs: [{ id: 'vpc-1', vni: 100, cidr: '10.0.0.0/16', subnets: [{ id: 'sn-1', cidr: '10.0.1.0/24' }] }],
  nodes: 2,
};

/** The issues parseSpec reports for a document, as path → rule. */
function issuesOf(doc: object): Array<{ path: string; value: unknown; rule: string }> {
  try {
    parseSpec(doc);
    return [];
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    return err.issues.map((i) => ({ path: i.path, value: i.value, rule: i.rule }));
  }
}

describe('endpoint MTU', () => {
  test('the underlay MTU minus the encapsulation, or the scenario\'s own', () => {
    expect(VXLAN_IPV4_OVERHEAD).toBe(14 + 20 + 8 + 8);
    expect(endpointMtu(1500, VXLAN_IPV4_OVERHEAD)).toBe(1450);
    expect(endpointMtu(9000, VXLAN_IPV4_OVERHEAD)).toBe(8950);
    expect(endpointMtu(1500, 0)).toBe(1500);
    expect(endpointMtu(1500, VXLAN_IPV4_OVERHEAD, 1400)).toBe(1400);
    // Taken as given, above the derived one too: a misconfigured cloud is something to emulate.
    expect(endpointMtu(1500, VXLAN_IPV4_OVERHEAD, 1500)).toBe(1500);
    for (let u = MIN_UNDERLAY_MTU; u <= MAX_MTU; u += 97) expect(endpointMtu(u, VXLAN_IPV4_OVERHEAD)).toBe(u - 50);
  });

  test('an underlay too small for the encapsulation is refused, naming both numbers', () => {
    expect(() => endpointMtu(600, 50)).toThrow(/underlay MTU 600 minus the encapsulation's 50 bytes is 550, below the 576/);
    expect(endpointMtu(MIN_ENDPOINT_MTU + 50, 50)).toBe(MIN_ENDPOINT_MTU);
  });

  test('spec: underlay.mtu defaults to 1500, mtu is optional; both bounded, whole numbers', () => {
    const spec = parseSpec(base);
    expect(spec.underlay.mtu).toBe(DEFAULT_UNDERLAY_MTU);
    expect(spec.mtu).toBeUndefined();
    expect(parseSpec({ ...base, underlay: { mtu: 9000 }, mtu: 8950 })).toMatchObject({ underlay: { cidr: '100.64.0.0/16', mtu: 9000 }, mtu: 8950 });
    expect(parseSpec({ ...base, underlay: { mtu: MIN_UNDERLAY_MTU }, mtu: MIN_ENDPOINT_MTU })).toMatchObject({ underlay: { mtu: 1280 }, mtu: 576 });
    const bad: Array<[object, string, unknown, RegExp]> = [
      [{ underlay: { mtu: 1279 } }, 'underlay.mtu', 1279, /between 1280 and 9216/],
      [{ underlay: { mtu: 9217 } }, 'underlay.mtu', 9217, /between 1280 and 9216/],
      [{ underlay: { mtu: 1500.5 } }, 'underlay.mtu', 1500.5, /whole number/],
      [{ underlay: { mtu: '1500' } }, 'underlay.mtu', '1500', /./],
      [{ mtu: 575 }, 'mtu', 575, /between 576 and 9216/],
      [{ mtu: 9217 }, 'mtu', 9217, /between 576 and 9216/],
      [{ mtu: -1 }, 'mtu', -1, /between 576 and 9216/],
    ];
    for (const [extra, path, value, rule] of bad) {
      const issues = issuesOf({ ...base, ...extra });
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ path, value });
      expect(issues[0]!.rule).toMatch(rule);
    }
  });
});
