import { diffSpecs, sameSpec } from '../../src/model/diff';
import { parseSpec, type ScenarioInput } from '../../src/model/spec';

const base = (): ScenarioInput => ({
  name: 'd',
  plugin: { address: '127.0.0.1:50051' },
  vpcs: [
    { id: 'a', vni: 10, cidr: '10.1.0.0/16', subnets: [{ id: 'a1', cidr: '10.1.1.0/24' }] },
    { id: 'b', vni: 20, cidr: '10.2.0.0/16', subnets: [{ id: 'b1', cidr: '10.2.1.0/24' }] },
  ],
  nodes: ['n1', 'n2'],
});
const diff = (change: (s: ScenarioInput) => void) => {
  const after = base();
  change(after);
  return diffSpecs(parseSpec(base()), parseSpec(after));
};
const ids = <T extends { id?: string; name?: string }>(list: T[]) => list.map((x) => x.id ?? x.name);

describe('diffSpecs', () => {
  test('an identical spec changes nothing', () => {
    const d = diff(() => undefined);
    expect([d.vpcs, d.subnets, d.nodes].map((o) => [o.create, o.update, o.delete].flat().length)).toEqual([0, 0, 0]);
    expect(d.layoutChanged).toBe(false);
    expect(d.refused).toEqual([]);
  });
  test('a changed subnet field is an update and keeps the layout', () => {
    const d = diff((s) => (s.vpcs[1]!.subnets[0]!.optional = { owner: 'x' }));
    expect(ids(d.subnets.update)).toEqual(['b1']);
    expect(d.subnets.update[0]!.vpc).toBe('b');
    expect(d.layoutChanged).toBe(false);
  });
  test('VPC and node field changes are updates', () => {
    const d = diff((s) => {
      s.vpcs[0]!.optional = { k: 'v' };
      s.nodes = [{ name: 'n1', ip: '10.200.0.1' }, 'n2'];
    });
    expect(ids(d.vpcs.update)).toEqual(['a']);
    expect(ids(d.nodes.update)).toEqual(['n1']);
  });
  test('added and removed nodes are creates and deletes, without a layout change', () => {
    const d = diff((s) => (s.nodes = ['n2', 'n3']));
    expect(ids(d.nodes.create)).toEqual(['n3']);
    expect(ids(d.nodes.delete)).toEqual(['n1']);
    expect(d.layoutChanged).toBe(false);
  });
  test('added or removed subnets and VPCs change the layout', () => {
    const added = diff((s) => s.vpcs[0]!.subnets.push({ id: 'a2', cidr: '10.1.2.0/24' }));
    expect(ids(added.subnets.create)).toEqual(['a2']);
    expect(added.layoutChanged).toBe(true);
    const removed = diff((s) => s.vpcs.pop());
    expect(ids(removed.vpcs.delete)).toEqual(['b']);
    expect(ids(removed.subnets.delete)).toEqual(['b1']);
    expect(removed.layoutChanged).toBe(true);
  });
  test('a subnet CIDR change is an update and a layout change', () => {
    const d = diff((s) => (s.vpcs[0]!.subnets[0]!.cidr = '10.1.0.0/24'));
    expect(ids(d.subnets.update)).toEqual(['a1']);
    expect(d.layoutChanged).toBe(true);
  });
  test('name, plugin address, dataplane, agent pool and underlay of a live scenario are refused with the field', () => {
    const d = diff((s) => {
      s.name = 'other';
      s.plugin = { address: '127.0.0.1:50052' };
      s.dataplane = 'none';
      s.agentPool = true;
      s.underlay = { cidr: '100.65.0.0/16' };
    });
    expect(d.refused.map((r) => r.split(':')[0])).toEqual(['name', 'plugin.address', 'dataplane', 'agentPool', 'underlay.cidr']);
  });
});

describe('changes a live scenario cannot follow in place (SpecDiff.unsafe)', () => {
  test('none for a spec without such changes, nor for a VPC CIDR change that keeps its subnets inside', () => {
    expect(diff(() => undefined).unsafe).toEqual([]);
    expect(diff((s) => (s.vpcs[0]!.cidr = '10.0.0.0/15')).unsafe).toEqual([]);
    expect(diff((s) => s.vpcs[0]!.subnets.push({ id: 'a2', cidr: '10.1.2.0/24', vni: 77 })).unsafe).toEqual([]);
  });
  test("a VPC's VNI while it keeps subnets, with the field, both values and the way out", () => {
    expect(diff((s) => (s.vpcs[1]!.vni = 21)).unsafe).toEqual([
      'vpcs[1].vni: VPC "b" cannot change its VNI (20 → 21) while it keeps subnets (b1) whose VMs use it; give the VPC a new id to replace it, or tear the scenario down',
    ]);
    // All its subnets replaced: they are deleted before the VPC's Update, so the VNI may change.
    expect(
      diff((s) => {
        s.vpcs[1]!.vni = 21;
        s.vpcs[1]!.subnets = [{ id: 'b9', cidr: '10.2.9.0/24' }];
      }).unsafe,
    ).toEqual([]);
  });
  test("a subnet's own VNI, whether it was explicit or the VPC's", () => {
    expect(diff((s) => (s.vpcs[0]!.subnets[0]!.vni = 11)).unsafe).toEqual([
      'vpcs[0].subnets[0].vni: subnet "a1" cannot change its VNI (10 → 11) while its VMs use it; give the subnet a new id to replace it',
    ]);
    // Naming the VNI it already had (the VPC's) is no change.
    expect(diff((s) => (s.vpcs[0]!.subnets[0]!.vni = 10)).unsafe).toEqual([]);
  });
  test('a subnet moving to another VPC', () => {
    const d = diff((s) => {
      s.vpcs[1]!.subnets.push({ id: 'a1', cidr: '10.2.7.0/24' });
      s.vpcs[0]!.subnets = [{ id: 'a3', cidr: '10.1.3.0/24' }];
    });
    expect(d.unsafe).toEqual(['vpcs[1].subnets[1]: subnet "a1" cannot move from VPC "a" to "b"; give it a new id to replace it']);
  });
});

describe('sameSpec', () => {
  test('equal after defaults, whatever the order fields were written in', () => {
    const reordered: ScenarioInput = JSON.parse(JSON.stringify(base()));
    const flipped = Object.fromEntries(Object.entries(reordered).reverse()) as ScenarioInput;
    expect(sameSpec(parseSpec(base()), parseSpec(flipped))).toBe(true);
    // A default written out is the same spec.
    expect(sameSpec(parseSpec(base()), parseSpec({ ...base(), dataplane: 'reference' }))).toBe(true);
  });
  test('different for any change, list order included', () => {
    expect(sameSpec(parseSpec(base()), parseSpec({ ...base(), vmsPerNode: 3 }))).toBe(false);
    expect(sameSpec(parseSpec(base()), parseSpec({ ...base(), nodes: ['n2', 'n1'] }))).toBe(false);
    const opt = base();
    opt.vpcs[0]!.optional = { owner: 'x' };
    expect(sameSpec(parseSpec(base()), parseSpec(opt))).toBe(false);
  });
});
