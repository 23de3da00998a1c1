import { stringify } from 'yaml';
import type { EventRecord, EventRecorder } from '../../src/k8s/events';
import type { Logger } from '../../src/k8s/log';
import { CONFIGMAP_KEY, type PodView } from '../../src/k8s/mapping';
import { ScenarioReconciler } from '../../src/k8s/reconciler';
import type { ScenarioDriver, UpdateOutcome } from '../../src/k8s/scenario-driver';
import type { NodeChanges } from '../../src/model/node-changes';
import type { ScenarioInput } from '../../src/model/spec';

// The reconciler's bookkeeping against a recording driver (a mock of Temporal, named so): which
// calls it makes for which pod changes. The integration tests run the same code against a real
// API server and a real Temporal server.

type Call =
  | { op: 'start'; name: string; nodes: string[]; namespace: string }
  | { op: 'apply'; name: string; nodes: string[] }
  | { op: 'nodes'; name: string; changes: NodeChanges }
  | { op: 'teardown'; name: string };

function nodesOf(input: ScenarioInput): string[] {
  return (input.nodes as { name: string }[]).map((n) => n.name);
}

class RecordingDriverMock implements ScenarioDriver {
  calls: Call[] = [];
  running = new Set<string>();
  managed: { name: string; namespace: string }[] = [];
  /** The answer to a nodes update, by the changes it carries (default: accepted). */
  nodesAnswer: (changes: NodeChanges) => UpdateOutcome = () => ({ kind: 'accepted' });
  failNext = 0;
  private maybeFail(): void {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('temporal unavailable (mock)');
    }
  }
  async start(name: string, input: ScenarioInput, namespace: string) {
    this.maybeFail();
    this.calls.push({ op: 'start', name, nodes: nodesOf(input), namespace });
    if (this.running.has(name)) return 'already-running' as const;
    this.running.add(name);
    return 'started' as const;
  }
  async apply(name: string, input: ScenarioInput) {
    this.maybeFail();
    this.calls.push({ op: 'apply', name, nodes: nodesOf(input) });
    return this.running.has(name) ? ('sent' as const) : ('not-running' as const);
  }
  async nodes(name: string, changes: NodeChanges) {
    this.maybeFail();
    this.calls.push({ op: 'nodes', name, changes });
    return this.running.has(name) ? this.nodesAnswer(changes) : { kind: 'not-running' as const };
  }
  async teardown(name: string) {
    this.maybeFail();
    this.calls.push({ op: 'teardown', name });
    const was = this.running.delete(name);
    return was ? ('sent' as const) : ('not-running' as const);
  }
  async listManaged() {
    return this.managed;
  }
}

class EventsMock implements EventRecorder {
  events: EventRecord[] = [];
  async record(e: EventRecord) {
    this.events.push(e);
  }
}

const lines: string[] = [];
const log: Logger = {
  info: (m, f) => lines.push(`INFO ${m} ${JSON.stringify(f)}`),
  warn: (m, f) => lines.push(`WARN ${m} ${JSON.stringify(f)}`),
  error: (m, f) => lines.push(`ERROR ${m} ${JSON.stringify(f)}`),
};

const network = {
  plugin: { address: '127.0.0.1:50051' },
  vpcs: [{ id: 'vpc-1', vni: 100, cidr: '10.0.0.0/16', subnets: [{ id: 'sn-1', cidr: '10.0.1.0/24' }] }],
};
const configMap = { namespace: 'lab', name: 'merak-scenario', data: { [CONFIGMAP_KEY]: stringify(network) } };

/** Marks a pod as an emulated node with the scenario defaults. */
const ANN = { 'meraksim.com/test_icmp': '' };

/** Each pod name keeps one IP, as a pod keeps its IP for its life. */
const ips = new Map<string, string>();
function pod(name: string, annotations: Record<string, string>, over: Partial<PodView> = {}): PodView {
  if (!ips.has(name)) ips.set(name, `10.244.${Math.floor(ips.size / 250)}.${(ips.size % 250) + 1}`);
  return { namespace: 'lab', name, uid: `uid-${name}`, annotations, phase: 'Running', podIP: ips.get(name), deleting: false, ...over };
}

async function settle(r: ScenarioReconciler): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await new Promise((res) => setTimeout(res, 5));
    if (r.idle()) return;
  }
  throw new Error('reconciler did not settle within 1 s');
}

let driver: RecordingDriverMock;
let events: EventsMock;
let r: ScenarioReconciler;

beforeEach(() => {
  driver = new RecordingDriverMock();
  events = new EventsMock();
  lines.length = 0;
  r = new ScenarioReconciler({ driver, events, log, settleMs: 0, retryMs: 5, maxRetryMs: 20 });
});
afterEach(() => r.stop());

test('does nothing before activation, then starts the scenario with the listed nodes', async () => {
  r.upsertConfigMap(configMap);
  r.upsertPod(pod('agent-a', { 'meraksim.com/num_vms': '2' }));
  r.upsertPod(pod('agent-b', { 'meraksim.com/num_vms': '3' }));
  r.upsertPod(pod('plain', {}));
  await new Promise((res) => setTimeout(res, 20));
  expect(driver.calls).toEqual([]);
  await r.activate();
  await settle(r);
  expect(driver.calls).toEqual([{ op: 'start', name: 'lab', nodes: ['agent-a', 'agent-b'], namespace: 'lab' }]);
});

test('nodes messages for num_vms and for new or deleted pods, teardown for the last one', async () => {
  r.upsertConfigMap(configMap);
  r.upsertPod(pod('agent-a', { 'meraksim.com/num_vms': '2' }));
  await r.activate();
  await settle(r);
  r.upsertPod(pod('agent-a', { 'meraksim.com/num_vms': '5' }));
  await settle(r);
  r.upsertPod(pod('agent-b', ANN, { phase: 'Pending', podIP: undefined }));
  await settle(r);
  r.upsertPod(pod('agent-b', ANN));
  await settle(r);
  r.deletePod(pod('agent-a', ANN));
  await settle(r);
  r.upsertPod(pod('agent-b', ANN, { deleting: true }));
  await settle(r);
  r.deletePod(pod('agent-b', ANN));
  await settle(r);
  expect(driver.calls).toEqual([
    { op: 'start', name: 'lab', nodes: ['agent-a'], namespace: 'lab' },
    { op: 'nodes', name: 'lab', changes: { scale: [{ node: 'agent-a', vms: 5 }] } },
    { op: 'nodes', name: 'lab', changes: { add: [{ name: 'agent-b', ip: ips.get('agent-b'), tests: ['icmp'] }] } },
    { op: 'nodes', name: 'lab', changes: { remove: ['agent-a'] } },
    { op: 'teardown', name: 'lab' },
  ]);
  expect(events.events).toEqual([]);
  expect(r.stats.nodeMessages).toBe(3);
});

test('a burst of pods goes as few bounded messages, and the controller then holds what the pods say', async () => {
  r.upsertConfigMap(configMap);
  r.upsertPod(pod('agent-000', ANN));
  await r.activate();
  await settle(r);
  // 600 pods at once (a StatefulSet scaled up): folded into one pass, sent in messages of at most 256 nodes.
  for (let i = 1; i <= 600; i++) r.upsertPod(pod(`agent-${String(i).padStart(3, '0')}`, { 'meraksim.com/num_vms': '0' }));
  await settle(r);
  const sent = driver.calls.filter((c): c is Extract<Call, { op: 'nodes' }> => c.op === 'nodes');
  expect(sent.map((c) => c.changes.add?.length)).toEqual([256, 256, 88]);
  expect(r.sentSpec('lab')?.nodes).toHaveLength(601);
  expect(r.stats.nodeMessageBytes / 600).toBeLessThan(100);
});

test('bad annotations: an Event naming pod, key and value, a log line, and nothing changes', async () => {
  r.upsertConfigMap(configMap);
  r.upsertPod(pod('agent-a', { 'meraksim.com/num_vms': '2' }));
  await r.activate();
  await settle(r);
  r.upsertPod(pod('agent-a', { 'meraksim.com/num_vms': '5abc' }));
  r.upsertPod(pod('agent-a', { 'meraksim.com/num_vms': '5abc' })); // a resync: reported once
  r.upsertPod(pod('agent-new', { 'meraksim.com/test_icmp': 'yes' }));
  await settle(r);
  expect(driver.calls).toEqual([{ op: 'start', name: 'lab', nodes: ['agent-a'], namespace: 'lab' }]);
  expect(events.events.map((e) => [e.subject.name, e.reason, e.type])).toEqual([
    ['agent-a', 'InvalidAnnotation', 'Warning'],
    ['agent-new', 'InvalidAnnotation', 'Warning'],
  ]);
  expect(events.events[0].message).toContain('pod lab/agent-a: annotation meraksim.com/num_vms="5abc" is invalid');
  expect(lines.some((l) => l.includes('invalid annotation') && l.includes('"key":"meraksim.com/num_vms"') && l.includes('"value":"5abc"'))).toBe(true);
  // Fixed: the new value takes effect.
  r.upsertPod(pod('agent-a', { 'meraksim.com/num_vms': '4' }));
  await settle(r);
  expect(driver.calls.at(-1)).toEqual({ op: 'nodes', name: 'lab', changes: { scale: [{ node: 'agent-a', vms: 4 }] } });
});

test('a missing ConfigMap is an Event on the pods; creating it starts the scenario', async () => {
  r.upsertPod(pod('agent-a', ANN));
  await r.activate();
  await settle(r);
  expect(driver.calls).toEqual([]);
  expect(events.events.map((e) => [e.subject.kind, e.subject.name, e.reason])).toEqual([['Pod', 'agent-a', 'InvalidScenario']]);
  r.upsertConfigMap(configMap);
  await settle(r);
  expect(driver.calls).toEqual([{ op: 'start', name: 'lab', nodes: ['agent-a'], namespace: 'lab' }]);
});

test('a bad ConfigMap is an Event on the ConfigMap and changes nothing', async () => {
  r.upsertConfigMap(configMap);
  r.upsertPod(pod('agent-a', ANN));
  await r.activate();
  await settle(r);
  r.upsertConfigMap({ ...configMap, data: { [CONFIGMAP_KEY]: 'vpcs: []\nplugin: {address: "x:1"}' } });
  await settle(r);
  expect(driver.calls).toHaveLength(1);
  expect(events.events.map((e) => [e.subject.kind, e.subject.name, e.reason])).toEqual([['ConfigMap', 'merak-scenario', 'InvalidScenario']]);
});

test('after a restart: a running workflow is adopted with apply, not started twice', async () => {
  driver.running.add('lab');
  r.upsertConfigMap(configMap);
  r.upsertPod(pod('agent-a', ANN));
  await r.activate();
  await settle(r);
  expect(driver.calls).toEqual([
    { op: 'start', name: 'lab', nodes: ['agent-a'], namespace: 'lab' },
    { op: 'apply', name: 'lab', nodes: ['agent-a'] },
  ]);
  expect(driver.running.size).toBe(1);
});

test('without its namespaces, the reconciler never tears down workflows it finds running', async () => {
  driver.running = new Set(['gone']);
  driver.managed = [{ name: 'gone', namespace: 'lab' }];
  await r.activate();
  await settle(r);
  expect(driver.calls).toEqual([]);
});

test('after a restart: a managed workflow whose pods all went away is torn down; others are left alone', async () => {
  driver.running = new Set(['gone', 'elsewhere']);
  driver.managed = [
    { name: 'gone', namespace: 'lab' },
    { name: 'elsewhere', namespace: 'other-team' },
  ];
  r = new ScenarioReconciler({ driver, events, log, settleMs: 0, retryMs: 5, maxRetryMs: 20, watchedNamespaces: ['lab'] });
  await r.activate();
  await settle(r);
  expect(driver.calls).toEqual([{ op: 'teardown', name: 'gone' }]);
});

test('a spec the pods make invalid (subnet too small) is reported on the ConfigMap and the pods; nothing is sent', async () => {
  r.upsertConfigMap(configMap);
  r.upsertPod(pod('agent-a', { 'meraksim.com/num_vms': '1' }));
  await r.activate();
  await settle(r);
  r.upsertPod(pod('agent-a', { 'meraksim.com/num_vms': '900' }));
  await settle(r);
  expect(driver.calls.map((c) => c.op)).toEqual(['start']);
  expect(events.events.map((e) => [e.subject.kind, e.subject.name, e.reason])).toEqual([
    ['ConfigMap', 'merak-scenario', 'InvalidScenario'],
    ['Pod', 'agent-a', 'InvalidScenario'],
  ]);
  expect(events.events[0].message).toContain('has 253 host addresses but the scenario puts 900 endpoints in it');
});

test('a scale the workflow refuses is reported once on the pod, and nothing else changes', async () => {
  r.upsertConfigMap(configMap);
  r.upsertPod(pod('agent-a', { 'meraksim.com/num_vms': '1' }));
  await r.activate();
  await settle(r);
  driver.nodesAnswer = () => ({ kind: 'rejected', reason: 'scenario is tearing down (mock)' });
  r.upsertPod(pod('agent-a', { 'meraksim.com/num_vms': '3' }));
  await settle(r);
  // A resync of the same pod: the change is asked again, but not reported again.
  r.upsertPod(pod('agent-a', { 'meraksim.com/num_vms': '3', 'example.com/note': 'resync' }));
  await settle(r);
  expect(driver.calls.map((c) => c.op)).toEqual(['start', 'nodes', 'nodes']);
  expect(events.events.map((e) => [e.subject.name, e.reason])).toEqual([['agent-a', 'ScaleRefused']]);
  expect(events.events[0].message).toBe('meraksim.com/num_vms=3: scenario is tearing down (mock)');
  expect(r.sentSpec('lab')?.nodes[0].vms).toBe(1);
});

test('a refused message of several nodes is halved until the refusal lands on the node at fault; the others go through', async () => {
  r.upsertConfigMap(configMap);
  r.upsertPod(pod('agent-a', ANN));
  await r.activate();
  await settle(r);
  driver.nodesAnswer = (c) => (c.add?.some((n) => n.name === 'agent-f') ? { kind: 'rejected', reason: 'no room for agent-f (mock)' } : { kind: 'accepted' });
  for (const n of ['agent-b', 'agent-c', 'agent-d', 'agent-e', 'agent-f', 'agent-g']) r.upsertPod(pod(n, ANN));
  await settle(r);
  const adds = driver.calls.flatMap((c) => (c.op === 'nodes' ? [c.changes.add!.map((n) => n.name).join(',')] : []));
  expect(adds).toEqual(['agent-b,agent-c,agent-d,agent-e,agent-f,agent-g', 'agent-b,agent-c,agent-d', 'agent-e,agent-f,agent-g', 'agent-e,agent-f', 'agent-e', 'agent-f', 'agent-g']);
  expect(events.events.map((e) => [e.subject.name, e.reason, e.message])).toEqual([['agent-f', 'NodeRefused', 'no room for agent-f (mock)']]);
  expect(r.sentSpec('lab')?.nodes.map((n) => n.name).sort()).toEqual(['agent-a', 'agent-b', 'agent-c', 'agent-d', 'agent-e', 'agent-g']);
});

test('Temporal errors are retried with backoff until they pass', async () => {
  r.upsertConfigMap(configMap);
  r.upsertPod(pod('agent-a', ANN));
  driver.failNext = 2;
  await r.activate();
  await settle(r);
  expect(driver.calls).toEqual([{ op: 'start', name: 'lab', nodes: ['agent-a'], namespace: 'lab' }]);
  expect(r.stats.failures).toBe(2);
});

test('a workflow that ended on its own is started again on the next change', async () => {
  r.upsertConfigMap(configMap);
  r.upsertPod(pod('agent-a', ANN));
  await r.activate();
  await settle(r);
  driver.running.clear();
  r.upsertPod(pod('agent-b', ANN));
  await settle(r);
  expect(driver.calls.map((c) => c.op)).toEqual(['start', 'nodes', 'start']);
  expect(driver.calls.at(-1)).toMatchObject({ op: 'start', nodes: ['agent-a', 'agent-b'] });
});
