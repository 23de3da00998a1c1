import { stringify } from 'yaml';
import { CONFIGMAP_KEY, buildScenario, parsePod, type PodView } from '../../src/k8s/mapping';
import { planScenario, type ScenarioAction } from '../../src/k8s/plan';
import { MAX_NODE_CHANGES, MAX_NODE_CHANGES_BYTES, applyNodeChanges, changeCount, jsonBytes, type NodeChanges } from '../../src/model/node-changes';
import { canonicalJson } from '../../src/model/diff';
import { parseSpec } from '../../src/model/spec';

// The controller's own mapping (pods + ConfigMap → spec → plan) at up to 10,000 pods: what one
// pod change sends must not grow with the number of pods. Pod names and IPs have a fixed width,
// so a message for the same kind of change has exactly the same size at any scale.

jest.setTimeout(120_000);

const network = {
  plugin: { address: 'merak-plugin.lab.svc:50051' },
  dataplane: 'none',
  agentPool: true,
  vpcs: [{ id: 'vpc-1', vni: 100, cidr: '10.0.0.0/8', subnets: [{ id: 'sn-1', cidr: '10.64.0.0/16' }] }],
  vmsPerNode: 1,
};
const configMap = { namespace: 'lab', name: 'merak-scenario', data: { [CONFIGMAP_KEY]: stringify(network) } };

const name = (i: number) => `agent-${String(i).padStart(5, '0')}`;
/** 172.16.1XX.1XX: the same width for every i below 10,000. */
const ip = (i: number) => `172.16.${100 + Math.floor(i / 100)}.${100 + (i % 100)}`;
const pod = (i: number, annotations: Record<string, string> = {}, podIP = ip(i)): PodView => ({
  namespace: 'lab',
  name: name(i),
  uid: `uid-${i}`,
  annotations: { 'meraksim.com/num_vms': '1', ...annotations },
  phase: 'Running',
  podIP,
  deleting: false,
});

function desired(pods: PodView[]) {
  const members = pods.map((p) => {
    const r = parsePod(p);
    if (!r.ok) throw new Error(r.errors[0]!.message);
    return r.value;
  });
  const r = buildScenario('lab', members, configMap);
  if (!r.ok) throw r.error;
  return r.desired;
}

const onlyNodes = (actions: ScenarioAction[]): NodeChanges[] => actions.map((a) => (a.kind === 'nodes' ? a.changes : fail(`expected a nodes message, got ${a.kind}`)));

/** Bytes of the one message each kind of pod change sends, with `count` pods running. */
function messageBytes(count: number): { add: number; remove: number; scale: number; replace: number; whole: number } {
  const pods = Array.from({ length: count }, (_, i) => pod(i));
  const now = desired(pods);
  const one = (next: PodView[]) => {
    const messages = onlyNodes(planScenario(now.spec, desired(next)));
    expect(messages).toHaveLength(1);
    expect(changeCount(messages[0]!)).toBe(1);
    return jsonBytes(messages[0]);
  };
  const mid = Math.floor(count / 2);
  return {
    add: one([...pods, pod(9_999)]),
    remove: one(pods.filter((_, i) => i !== mid)),
    scale: one(pods.map((p, i) => (i === mid ? pod(i, { 'meraksim.com/num_vms': '2' }) : p))),
    replace: one(pods.map((p, i) => (i === mid ? pod(i, {}, ip(9_998)) : p))),
    whole: jsonBytes(now.input),
  };
}

test('one pod change sends the same bytes at 10, 100, 1000 and 10,000 pods; the whole spec grows with them', () => {
  const sizes = [10, 100, 1_000, 9_998].map((n) => ({ n, ...messageBytes(n) }));
  for (const s of sizes) {
    expect({ add: s.add, remove: s.remove, scale: s.scale, replace: s.replace }).toEqual({ add: sizes[0]!.add, remove: sizes[0]!.remove, scale: sizes[0]!.scale, replace: sizes[0]!.replace });
  }
  expect(sizes[0]!.add).toBeLessThan(80);
  expect(sizes[0]!.remove).toBeLessThan(40);
  expect(sizes[0]!.scale).toBeLessThan(60);
  // What each change sent before: the whole spec, over half a megabyte at 10,000 pods even with
  // these short entries (about 1 MB with test annotations).
  expect(sizes.at(-1)!.whole).toBeGreaterThan(500_000);
  process.stdout.write(`bytes per message: ${JSON.stringify(sizes)}\n`);
});

test('a ramp from 1 to 10,000 pods in one burst goes as bounded messages whose bytes per pod do not grow', () => {
  const first = desired([pod(0)]);
  const all = desired(Array.from({ length: 10_000 }, (_, i) => (i < 9_998 ? pod(i) : pod(i, {}, `172.16.200.${i - 9_898}`))));
  const messages = onlyNodes(planScenario(first.spec, all));
  expect(messages.length).toBe(Math.ceil(9_999 / MAX_NODE_CHANGES));
  const perPod = messages.map((m) => jsonBytes(m) / changeCount(m));
  for (const m of messages) {
    expect(changeCount(m)).toBeLessThanOrEqual(MAX_NODE_CHANGES);
    expect(jsonBytes(m)).toBeLessThanOrEqual(MAX_NODE_CHANGES_BYTES);
  }
  // The first and the last message of the ramp cost the same per pod.
  expect(Math.abs(perPod[0]! - perPod.at(-2)!)).toBeLessThan(1);
  // Applied in order as the workflow applies them, the messages make exactly the spec the pods say.
  let input = first.input;
  for (const m of messages) input = applyNodeChanges(input, m);
  const held = parseSpec(input);
  expect(canonicalJson([...held.nodes].sort((a, b) => (a.name < b.name ? -1 : 1)))).toBe(canonicalJson(all.spec.nodes));
  expect(planScenario(held, all)).toEqual([]);
});
