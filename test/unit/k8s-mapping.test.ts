import { stringify } from 'yaml';
import { CONFIGMAP_KEY, buildScenario, configMapRefOf, groupByScenario, isNode, parsePod, type AnnotatedPod, type ConfigMapView, type PodView } from '../../src/k8s/mapping';
import { canonicalJson, planScenario } from '../../src/k8s/plan';
import { parseSpec } from '../../src/model/spec';

const network = {
  plugin: { address: 'merak-plugin.lab.svc:50051' },
  vpcs: [{ id: 'vpc-1', vni: 100, cidr: '10.0.0.0/16', subnets: [{ id: 'sn-1', cidr: '10.0.1.0/24' }] }],
  vmsPerNode: 2,
  endpointsPerVm: 1,
  tests: ['icmp'],
};

function cm(data: Record<string, unknown> | string = network, name = 'merak-scenario', namespace = 'lab'): ConfigMapView {
  return { namespace, name, data: { [CONFIGMAP_KEY]: typeof data === 'string' ? data : stringify(data) } };
}

let uid = 0;
function pod(name: string, annotations: Record<string, string>, over: Partial<PodView> = {}): PodView {
  uid += 1;
  return { namespace: 'lab', name, uid: `uid-${uid}`, annotations, phase: 'Running', podIP: `10.244.0.${uid}`, deleting: false, ...over };
}

function annotated(p: PodView): AnnotatedPod {
  const r = parsePod(p);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.value;
}

/** `null` stands for "no ConfigMap" (undefined would pick the default one). */
function build(pods: PodView[], configMap: ConfigMapView | null = cm()) {
  const members = pods.map(annotated);
  const groups = groupByScenario(members);
  expect(groups.size).toBe(1);
  const [[scenario, group]] = [...groups.entries()];
  return buildScenario(scenario, group, configMap ?? undefined);
}

describe('isNode', () => {
  it('counts only running pods with an IP that are not being deleted', () => {
    expect(isNode(pod('a', {}))).toBe(true);
    expect(isNode(pod('a', {}, { phase: 'Pending' }))).toBe(false);
    expect(isNode(pod('a', {}, { podIP: undefined }))).toBe(false);
    expect(isNode(pod('a', {}, { podIP: '' }))).toBe(false);
    expect(isNode(pod('a', {}, { deleting: true }))).toBe(false);
    expect(isNode(pod('a', {}, { phase: 'Succeeded' }))).toBe(false);
  });
});

describe('groupByScenario', () => {
  it('groups by the scenario annotation, else the namespace, sorted', () => {
    const groups = groupByScenario([
      annotated(pod('b', { 'meraksim.com/num_vms': '1' })),
      annotated(pod('x', { 'meraksim.com/scenario': 'east' })),
      annotated(pod('a', { 'meraksim.com/num_vms': '1' })),
      annotated(pod('c', {}, { namespace: 'other' })),
    ]);
    expect([...groups.keys()]).toEqual(['east', 'lab', 'other']);
    expect(groups.get('lab')?.map((m) => m.pod.name)).toEqual(['a', 'b']);
  });
});

describe('configMapRefOf', () => {
  it('defaults to merak-scenario in the pods namespace', () => {
    expect(configMapRefOf('lab', [annotated(pod('a', {}))])).toEqual({ ok: true, namespace: 'lab', name: 'merak-scenario' });
    expect(configMapRefOf('lab', [annotated(pod('a', { 'meraksim.com/configmap': 'net' }))])).toEqual({ ok: true, namespace: 'lab', name: 'net' });
  });

  it('refuses one scenario spread over namespaces or naming two ConfigMaps', () => {
    const spread = configMapRefOf('s', [annotated(pod('a', {})), annotated(pod('b', {}, { namespace: 'other' }))]);
    expect(spread.ok).toBe(false);
    if (!spread.ok) expect(spread.error.message).toContain('one namespace');
    const two = configMapRefOf('s', [annotated(pod('a', { 'meraksim.com/configmap': 'x' })), annotated(pod('b', {}))]);
    expect(two.ok).toBe(false);
    if (!two.ok) expect(two.error.message).toContain('x, merak-scenario');
  });
});

describe('buildScenario', () => {
  it('makes one node per running pod, with its IP and annotated counts and tests', () => {
    const r = build([
      pod('agent-1', { 'meraksim.com/num_vms': '5', 'meraksim.com/endpoints_per_vm': '6', 'meraksim.com/test_tcp': '', 'meraksim.com/test_udp': 'true' }, { podIP: '10.244.1.1' }),
      pod('agent-0', { 'meraksim.com/test_icmp': 'false' }, { podIP: '10.244.1.0' }),
      pod('agent-2', { 'meraksim.com/num_vms': '1' }, { phase: 'Pending', podIP: undefined }),
    ]);
    if (!r.ok) throw r.error;
    expect(r.desired.name).toBe('lab');
    expect(r.desired.input).toMatchObject({ name: 'lab', placement: 'assign', plugin: network.plugin });
    expect(r.desired.spec.nodes).toEqual([
      { name: 'agent-0', ip: '10.244.1.0', vms: 2, endpointsPerVm: 1, tests: [] },
      { name: 'agent-1', ip: '10.244.1.1', vms: 5, endpointsPerVm: 6, tests: ['tcp', 'udp'] },
    ]);
    expect([...r.desired.pods.keys()]).toEqual(['agent-0', 'agent-1']);
  });

  it('takes JSON in the ConfigMap too', () => {
    const r = build([pod('a', {})], cm(JSON.stringify(network)));
    expect(r.ok).toBe(true);
  });

  it.each([
    ['a missing ConfigMap', null, 'configmap lab/merak-scenario: not found'],
    ['a ConfigMap without the key', { namespace: 'lab', name: 'merak-scenario', data: { other: '' } }, 'has no key "scenario.yaml" (keys: other)'],
    ['broken YAML', cm('plugin: [unclosed'), 'is not valid YAML'],
    ['a YAML 1.1 octal', cm('plugin: { address: 127.0.0.1:50051 }\nvmsPerNode: 010\nvpcs: []\n'), 'has values YAML readers disagree on: vmsPerNode: "010" is a number written with a leading zero'],
    ['a list instead of a mapping', cm('- 1\n- 2\n'), 'must be a mapping'],
    ['controller-owned fields', cm({ ...network, name: 'x', nodes: 3 }), 'sets name, nodes, which the controller derives from the pods'],
    ['a bad network', cm({ ...network, vpcs: [] }), 'configmap lab/merak-scenario: vpcs: value [] a scenario needs at least one VPC'],
  ])('refuses %s, naming the ConfigMap', (_what, configMap, message) => {
    const r = build([pod('a', {})], configMap);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain(message);
  });

  it('names the pod when the spec refuses a node', () => {
    const r = build([pod('a'.repeat(70), {})]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain(`pod lab/${'a'.repeat(70)}: nodes[0].name`);
  });

  it('refuses a namespace that cannot be a scenario name, saying to annotate', () => {
    const r = build([pod('a', {}, { namespace: 'a-very-long-namespace-name-beyond-32' })], cm(network, 'merak-scenario', 'a-very-long-namespace-name-beyond-32'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('set meraksim.com/scenario on the pods');
  });

  it('builds what parseSpec accepts unchanged', () => {
    const r = build([pod('a', { 'meraksim.com/num_vms': '3' })]);
    if (!r.ok) throw r.error;
    expect(canonicalJson(parseSpec(r.desired.input))).toBe(canonicalJson(r.desired.spec));
  });
});

describe('planScenario', () => {
  const desired = (pods: PodView[]) => {
    const r = build(pods);
    if (!r.ok) throw r.error;
    return r.desired;
  };
  const a = pod('agent-a', { 'meraksim.com/num_vms': '3' });
  const b = pod('agent-b', { 'meraksim.com/num_vms': '4' });

  it('starts when nothing was sent, does nothing when nothing changed', () => {
    const d = desired([a, b]);
    expect(planScenario(undefined, d)).toEqual([{ kind: 'start', input: d.input }]);
    expect(planScenario(d.spec, desired([a, b]))).toEqual([]);
  });

  /** The pod's entry as the mapping writes it (only what its annotations set). */
  const node = (d: ReturnType<typeof desired>, name: string) => (d.input.nodes as { name: string }[]).find((n) => n.name === name)!;

  it('scales only the nodes whose VM count changed', () => {
    const before = desired([a, b]);
    const after = desired([a, { ...b, annotations: { 'meraksim.com/num_vms': '7' } }]);
    expect(planScenario(before.spec, after)).toEqual([{ kind: 'nodes', changes: { scale: [{ node: 'agent-b', vms: 7 }] } }]);
  });

  it('scales to the scenario default when num_vms is removed', () => {
    const before = desired([a]);
    expect(planScenario(before.spec, desired([{ ...a, annotations: {} }]))).toEqual([{ kind: 'nodes', changes: { scale: [{ node: 'agent-a', vms: 2 }] } }]);
  });

  it('sends only the nodes that came, went or changed; the whole spec only when the network changed', () => {
    const one = desired([a]);
    const two = desired([a, b]);
    expect(planScenario(one.spec, two)).toEqual([{ kind: 'nodes', changes: { add: [node(two, 'agent-b')] } }]);
    expect(planScenario(two.spec, one)).toEqual([{ kind: 'nodes', changes: { remove: ['agent-b'] } }]);
    const moved = desired([{ ...a, podIP: '10.244.9.9' }, b]);
    expect(planScenario(two.spec, moved)).toEqual([{ kind: 'nodes', changes: { add: [node(moved, 'agent-a')] } }]);
    const endpoints = desired([{ ...a, annotations: { ...a.annotations, 'meraksim.com/endpoints_per_vm': '2' } }, b]);
    expect(planScenario(two.spec, endpoints)).toEqual([{ kind: 'nodes', changes: { add: [node(endpoints, 'agent-a')] } }]);
    // Order does not count: the workflow appends added nodes, the mapping sorts by name.
    expect(planScenario({ ...two.spec, nodes: [...two.spec.nodes].reverse() }, two)).toEqual([]);
    const r = build([a, b], cm({ ...network, vmsPerNode: 3 }));
    if (!r.ok) throw r.error;
    expect(planScenario(two.spec, r.desired)).toEqual([{ kind: 'apply', input: r.desired.input }]);
  });

  it('splits a burst into bounded messages', () => {
    const many = Array.from({ length: 9 }, (_, i) => pod(`agent-${i}`, {}));
    const d = desired(many);
    const actions = planScenario(desired([many[0]!]).spec, d, { maxEntries: 3 });
    expect(actions.map((x) => (x.kind === 'nodes' ? x.changes.add?.map((n) => n.name) : x.kind))).toEqual([
      ['agent-1', 'agent-2', 'agent-3'],
      ['agent-4', 'agent-5', 'agent-6'],
      ['agent-7', 'agent-8'],
    ]);
  });

  it('tears down when no node is left, and only if something was sent', () => {
    expect(planScenario(desired([a]).spec, undefined)).toEqual([{ kind: 'teardown' }]);
    expect(planScenario(undefined, undefined)).toEqual([]);
  });
});
