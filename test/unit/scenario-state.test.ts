/**
 * The scenario workflow's state without a server: slots, plugin objects, status, scale arithmetic,
 * reconcile bookkeeping, tests, apply and the continue-as-new carry-over.
 */
import { endpointPluginOf, scaleProblem, ScenarioState, type ScenarioCarryOver } from '../../src/model/scenario-state';
import { errorText } from '../../src/model/error-text';
import { AddressSpaceError } from '../../src/model/plan';
import { MAX_VMS_PER_NODE, parseSpec, type ScenarioInput } from '../../src/model/spec';
import type { TestResult } from '../../src/model/status';
import { parseCidr } from '../../src/model/ipv4';
import { nodeMac } from '../../src/model/mac';

function input(overrides: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    name: 'st',
    plugin: { address: '127.0.0.1:9999' },
    vpcs: [
      { id: 'blue', vni: 101, cidr: '10.1.0.0/16', subnets: [{ id: 'blue-1', cidr: '10.1.1.0/24' }] },
      { id: 'green', vni: 102, cidr: '10.2.0.0/16', subnets: [{ id: 'green-1', cidr: '10.2.1.0/24', vni: 202 }] },
    ],
    nodes: ['n1', 'n2', 'n3'],
    vmsPerNode: 2,
    ...overrides,
  };
}

function fresh(overrides: Partial<ScenarioInput> = {}): ScenarioState {
  const i = input(overrides);
  return new ScenarioState(ScenarioState.initial(i), parseSpec(i));
}

/** A state after stage 1 (every object recorded, provider VNIs kept) and a successful stage 2. */
function built(overrides: Partial<ScenarioInput> = {}): ScenarioState {
  const s = fresh(overrides);
  s.planBuild();
  for (const vpc of s.spec.vpcs) s.record({ kind: 'vpc', id: vpc.id }).vni = vpc.vni;
  for (const vpc of s.spec.vpcs) for (const sub of vpc.subnets) s.record({ kind: 'subnet', id: sub.id, vpc: vpc.id }).vni = sub.vni ?? vpc.vni;
  for (const n of s.spec.nodes) s.record({ kind: 'node', id: n.name });
  for (const n of s.startReconcile()) settle(s, n.name, s.wantOf(n));
  return s;
}

/** What one node's child run does to the state when it reaches `want` VMs. */
function settle(s: ScenarioState, node: string, want: number, remove = false): void {
  const { have } = s.beginNode(s.nodeOrRemoved(node), want);
  s.endNode(node, have, { vms: want, removed: remove });
  s.settleNode(node, true);
}

const ipInside = (ip: string, cidr: string) => {
  const c = parseCidr(cidr);
  const n = parseCidr(`${ip}/32`).network;
  return n >>> (32 - c.prefix) === c.network >>> (32 - c.prefix);
};

describe('scaleProblem', () => {
  const spec = parseSpec(input());
  test.each([-1, 1.5, Number.NaN, Infinity, MAX_VMS_PER_NODE + 1, '3', null, undefined])('refuses vmsPerNode %p with the field, the value and the rule', (v) => {
    const problem = scaleProblem(spec, { vmsPerNode: v as number });
    expect(problem).toBe(`vmsPerNode: value ${JSON.stringify(v)} must be a whole number between 0 and ${MAX_VMS_PER_NODE}`);
  });
  test('refuses a request that is not an object', () => {
    expect(scaleProblem(spec, undefined as never)).toContain('vmsPerNode: value undefined');
  });
  test.each([0, 1, MAX_VMS_PER_NODE])('accepts vmsPerNode %i for all nodes and for a node of the spec', (v) => {
    expect(scaleProblem(spec, { vmsPerNode: v })).toBeUndefined();
    expect(scaleProblem(spec, { vmsPerNode: v, node: 'n2' })).toBeUndefined();
  });
  test('refuses a node the spec does not have, naming (at most ten of) the nodes it has', () => {
    expect(scaleProblem(spec, { vmsPerNode: 1, node: 'nope' })).toBe('node: value "nope" is not a node of scenario st (nodes: n1, n2, n3)');
    const many = parseSpec(input({ nodes: 12 }));
    expect(scaleProblem(many, { vmsPerNode: 1, node: 'x' })).toMatch(/\(nodes: (node-\d+, ){9}node-10\)$/);
  });
});

describe('endpointPluginOf', () => {
  test('is the endpoint plugin when the spec names one, else the dataplane', () => {
    expect(endpointPluginOf(parseSpec(input()))).toBe('reference');
    expect(endpointPluginOf(parseSpec(input({ dataplane: 'none' })))).toBe('none');
    expect(endpointPluginOf(parseSpec(input({ endpointPlugin: 'my-plugin' })))).toBe('my-plugin');
  });
});

describe('errorText', () => {
  test('appends each cause once, at most five deep, and stringifies non-errors', () => {
    const root = new Error('quota exhausted');
    const mid = new Error('activity createSubnet failed', { cause: root });
    expect(errorText(new Error('child failed', { cause: mid }))).toBe('child failed: activity createSubnet failed: quota exhausted');
    expect(errorText(new Error('x: quota exhausted', { cause: root }))).toBe('x: quota exhausted');
    expect(errorText('plain')).toBe('plain');
    expect(errorText(undefined)).toBe('undefined');
    const cyclic = new Error('a');
    const b = new Error('b', { cause: cyclic });
    (cyclic as { cause?: unknown }).cause = b;
    expect(errorText(cyclic)).toBe('a: b');
    let deep: Error = new Error('e7');
    for (let i = 6; i >= 0; i--) deep = new Error(`e${i}`, { cause: deep });
    expect(errorText(deep)).toBe('e0: e1: e2: e3: e4: e5');
  });
});

describe('a fresh scenario', () => {
  test('starts building with nothing built, generation 0, every node pending at its spec count', () => {
    const s = fresh();
    expect(ScenarioState.initial(input())).toEqual({
      input: input(),
      built: [],
      generation: 0,
      cleanupErrors: [],
      slots: {},
      vms: {},
      desired: {},
      book: { blockSize: 1, next: [], nodes: {} },
      results: [],
      testsPending: null,
    });
    expect(s.name).toBe('st');
    expect(s.status()).toEqual({
      name: 'st',
      phase: 'building',
      built: [],
      nodes: ['n1', 'n2', 'n3'].map((name) => ({ name, desiredVms: 2, vms: 0, endpoints: 0, phase: 'pending' })),
      progress: { done: 0, total: 0, unit: 'VMs' },
      error: undefined,
      cleanupErrors: [],
      generation: 0,
    });
    // No desired count yet: every node is off until planBuild (or an apply) sets one.
    expect(s.needsReconcile()).toBe(true);
  });

  test('planBuild places VMs, gives slots in spec order and tries every reservation without keeping it', () => {
    const s = fresh({ placement: 'skew', vmsPerNode: 6 });
    s.planBuild();
    // Zipf weights 1, 1/2, 1/3 over 18 VMs, largest remainder.
    expect(s.desired).toEqual({ n1: 10, n2: 5, n3: 3 });
    expect(s.slots).toEqual({ n1: 0, n2: 1, n3: 2 });
    expect(s.book).toEqual({ blockSize: 5, next: [0, 0], nodes: {} });
    expect(s.needsReconcile()).toBe(true);
  });

  test('planBuild with placement assign takes each node its own count', () => {
    const s = fresh({ placement: 'assign', nodes: [{ name: 'a', vms: 4 }, { name: 'b', vms: 0 }] });
    s.planBuild();
    expect(s.desired).toEqual({ a: 4, b: 0 });
    expect(s.book.blockSize).toBe(2);
  });

  test('planBuild refuses, before anything is recorded, a plan the spec check lets through (whole blocks per node)', () => {
    // 2 nodes × 5 VMs over two /29 subnets (5 hosts each): 5 endpoints per subnet on average, but
    // blocks of 2 VMs give the first subnet 6.
    const tiny = { id: 'tiny', vni: 7, cidr: '10.9.0.0/16', subnets: [{ id: 'tiny-0', cidr: '10.9.0.0/29' }, { id: 'tiny-1', cidr: '10.9.1.0/29' }] };
    const s = fresh({ vpcs: [tiny], nodes: ['n1', 'n2'], vmsPerNode: 5 });
    expect(() => s.planBuild()).toThrow(AddressSpaceError);
    expect(() => s.planBuild()).toThrow('subnet tiny-0 (10.9.0.0/29) has no room for node n2: it needs 2 more addresses, 1 of 5 are left');
    expect(s.built).toEqual([]);
    expect(s.book.nodes).toEqual({});
  });
});

describe('slots', () => {
  test('a node keeps its slot; a new node takes the lowest free slot, so a removed node frees its slot', () => {
    const s = fresh();
    expect(['n1', 'n2', 'n3'].map((n) => s.slotOf(n))).toEqual([0, 1, 2]);
    expect(s.slotOf('n2')).toBe(1);
    s.forgetNodes(['n2']);
    expect(s.slotOf('n4')).toBe(1);
    expect(s.slotOf('n5')).toBe(3);
    s.forgetNodes(['n1', 'n3']);
    expect(s.slotOf('n6')).toBe(0);
    expect(s.slotOf('n7')).toBe(2);
    expect(s.slots).toEqual({ n4: 1, n5: 3, n6: 0, n7: 2 });
  });
});

describe('indexes kept as the state changes (no per-node scan per call)', () => {
  test('a forgotten object leaves built and its VNI lookup; recorded again, it is new and last', () => {
    const s = fresh();
    const vpc = s.record({ kind: 'vpc', id: 'blue' });
    vpc.vni = 5000;
    s.record({ kind: 'node', id: 'n1' });
    s.forget(vpc);
    expect(s.assignedVni('vpc', 'blue')).toBeUndefined();
    // Forgetting a look-alike (same kind and id, another object) does nothing.
    const node = s.record({ kind: 'node', id: 'n1' });
    s.forget({ kind: 'node', id: 'n1' });
    expect(s.isRegistered('n1')).toBe(true);
    const again = s.record({ kind: 'vpc', id: 'blue' });
    expect(again).not.toBe(vpc);
    expect(s.built).toEqual([node, again]);
    s.forget(node);
    expect(s.isRegistered('n1')).toBe(false);
    expect(s.status().built).toEqual([{ kind: 'vpc', id: 'blue' }]);
  });

  test('a resumed run finds the carried objects and slots: the lowest free slot is still the one given', () => {
    const s = built();
    s.forgetNodes(['n2']);
    const next = new ScenarioState(JSON.parse(JSON.stringify(s.carryOver())) as ScenarioCarryOver, s.spec);
    expect(next.assignedVni('vpc', 'blue')).toBe(101);
    expect(next.isRegistered('n3')).toBe(true);
    expect(next.slotOf('n9')).toBe(1);
    expect(next.slotOf('n10')).toBe(3);
  });

  test('needsReconcile follows every change of a count, a desired count and the spec', () => {
    const s = built();
    expect(s.needsReconcile()).toBe(false);
    s.applyScale({ vmsPerNode: 3, node: 'n2' });
    expect(s.needsReconcile()).toBe(true);
    settle(s, 'n2', 3);
    expect(s.needsReconcile()).toBe(false);
    s.applyScale({ vmsPerNode: 2, node: 'n2' });
    s.keepCurrentCounts();
    expect(s.needsReconcile()).toBe(false);
    // A node the new spec no longer has is not the reconcile's work, whatever its counts.
    const smaller = input({ nodes: ['n1', 'n3'] });
    s.adopt(parseSpec(smaller), smaller);
    expect(s.needsReconcile()).toBe(false);
    s.forgetNodes(['n2']);
    expect(s.needsReconcile()).toBe(false);
    const bigger = input({ nodes: ['n1', 'n3', 'n4'] });
    s.adopt(parseSpec(bigger), bigger);
    expect(s.needsReconcile()).toBe(true);
    s.placeDesired();
    expect(s.startReconcile().map((n) => n.name)).toEqual(['n4']);
    settle(s, 'n4', 2);
    expect(s.needsReconcile()).toBe(false);
  });

  test('a 10,000-node plan and build keep one reservation per node and the lowest slots in spec order', () => {
    const nodes = Array.from({ length: 10_000 }, (_, i) => `n${i}`);
    const big = input({ nodes, vmsPerNode: 3, vpcs: [{ id: 'v', vni: 7, cidr: '10.0.0.0/8', subnets: [{ id: 'v-1', cidr: '10.0.0.0/9' }, { id: 'v-2', cidr: '10.128.0.0/9' }] }] });
    const s = new ScenarioState(ScenarioState.initial(big), parseSpec(big));
    s.planBuild();
    for (const n of s.spec.nodes) s.record({ kind: 'node', id: n.name });
    for (const n of s.startReconcile()) settle(s, n.name, s.wantOf(n));
    expect(s.slotOf('n9999')).toBe(9999);
    expect(s.needsReconcile()).toBe(false);
    // Blocks of 1 VM alternate subnets per node slot: 3 VMs take 2 + 1 addresses, 15,000 in each subnet.
    expect(s.book.next).toEqual([15_000, 15_000]);
    expect(Object.keys(s.book.nodes)).toHaveLength(10_000);
    expect(s.status().nodes.every((n) => n.phase === 'ready')).toBe(true);
  });
});

describe('plugin objects', () => {
  test('record keeps one entry per kind and id and returns the one already there', () => {
    const s = fresh();
    const vpc = s.record({ kind: 'vpc', id: 'blue' });
    vpc.vni = 5000;
    expect(s.record({ kind: 'vpc', id: 'blue' })).toBe(vpc);
    s.record({ kind: 'subnet', id: 'blue', vpc: 'blue' });
    expect(s.built).toEqual([{ kind: 'vpc', id: 'blue', vni: 5000 }, { kind: 'subnet', id: 'blue', vpc: 'blue' }]);
    s.forget(vpc);
    s.forget(vpc);
    s.forget({ kind: 'node', id: 'never' });
    expect(s.built).toEqual([{ kind: 'subnet', id: 'blue', vpc: 'blue' }]);
  });

  test('VPC and subnet objects carry the CIDR split; a subnet follows the VNI the provider gave its VPC', () => {
    const s = fresh();
    expect(s.vpcObject(s.spec.vpcs[0]!)).toEqual({ id: 'blue', vni: 101, ip: '10.1.0.0', prefix: 16, optional: undefined });
    expect(s.subnetObject('blue', s.spec.vpcs[0]!.subnets[0]!)).toMatchObject({ id: 'blue-1', vpc: 'blue', vni: 101, ip: '10.1.1.0', prefix: 24 });
    s.record({ kind: 'vpc', id: 'blue' }).vni = 9001;
    expect(s.subnetObject('blue', s.spec.vpcs[0]!.subnets[0]!).vni).toBe(9001);
    // A subnet that names its own VNI keeps it.
    s.record({ kind: 'vpc', id: 'green' }).vni = 9002;
    expect(s.subnetObject('green', s.spec.vpcs[1]!.subnets[0]!).vni).toBe(202);
  });

  test('the plan subnets use the VNIs the provider assigned, else the asked ones', () => {
    const s = fresh();
    expect(s.subnets().map((p) => [p.id, p.vni])).toEqual([['blue-1', 101], ['green-1', 202]]);
    s.record({ kind: 'subnet', id: 'green-1', vpc: 'green' }).vni = 7777;
    s.record({ kind: 'vpc', id: 'blue' }).vni = 8888;
    expect(s.subnets().map((p) => [p.id, p.vni])).toEqual([['blue-1', 8888], ['green-1', 7777]]);
    expect(s.assignedVni('vpc', 'green')).toBeUndefined();
  });

  test('node objects get underlay addresses and MACs from their slots unless the spec gives them', () => {
    const s = fresh({ nodes: ['n1', { name: 'k', ip: '192.0.2.7', mac: '02:00:00:00:00:07', optional: { zone: 'a' } }] });
    expect(s.nodeObject(s.spec.nodes[0]!)).toEqual({ name: 'n1', ip: '100.64.0.1', mac: nodeMac('st', 0), optional: undefined });
    expect(s.nodeObject(s.spec.nodes[1]!)).toEqual({ name: 'k', ip: '192.0.2.7', mac: '02:00:00:00:00:07', optional: { zone: 'a' } });
    expect(s.slots).toEqual({ n1: 0, k: 1 });
  });

  test('peers are the other nodes the plugin holds, by underlay address', () => {
    const s = fresh();
    s.planBuild();
    expect(s.peersOf('n1')).toEqual([]);
    s.record({ kind: 'node', id: 'n1' });
    s.record({ kind: 'node', id: 'n3' });
    expect(s.peersOf('n1')).toEqual(['100.64.0.3']);
    expect(s.peersOf('n2')).toEqual(['100.64.0.1', '100.64.0.3']);
    expect(s.registeredNodes()).toEqual(new Set(['n1', 'n3']));
  });
});

describe('status', () => {
  test('a node is pending until the plugin holds it, reconciling while its count is off, ready when it matches', () => {
    const s = fresh({ endpointsPerVm: 2 });
    s.planBuild();
    s.record({ kind: 'node', id: 'n1' });
    s.record({ kind: 'node', id: 'n2' });
    settle(s, 'n1', 2);
    settle(s, 'n2', 1);
    expect(s.status().nodes).toEqual([
      { name: 'n1', desiredVms: 2, vms: 2, endpoints: 4, phase: 'ready' },
      { name: 'n2', desiredVms: 2, vms: 1, endpoints: 2, phase: 'reconciling' },
      { name: 'n3', desiredVms: 2, vms: 0, endpoints: 0, phase: 'pending' },
    ]);
  });

  test('is a copy: changing it does not change the state', () => {
    const s = built();
    const st = s.status();
    st.built.pop();
    st.cleanupErrors.push('x');
    st.progress.done = 99;
    expect(s.status().built).toHaveLength(7);
    expect(s.cleanupErrors).toEqual([]);
    expect(s.progress.done).toBe(6);
  });

  test('reports the failure, the phase, the generation and the cleanup errors', () => {
    const s = new ScenarioState({ ...ScenarioState.initial(input()), generation: 4, cleanupErrors: ['delete vpc blue: gone'] }, parseSpec(input()));
    const text = s.fail(new Error('child failed', { cause: new Error('node quota exhausted') }));
    expect(text).toBe('child failed: node quota exhausted');
    expect(s.status()).toMatchObject({ phase: 'failed', error: text, generation: 4, cleanupErrors: ['delete vpc blue: gone'] });
  });
});

describe('reconcile bookkeeping', () => {
  test('startReconcile lists the nodes whose count is off and resets progress to the VMs to make or delete', () => {
    const s = built();
    expect(s.startReconcile()).toEqual([]);
    expect(s.progress).toEqual({ done: 0, total: 0, unit: 'VMs' });
    s.applyScale({ vmsPerNode: 5, node: 'n1' });
    s.applyScale({ vmsPerNode: 0, node: 'n3' });
    expect(s.startReconcile().map((n) => n.name)).toEqual(['n1', 'n3']);
    expect(s.progress).toEqual({ done: 0, total: 5, unit: 'VMs' });
    settle(s, 'n1', 5);
    settle(s, 'n3', 0);
    expect(s.progress.done).toBe(5);
    expect(s.needsReconcile()).toBe(false);
    expect(s.vms).toEqual({ n1: 5, n2: 2, n3: 0 });
    expect(s.nodesWithVms().map((n) => n.name)).toEqual(['n1', 'n2']);
    expect(s.nodesWithState()).toEqual(['n1', 'n2', 'n3']);
  });

  test('beginNode reserves addresses only for a positive count and marks the node as having state before its child runs', () => {
    const s = fresh();
    s.planBuild();
    expect(s.beginNode(s.spec.nodes[1]!, 0)).toEqual({ slot: 1, have: 0 });
    expect(s.book.nodes).toEqual({});
    expect(s.vms).toEqual({ n2: 0 });
    expect(s.rangesOf('n2')).toEqual([[], []]);
    const { slot, have } = s.beginNode(s.spec.nodes[1]!, 3);
    expect([slot, have]).toEqual([1, 0]);
    expect(s.rangesOf('n2').flat().reduce((sum, [, count]) => sum + count, 0)).toBeGreaterThanOrEqual(3);
  });

  test('shrinking keeps a node its address ranges; removing the node drops its entry', () => {
    const s = built();
    const before = s.rangesOf('n2');
    settle(s, 'n2', 1);
    expect(s.rangesOf('n2')).toEqual(before);
    settle(s, 'n2', 0, true);
    expect(s.vms).toEqual({ n1: 2, n3: 2 });
    expect(s.nodeOrRemoved('gone')).toEqual({ name: 'gone', vms: 0, endpointsPerVm: 1, tests: [] });
    expect(s.nodeOrRemoved('n1')).toBe(s.spec.nodes[0]);
  });

  test('a subnet that cannot hold the VMs throws from beginNode, before the node is marked', () => {
    const s = fresh({ vpcs: [{ id: 'tiny', vni: 7, cidr: '10.9.0.0/16', subnets: [{ id: 'tiny-1', cidr: '10.9.0.0/28' }] }], vmsPerNode: 1 });
    s.planBuild();
    expect(() => s.beginNode(s.spec.nodes[0]!, 100)).toThrow(AddressSpaceError);
    expect(s.vms).toEqual({});
  });
});

describe('scale', () => {
  test('applyScale sets every node (or one) and reports only the nodes whose count changed', () => {
    const s = built();
    expect(s.applyScale({ vmsPerNode: 2 })).toEqual({ nodes: [], vmsPerNode: 2 });
    expect(s.applyScale({ vmsPerNode: 3, node: 'n2' })).toEqual({ nodes: ['n2'], vmsPerNode: 3 });
    expect(s.applyScale({ vmsPerNode: 3 })).toEqual({ nodes: ['n1', 'n3'], vmsPerNode: 3 });
    expect(s.desired).toEqual({ n1: 3, n2: 3, n3: 3 });
    expect(s.status().nodes.map((n) => [n.desiredVms, n.phase])).toEqual([[3, 'reconciling'], [3, 'reconciling'], [3, 'reconciling']]);
    expect(s.hasWork()).toBe(true);
  });

  test('a refused signal is listed in cleanupErrors and changes nothing', () => {
    const s = built();
    expect(s.scaleBySignal({ vmsPerNode: -1 })).toContain('vmsPerNode: value -1');
    expect(s.scaleBySignal({ vmsPerNode: 1, node: 'nope' })).toContain('node: value "nope"');
    expect(s.cleanupErrors).toEqual([expect.stringMatching(/^scale refused: vmsPerNode: value -1/), expect.stringMatching(/^scale refused: node: value "nope"/)]);
    expect(s.desired).toEqual({ n1: 2, n2: 2, n3: 2 });
    expect(s.scaleBySignal({ vmsPerNode: 4, node: 'n1' })).toBeUndefined();
    expect(s.desired.n1).toBe(4);
  });

  test('the update validator throws the refusal, or an AddressSpaceError when a subnet would overflow, and never changes the state', () => {
    const s = built({ vpcs: [{ id: 'v', vni: 7, cidr: '10.9.0.0/16', subnets: [{ id: 'v-1', cidr: '10.9.0.0/26' }] }] });
    const book = JSON.stringify(s.book);
    expect(() => s.checkScale({ vmsPerNode: 1.5 })).toThrow(new Error(scaleProblem(s.spec, { vmsPerNode: 1.5 })));
    expect(() => s.checkScale({ vmsPerNode: 1, node: 'x' })).toThrow(/node: value "x"/);
    expect(() => s.checkScale({ vmsPerNode: 40 })).toThrow(AddressSpaceError);
    // One node alone fits where all three would not.
    expect(() => s.checkScale({ vmsPerNode: 40, node: 'n1' })).not.toThrow();
    expect(() => s.checkScale({ vmsPerNode: 0 })).not.toThrow();
    expect(JSON.stringify(s.book)).toBe(book);
    expect(s.desired).toEqual({ n1: 2, n2: 2, n3: 2 });
  });

  test('an update is answered once its nodes have their VMs, or once teardown is asked', () => {
    const s = built();
    const result = s.applyScale({ vmsPerNode: 3, node: 'n1' });
    expect(s.scaleFinished(result)).toBe(false);
    settle(s, 'n1', 3);
    expect(s.scaleFinished(result)).toBe(true);
    const other = s.applyScale({ vmsPerNode: 1 });
    expect(s.scaleFinished(other)).toBe(false);
    s.teardownRequested = true;
    expect(s.scaleFinished(other)).toBe(true);
  });
});

describe('messages the main loop takes', () => {
  test('test requests: the kinds asked for, else the spec kinds; taken once', () => {
    const s = built({ tests: ['icmp', 'tcp'] });
    expect(s.takeTests()).toBeNull();
    s.requestTests();
    expect(s.hasWork()).toBe(true);
    expect(s.takeTests()).toEqual(['icmp', 'tcp']);
    expect(s.takeTests()).toBeNull();
    s.requestTests({ kinds: ['udp'] });
    expect(s.takeTests()).toEqual(['udp']);
    s.requestTests({ kinds: [] });
    expect(s.takeTests()).toEqual(['icmp', 'tcp']);
    expect(s.hasWork()).toBe(false);
  });

  test('an applied spec is taken once; teardown is work', () => {
    const s = built();
    expect(s.requestApply(input({ vmsPerNode: 1 }))).toBe(1);
    expect(s.hasWork()).toBe(true);
    expect(s.latestInput()).toEqual(input({ vmsPerNode: 1 }));
    expect(s.takeApply()).toEqual({ input: input({ vmsPerNode: 1 }), seq: 1 });
    expect(s.latestInput()).toBe(s.input);
    expect(s.takeApply()).toBeUndefined();
    expect(s.hasWork()).toBe(false);
    s.teardownRequested = true;
    expect(s.hasWork()).toBe(true);
  });
});

describe('tests', () => {
  test('pairs come from nodes with VMs, with addresses from the book; results are kept sorted', () => {
    const s = built({ tests: { kinds: ['icmp'], pairs: 'ring', negative: true } });
    settle(s, 'n3', 0);
    const { nodes, selection } = s.testPlan();
    expect(nodes).toEqual([
      { name: 'n1', vms: 2, endpointsPerVm: 1, kinds: ['icmp'] },
      { name: 'n2', vms: 2, endpointsPerVm: 1, kinds: ['icmp'] },
    ]);
    expect(selection.positive).toBeGreaterThan(0);
    expect(selection.negative).toBeGreaterThan(0);
    const cidrOf = Object.fromEntries(s.subnets().map((p) => [p.id, p.cidr]));
    for (const { node, pairs } of selection.byNode) {
      expect(['n1', 'n2']).toContain(node);
      for (const p of pairs) {
        expect(p.source.node).toBe(node);
        // Every address is one the book reserved in one of the scenario's subnets.
        for (const e of [p.source, p.destination]) expect(Object.values(cidrOf).filter((cidr) => ipInside(e.ip, cidr))).toHaveLength(1);
      }
    }
    const r = (kind: TestResult['kind'], source: string, destination: string): TestResult => ({ kind, source, destination, negative: false, pass: true });
    s.setResults([r('tcp', 'a', 'b'), r('icmp', 'b', 'a'), r('icmp', 'a', 'c'), r('icmp', 'a', 'b')]);
    expect(s.results.map((x) => `${x.kind} ${x.source}>${x.destination}`)).toEqual(['icmp a>b', 'icmp a>c', 'icmp b>a', 'tcp a>b']);
  });
});

describe('apply', () => {
  test('a spec that does not parse, or changes what a live scenario cannot, is refused into cleanupErrors', () => {
    const s = built();
    expect(s.planApply({ ...input(), vmsPerNode: -3 })).toBeUndefined();
    expect(s.planApply(input({ dataplane: 'none' }))).toBeUndefined();
    expect(s.cleanupErrors).toEqual([expect.stringMatching(/^apply refused: invalid scenario spec:\s+- vmsPerNode: value -3/), expect.stringMatching(/^apply refused: dataplane: /)]);
    expect(s.spec.dataplane).toBe('reference');
  });

  test('an accepted apply: nodes forgotten free their slots and ranges, the new spec is adopted and placed', () => {
    const s = built();
    const next = input({ nodes: ['n1', 'n3', 'n4'], vmsPerNode: 1 });
    const plan = s.planApply(next)!;
    expect(plan.diff.nodes.delete.map((n) => n.name)).toEqual(['n2']);
    expect(plan.diff.nodes.create.map((n) => n.name)).toEqual(['n4']);
    expect(plan.diff.layoutChanged).toBe(false);
    s.forgetNodes(['n2']);
    expect(Object.keys(s.book.nodes).sort()).toEqual(['n1', 'n3']);
    expect(s.desired).toEqual({ n1: 2, n3: 2 });
    s.adopt(plan.next, next);
    expect(s.input).toBe(next);
    expect(s.slotOf('n4')).toBe(1);
    s.placeDesired();
    expect(s.desired).toEqual({ n1: 1, n3: 1, n4: 1 });
    expect(s.startReconcile().map((n) => n.name)).toEqual(['n1', 'n3', 'n4']);
  });

  test('a new subnet layout gets a new, empty address book sized for the new spec', () => {
    const s = built();
    const next = input({ vpcs: [{ id: 'blue', vni: 101, cidr: '10.1.0.0/16', subnets: [{ id: 'blue-1', cidr: '10.1.1.0/24' }, { id: 'blue-2', cidr: '10.1.2.0/24' }] }], vmsPerNode: 8 });
    const plan = s.planApply(next)!;
    expect(plan.diff.layoutChanged).toBe(true);
    s.adopt(plan.next, next);
    s.resetAddressBook();
    expect(s.book).toEqual({ blockSize: 4, next: [0, 0], nodes: {} });
  });
});

describe('apply checked whole (the apply update and every apply since merak-apply-update)', () => {
  const snapshot = (s: ScenarioState) => JSON.stringify([s.spec, s.input, s.book, s.slots, s.desired, s.vms, s.cleanupErrors, s.built]);

  test('refuses, changing nothing: a spec that does not parse, a change a live scenario cannot make, one the dataplane cannot follow', () => {
    const s = built();
    const before = snapshot(s);
    expect(() => s.checkApply({ ...input(), vmsPerNode: -3 })).toThrow(/vmsPerNode: value -3/);
    expect(() => s.checkApply(input({ underlay: { cidr: '100.65.0.0/16' } }))).toThrow(/^the change cannot be applied to the running scenario: underlay.cidr: /);
    const vni = input();
    vni.vpcs[1]!.vni = 303;
    expect(() => s.checkApply(vni)).toThrow('vpcs[1].vni: VPC "green" cannot change its VNI (102 → 303)');
    expect(snapshot(s)).toBe(before);
  });

  test('refuses VMs a subnet cannot hold, counting the addresses removed nodes held (never given again)', () => {
    const blue = (cidr: string) => [{ id: 'blue', vni: 101, cidr: '10.1.0.0/16', subnets: [{ id: 'blue-1', cidr }] }];
    const s = built({ vpcs: blue('10.1.1.0/26'), vmsPerNode: 20 });
    const before = snapshot(s);
    // A /26 has 61 host addresses; 3 nodes × 20 VMs use 60 of them.
    expect(s.checkApply(input({ vpcs: blue('10.1.1.0/26'), nodes: ['n1', 'n2', 'n3'], vmsPerNode: 20 })).diff.nodes.create).toEqual([]);
    // n4 in n2's place is 60 endpoints again, which the spec alone allows; but n2's 20 addresses are not given again.
    const swapped = input({ vpcs: blue('10.1.1.0/26'), nodes: ['n1', 'n3', 'n4'], vmsPerNode: 20 });
    expect(() => s.checkApply(swapped)).toThrow(AddressSpaceError);
    expect(() => s.checkApply(swapped)).toThrow(/subnet blue-1 \(10.1.1.0\/26\) has no room for node n4: it needs 20 more addresses, 1 of 61 are left/);
    expect(snapshot(s)).toBe(before);
  });

  test('a new subnet layout is planned on a new address book (its VMs are rebuilt)', () => {
    const blue = (subnets: { id: string; cidr: string }[]) => [{ id: 'blue', vni: 101, cidr: '10.1.0.0/16', subnets }];
    const s = built({ vpcs: blue([{ id: 'blue-1', cidr: '10.1.1.0/24' }]), vmsPerNode: 64 });
    // 3 × 64 VMs (blocks of 64) hold 192 of blue-1's 253 addresses: 16 more per node no longer fit there…
    expect(() => s.checkApply(input({ vpcs: blue([{ id: 'blue-1', cidr: '10.1.1.0/24' }]), vmsPerNode: 80 }))).toThrow(/subnet blue-1 \(10.1.1.0\/24\) has no room/);
    // …but with a second subnet every VM is rebuilt on a new book, and 128 per node fit.
    const grown = input({ vpcs: blue([{ id: 'blue-1', cidr: '10.1.1.0/24' }, { id: 'blue-2', cidr: '10.1.2.0/24' }]), vmsPerNode: 128 });
    expect(s.checkApply(grown).diff.layoutChanged).toBe(true);
  });

  test('applies are numbered; one replaced while waiting is answered with the later one, once the scenario rests', () => {
    const s = built({ tests: ['icmp'] });
    s.phase = 'ready';
    const first = s.requestApply(input({ vmsPerNode: 1 }));
    const second = s.requestApply(input({ vmsPerNode: 3 }));
    expect(s.takeApply()).toEqual({ input: input({ vmsPerNode: 3 }), seq: second });
    s.phase = 'applying';
    const plan = s.checkApply(input({ vmsPerNode: 3 }));
    s.finishApply(second, { result: s.applyResult(plan.diff) });
    // Not answered before the scenario is ready again, with the tests the apply asked for run.
    expect(s.applyAnswer(second)).toBeUndefined();
    s.requestTests();
    s.phase = 'ready';
    expect(s.applyAnswer(second)).toBeUndefined();
    s.takeTests();
    const answer = s.applyAnswer(second)!;
    expect(answer.result).toEqual({ vpcs: { created: 0, updated: 0, deleted: 0 }, subnets: { created: 0, updated: 0, deleted: 0 }, nodes: { created: 0, updated: 0, deleted: 0 }, vmsRebuilt: false, nodeCount: 3, vms: 6 });
    expect(s.applyAnswer(first)).toEqual({ result: { ...answer.result, supersededBy: second } });
    s.finishApply(3, { error: 'apply refused, nothing changed: because' });
    expect(s.applyAnswer(3)).toEqual({ error: 'apply refused, nothing changed: because' });
  });

  test('after a failure half-way the VMs each node has become its desired count', () => {
    const s = built();
    s.applyScale({ vmsPerNode: 5 });
    settle(s, 'n1', 5);
    expect(s.needsReconcile()).toBe(true);
    s.keepCurrentCounts();
    expect(s.desired).toEqual({ n1: 5, n2: 2, n3: 2 });
    expect(s.needsReconcile()).toBe(false);
  });
});

describe('running nodes and their pollers', () => {
  test('a node is running from beginNode until settled; its queue is checked, and a node with no poller is flagged until it ends well', () => {
    const s = built();
    s.applyScale({ vmsPerNode: 4 });
    s.beginNode(s.nodeOrRemoved('n1'), 4);
    s.beginNode(s.nodeOrRemoved('n2'), 4);
    expect(s.queuesToCheck()).toEqual(['merak-agent-n1', 'merak-agent-n2']);
    s.setIdleQueues(['merak-agent-n2'], '2026-01-01T00:00:15.000Z');
    const st = s.status();
    expect(st.pollersCheckedAt).toBe('2026-01-01T00:00:15.000Z');
    expect(st.nodes.map((n) => [n.name, n.running, n.noPoller])).toEqual([
      ['n1', true, undefined],
      ['n2', true, 'merak-agent-n2'],
      ['n3', undefined, undefined],
    ]);
    // A node that failed keeps its flag (it is most likely why); one that ended well loses it.
    s.settleNode('n2', false);
    s.setIdleQueues([], '2026-01-01T00:00:45.000Z');
    expect(s.status().nodes[1]!.noPoller).toBe('merak-agent-n2');
    s.beginNode(s.nodeOrRemoved('n2'), 4);
    s.setIdleQueues([], '2026-01-01T00:01:15.000Z');
    expect(s.status().nodes[1]!.noPoller).toBeUndefined();
    s.settleNode('n1', true);
    s.settleNode('n2', true);
    expect(s.queuesToCheck()).toEqual([]);
    expect(s.status().nodes.every((n) => n.running === undefined && n.noPoller === undefined)).toBe(true);
  });

  test('with agentPool every node shares one queue, checked once', () => {
    const s = built({ dataplane: 'none', agentPool: true });
    s.applyScale({ vmsPerNode: 4 });
    for (const n of ['n1', 'n2', 'n3']) s.beginNode(s.nodeOrRemoved(n), 4);
    expect(s.queuesToCheck()).toEqual(['merak-agent-pool']);
    s.setIdleQueues(['merak-agent-pool'], '2026-01-01T00:00:15.000Z');
    expect(s.status().nodes.map((n) => n.noPoller)).toEqual(['merak-agent-pool', 'merak-agent-pool', 'merak-agent-pool']);
  });
});

describe('continue-as-new carry-over', () => {
  test('round trip through JSON: the next run reports the same state, one generation on, and goes on from it', () => {
    const s = built({ tests: ['icmp'] });
    s.applyScale({ vmsPerNode: 4, node: 'n2' });
    settle(s, 'n2', 4);
    s.setResults([{ kind: 'icmp', source: 'n1', destination: 'n2', negative: false, pass: true, latencyMs: 0.1 }]);
    s.requestTests({ kinds: ['icmp'] });
    s.cleanupErrors.push('scale refused: something');
    s.forgetNodes([]);

    const carry: ScenarioCarryOver = JSON.parse(JSON.stringify(s.carryOver()));
    expect(carry.generation).toBe(1);
    const next = new ScenarioState(carry, parseSpec(carry.input));
    // The progress of the last reconcile is not carried: the new run has none in flight.
    expect(next.status()).toEqual({ ...s.status(), generation: 1, progress: { done: 0, total: 0, unit: 'VMs' } });
    expect(next.results).toEqual(s.results);
    expect(next.book).toEqual(s.book);
    expect(next.slots).toEqual(s.slots);
    expect(next.testsPending).toEqual(['icmp']);
    expect(next.needsReconcile()).toBe(false);
    // What a run never carries: the messages in flight and the phase (a new run starts waiting).
    expect(Object.keys(carry).sort()).toEqual(['book', 'built', 'cleanupErrors', 'desired', 'generation', 'input', 'measured', 'packedResults', 'results', 'slots', 'testsPending', 'vms']);

    // Scaling after the hand-over grows from the carried ranges: no address is given twice.
    const ranges = next.rangesOf('n1');
    next.applyScale({ vmsPerNode: 6, node: 'n1' });
    settle(next, 'n1', 6);
    const grown = next.rangesOf('n1');
    grown.forEach((list, i) => expect(list.slice(0, ranges[i]!.length)).toEqual(ranges[i]));
    expect(next.slotOf('n9')).toBe(3);
    // And the generation goes on counting.
    expect(new ScenarioState(next.carryOver(), next.spec).generation).toBe(2);
  });

  test("the plugin's node configuration is carried when there is one, for the nodes a later run adds", () => {
    const s = built();
    expect(Object.keys(s.carryOver())).not.toContain('providerConfig');
    s.providerConfig = { 'ovn-central-netns': 'mk-ovn-default' };
    const carry: ScenarioCarryOver = JSON.parse(JSON.stringify(s.carryOver()));
    expect(new ScenarioState(carry, parseSpec(carry.input)).providerConfig).toEqual({ 'ovn-central-netns': 'mk-ovn-default' });
  });

  test('the carry-over holds the applied input, not the first one', () => {
    const s = built();
    const next = input({ vmsPerNode: 1 });
    const plan = s.planApply(next)!;
    s.adopt(plan.next, next);
    expect(s.carryOver().input).toBe(next);
  });
});

describe('teardown progress', () => {
  test('counts the VMs that exist when the teardown starts, so done never passes total', () => {
    const s = built({ vmsPerNode: 4 });
    // A scale-down before: the last operation's counters are not the teardown's.
    s.applyScale({ node: 'n1', vmsPerNode: 1 });
    for (const n of s.startReconcile()) settle(s, n.name, s.wantOf(n));
    expect(s.progress).toEqual({ done: 3, total: 3, unit: 'VMs' });
    s.startTeardown();
    expect(s.progress).toEqual({ done: 0, total: 1 + 4 + 4, unit: 'VMs' });
    for (const n of s.nodesWithState()) settle(s, n, 0);
    for (const n of s.nodesWithState()) settle(s, n, 0, true);
    expect(s.progress).toEqual({ done: 9, total: 9, unit: 'VMs' });
  });
});
