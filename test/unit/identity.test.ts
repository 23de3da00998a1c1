import { endpointMac, MAX_VM_INDEX, MAX_ENDPOINTS_PER_VM } from '../../src/model/mac';
import { identityUnderlay, namesUnderlay, numberedNodeMac, pluginNodeName, SCENARIO_NUMBERS, underlayBlock } from '../../src/model/identity';
import { findPluginConflicts, formatConflicts, type HeldObjects } from '../../src/model/plugin-conflicts';
import { parseSpec } from '../../src/model/spec';

describe('scenario identity', () => {
  test('each number has its own /16 of 100.64.0.0/10; number 0 is the old default', () => {
    expect(underlayBlock(0)).toBe('100.64.0.0/16');
    expect(underlayBlock(1)).toBe('100.65.0.0/16');
    expect(underlayBlock(SCENARIO_NUMBERS - 1)).toBe('100.127.0.0/16');
    expect(() => underlayBlock(SCENARIO_NUMBERS)).toThrow(RangeError);
    expect(() => underlayBlock(-1)).toThrow(RangeError);
  });

  test('a named underlay is kept; otherwise the number decides', () => {
    expect(namesUnderlay({ underlay: { cidr: '10.9.0.0/16' } })).toBe(true);
    expect(namesUnderlay({ underlay: {} })).toBe(false);
    expect(namesUnderlay({})).toBe(false);
    // A given node address pins the spec's underlay (the default one when none is named): the
    // other nodes must stay in its network.
    expect(namesUnderlay({ nodes: ['a', { name: 'b', ip: '100.64.0.9' }] })).toBe(true);
    expect(namesUnderlay({ nodes: ['a', { name: 'b', mac: '02:00:00:00:00:09' }] })).toBe(false);
    expect(identityUnderlay({ nodes: [{ name: 'b', ip: '100.64.0.9' }] }, '100.64.0.0/16', 5)).toBe('100.64.0.0/16');
    expect(identityUnderlay({ underlay: { cidr: '10.9.0.0/16' } }, '10.9.0.0/16', 5)).toBe('10.9.0.0/16');
    expect(identityUnderlay({}, '100.64.0.0/16', 5)).toBe('100.69.0.0/16');
  });

  test('node MACs are unique over every number and slot, unicast, locally administered, and never an endpoint MAC', () => {
    const seen = new Set<string>();
    for (let n = 0; n < SCENARIO_NUMBERS; n++) {
      for (const slot of [0, 1, 255, 256, 9_999, 0xffff]) {
        const mac = numberedNodeMac(n, slot);
        expect(mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
        const first = parseInt(mac.slice(0, 2), 16);
        expect(first & 1).toBe(0);
        expect(first & 2).toBe(2);
        expect(mac.endsWith(':ff:ff:ff')).toBe(true);
        seen.add(mac);
      }
    }
    expect(seen.size).toBe(SCENARIO_NUMBERS * 6);
    // The highest endpoint MAC of a node never reaches the node MAC's ff:ff:ff tail.
    expect(endpointMac('any', 3, MAX_VM_INDEX, MAX_ENDPOINTS_PER_VM - 1).endsWith(':ff:ff:ff')).toBe(false);
    expect(() => numberedNodeMac(0, 0x10000)).toThrow(RangeError);
  });

  test('plugin node names carry the scenario, so two scenarios may both have a node-a', () => {
    expect(pluginNodeName('demo', 'node-a')).toBe('node-a.demo');
    expect(pluginNodeName('demo', 'node-a')).not.toBe(pluginNodeName('other', 'node-a'));
  });
});

describe('conflicts with other scenarios at the plugin', () => {
  const spec = parseSpec({
    name: 'beta',
    plugin: { address: '127.0.0.1:50051' },
    vpcs: [
      { id: 'vpc-x', vni: 1001, cidr: '10.10.0.0/16', subnets: [{ id: 'x-1', cidr: '10.10.1.0/24' }] },
      { id: 'vpc-y', vni: 2002, cidr: '10.20.0.0/16', subnets: [{ id: 'y-1', cidr: '10.20.1.0/24', vni: 3003 }] },
    ],
    nodes: ['node-a', { name: 'node-b', ip: '192.168.7.7' }, { name: 'node-c', mac: '02:00:00:00:00:07' }],
  });
  const plan = (n: number) => ({ underlayCidr: underlayBlock(n), underlayGiven: false, mac: (slot: number) => numberedNodeMac(n, slot), slots: { 'node-a': 0, 'node-b': 1, 'node-c': 2 } });
  const empty: HeldObjects = { vpcs: [], subnets: [], nodes: [] };

  test('nothing held: no conflict', () => {
    expect(findPluginConflicts(spec, plan(0), empty)).toEqual([]);
  });

  test("what the user gave and another scenario holds is named with the field, the value and the owner", () => {
    const held: HeldObjects = {
      vpcs: [{ id: 'vpc-x', vni: 1, scenario: 'alpha' }, { id: 'vpc-z', vni: 3003, scenario: 'gamma' }],
      subnets: [{ id: 'y-1', vpc: 'vpc-q', vni: 2002, scenario: '' }],
      nodes: [
        { name: 'n1.alpha', ip: '192.168.7.7', mac: '02:99:00:00:00:01', scenario: 'alpha' },
        { name: 'n2.alpha', ip: '192.168.7.8', mac: '02:00:00:00:00:07', scenario: 'alpha' },
      ],
    };
    const found = findPluginConflicts(spec, plan(0), held);
    expect(found.map((c) => [c.path, c.value, c.holder, c.invented])).toEqual([
      ['vpcs[0].id', 'vpc-x', 'alpha', false],
      ['vpcs[1].vni', 2002, '', false],
      ['vpcs[1].subnets[0].id', 'y-1', '', false],
      ['vpcs[1].subnets[0].vni', 3003, 'gamma', false],
      ['nodes[1].ip', '192.168.7.7', 'alpha', false],
      ['nodes[2].mac', '02:00:00:00:00:07', 'alpha', false],
    ]);
    expect(formatConflicts(found.slice(0, 1))).toBe('vpcs[0].id: value "vpc-x" is already a VPC of scenario "alpha" at the network plugin');
  });

  test('derived node addresses and MACs held by another scenario are marked invented: another number avoids them', () => {
    const held: HeldObjects = { vpcs: [], subnets: [], nodes: [{ name: 'node-a.alpha', ip: '100.64.0.1', mac: numberedNodeMac(0, 0), scenario: 'alpha' }] };
    const found = findPluginConflicts(spec, plan(0), held);
    expect(found.map((c) => [c.path, c.invented])).toEqual([
      ['nodes[0]', true],
      ['nodes[0]', true],
    ]);
    expect(findPluginConflicts(spec, plan(1), held)).toEqual([]);
    // With an underlay the user named, the address is the user's choice: not invented.
    expect(findPluginConflicts(spec, { ...plan(0), underlayGiven: true }, held)[0]!.invented).toBe(false);
  });

  test("the scenario's own objects (a leftover of an earlier run) are no conflict", () => {
    const held: HeldObjects = { vpcs: [{ id: 'vpc-x', vni: 1001, scenario: 'beta' }], subnets: [], nodes: [{ name: 'node-a.beta', ip: '100.64.0.1', mac: numberedNodeMac(0, 0), scenario: 'beta' }] };
    expect(findPluginConflicts(spec, plan(0), held)).toEqual([]);
  });
});
