/**
 * `merak controller` at hundreds of pods, against a real kube-apiserver (with etcd), a real
 * Temporal dev server, the real compute worker and scenario workflow, the reference network
 * plugin and one pooled agent Worker (dataplane `none`: nodes are records, so 500 of them are
 * cheap on two cores). No kubelet runs: the test creates pod objects and sets their status
 * (phase Running, podIP) through the status subresource, as the controller test does.
 *
 * 1. Ramp: 1 pod, then 5 steps of 100 pods; after each step the scenario's whole history size
 *    (Temporal's own count, every run of the workflow id summed) is read, and the bytes stored per
 *    pod change must not grow with the number of pods. Single changes (add, scale, remove one
 *    pod) at 101 and at 501 pods must store about the same bytes.
 * 2. Compaction: the controller is stopped (SIGSTOP) until the API server has ended its watches,
 *    pods change, etcd is compacted past the watches' resourceVersion, and the controller resumes
 *    (SIGCONT): its re-watch meets 410 Gone, it re-lists, and every change reaches the workflow.
 *    The API server runs with --watch-cache=false so watches are served by etcd itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { startReferencePlugin, type RunningReferencePlugin } from '../../src/plugin/reference/server';
import { createAgentWorkers } from '../../src/workers/agent';
import { createComputeWorker } from '../../src/workers/compute';
import { specQuery, statusQuery, teardownSignal } from '../../src/workflows/messages';
import type { ScenarioStatus } from '../../src/model/status';
import { scenarioWorkflowId } from '../../src/model/queues';
import { jsonBytes } from '../../src/model/node-changes';
import { forEachBounded } from '../../src/model/concurrency';
import { startApiServer, type TestApiServer } from '../helpers/apiserver';
import { startControllerProcess, type ControllerProcess } from '../helpers/controller-process';
import { bundleWorkflows, createTestEnv } from '../helpers/temporal';

jest.setTimeout(1_200_000);

const NS = 'merak-ramp';
const SCENARIO = NS;
const STEP = 100;
const STEPS = 5;
/** Seconds the API server keeps one of the controller's watches open. */
const WATCH_TIMEOUT = 5;
const REPO_ROOT = resolve(__dirname, '..', '..');

const stateDir = mkdtempSync(join(tmpdir(), 'merak-ramp-'));
let api: TestApiServer;
let env: TestWorkflowEnvironment;
let plugin: RunningReferencePlugin;
const workers: Worker[] = [];
let running: Promise<unknown>;
let closeCompute: () => void;
let controller: ControllerProcess | undefined;

const network = {
  plugin: { address: '', deadlineMs: 10_000, retryWindowMs: 60_000 },
  dataplane: 'none',
  agentPool: true,
  underlay: { cidr: '100.98.0.0/20' },
  vpcs: [{ id: 'ramp-vpc', vni: 2401, cidr: '10.75.0.0/16', subnets: [{ id: 'ramp-1', cidr: '10.75.0.0/16' }] }],
  vmsPerNode: 1,
  tests: [],
};

const podName = (i: number) => `ramp-${String(i).padStart(4, '0')}`;
const podIp = (i: number) => `100.98.${Math.floor(i / 200)}.${(i % 200) + 10}`;
/** Pods the test made and has not deleted, with the VM count their annotation asks for. */
const pods = new Map<string, number>();

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function ok(r: Promise<{ status: number; body: string }>, what: string): Promise<string> {
  const { status, body } = await r;
  if (status < 200 || status >= 300) throw new Error(`${what}: HTTP ${status} ${body.slice(0, 300)}`);
  return body;
}

/** Creates pod i and plays the kubelet: Running with its IP. */
async function addPod(i: number, vms = 1): Promise<void> {
  const name = podName(i);
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { 'app.kubernetes.io/name': 'merak-agent' }, annotations: { 'meraksim.com/num_vms': String(vms) } },
    spec: { containers: [{ name: 'agent', image: 'merak:test' }] },
  };
  await ok(api.rest('POST', `/api/v1/namespaces/${NS}/pods`, pod), `create pod ${name}`);
  const status = { status: { phase: 'Running', podIP: podIp(i), podIPs: [{ ip: podIp(i) }] } };
  await ok(api.rest('PATCH', `/api/v1/namespaces/${NS}/pods/${name}/status`, status, 'application/merge-patch+json'), `status of pod ${name}`);
  pods.set(name, vms);
}

async function scalePod(i: number, vms: number): Promise<void> {
  const patch = { metadata: { annotations: { 'meraksim.com/num_vms': String(vms) } } };
  await ok(api.rest('PATCH', `/api/v1/namespaces/${NS}/pods/${podName(i)}`, patch, 'application/merge-patch+json'), `annotate pod ${podName(i)}`);
  pods.set(podName(i), vms);
}

async function deletePod(i: number): Promise<void> {
  // Not bound to a node (no kubelet): the API server deletes it at once.
  await ok(api.rest('DELETE', `/api/v1/namespaces/${NS}/pods/${podName(i)}`), `delete pod ${podName(i)}`);
  pods.delete(podName(i));
}

function handle(): WorkflowHandle {
  return env.client.workflow.getHandle(scenarioWorkflowId(SCENARIO));
}

/** Ready, with exactly the pods the test holds as nodes, each with its VMs. */
function matchesPods(s: ScenarioStatus): boolean {
  if (s.phase !== 'ready' || s.nodes.length !== pods.size) return false;
  return s.nodes.every((n) => pods.get(n.name) === n.vms && n.desiredVms === n.vms);
}

async function waitForPods(what: string, timeoutMs = 600_000): Promise<ScenarioStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: string | undefined;
  while (Date.now() < deadline) {
    try {
      const s = await handle().query(statusQuery);
      if (matchesPods(s)) return s;
      last = `phase ${s.phase}, ${s.nodes.length} nodes (want ${pods.size}), ${s.nodes.filter((n) => pods.get(n.name) === n.vms).length} with their VMs`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(1_000);
  }
  throw new Error(`${what} not reached; last: ${last}\ncontroller log:\n${controller?.lines.slice(-30).join('\n')}`);
}

/** Bytes of the scenario's history, Temporal's own count (historySizeBytes), summed over every run of its id. */
async function historyBytes(): Promise<{ bytes: number; events: number; runs: number }> {
  let bytes = 0;
  let events = 0;
  let runs = 0;
  for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${scenarioWorkflowId(SCENARIO)}'` })) {
    const d = await env.client.workflow.getHandle(wf.workflowId, wf.runId).describe();
    if (d.historySize === undefined) throw new Error('the server does not report historySizeBytes');
    bytes += d.historySize;
    events += d.historyLength;
    runs += 1;
  }
  return { bytes, events, runs };
}

/** Waits until the workflow is at rest with the test's pods and the controller has nothing pending, then reads the history size. */
async function settledBytes(what: string): Promise<number> {
  await waitForPods(what);
  // The update that made the last change completes once the scenario is ready: let it land.
  await sleep(1_500);
  await waitForPods(what);
  return (await historyBytes()).bytes;
}

beforeAll(async () => {
  [api, env] = await Promise.all([startApiServer({ extraApiServerArgs: ['--watch-cache=false'] }), createTestEnv()]);
  plugin = await startReferencePlugin({ port: 0 });
  network.plugin.address = plugin.address;
  const compute = await createComputeWorker({ connection: env.nativeConnection, workflowBundle: await bundleWorkflows() });
  closeCompute = compute.close;
  workers.push(compute.worker, ...(await createAgentWorkers({ connection: env.nativeConnection, nodes: [], pool: true, stateDir })));
  running = Promise.all(workers.map((w) => w.run()));

  await api.createNamespace(NS);
  await api.kubectl(['apply', '-n', NS, '-f', join(REPO_ROOT, 'deploy', 'controller-rbac.yaml')]);
  const kubeconfig = await api.kubeconfigFor('controller', `system:serviceaccount:${NS}:merak-controller`, ['system:serviceaccounts', `system:serviceaccounts:${NS}`]);
  await ok(api.rest('POST', `/api/v1/namespaces/${NS}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'merak-scenario', namespace: NS }, data: { 'scenario.yaml': stringify(network) } }), 'create configmap');
  controller = startControllerProcess([
    '--kubeconfig', kubeconfig,
    '--watch-namespace', NS,
    '--selector', 'app.kubernetes.io/name=merak-agent',
    '--watch-timeout', String(WATCH_TIMEOUT),
    '--address', env.address,
  ]);
  await controller.waitForLine(/initial list done/);
});

afterAll(async () => {
  // A failed run may leave the scenario up: take it down through its workflow while the workers run.
  const h = env ? handle() : undefined;
  const d = await h?.describe().catch(() => undefined);
  if (h && d?.status.name === 'RUNNING') {
    await h.signal(teardownSignal).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([h.result().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 300_000)))]);
    clearTimeout(timer);
  }
  if (controller?.child.signalCode === null && controller.child.exitCode === null) controller.child.kill('SIGCONT');
  await controller?.stop();
  workers.forEach((w) => w.shutdown());
  await running;
  closeCompute?.();
  await plugin?.close();
  await env?.teardown();
  await api?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

interface Step {
  pods: number;
  bytes: number;
  perPod: number;
}
const steps: Step[] = [];
const single: Record<string, Record<string, number>> = {};

/** Adds, scales and removes one pod, one change at a time: the history bytes each stored. */
async function singleChanges(label: string, extra: number): Promise<void> {
  let before = (await historyBytes()).bytes;
  const out: Record<string, number> = {};
  await addPod(extra);
  let after = await settledBytes(`${label}: one pod added`);
  out.add = after - before;
  before = after;
  await scalePod(extra, 2);
  after = await settledBytes(`${label}: one pod scaled`);
  out.scale = after - before;
  before = after;
  await deletePod(extra);
  after = await settledBytes(`${label}: one pod removed`);
  out.remove = after - before;
  single[label] = out;
}

test(`a ramp to ${1 + STEP * STEPS} pods stores the same bytes per pod change at every size`, async () => {
  await addPod(0);
  let before = await settledBytes('first pod');
  let next = 1;
  for (let step = 1; step <= STEPS; step++) {
    const ids = Array.from({ length: STEP }, (_, k) => next + k);
    next += STEP;
    await forEachBounded(ids, 8, (i) => addPod(i));
    const after = await settledBytes(`${pods.size} pods`);
    steps.push({ pods: pods.size, bytes: after - before, perPod: (after - before) / STEP });
    if (step === 1) await singleChanges(`at ${pods.size} pods`, 900);
    before = (await historyBytes()).bytes;
  }
  await singleChanges(`at ${pods.size} pods`, 901);

  const spec = await handle().query(specQuery);
  const h = await historyBytes();
  const lines = controller!.lines.filter((l) => l.includes(' nodes changed '));
  const report = { steps, single, wholeSpecBytes: jsonBytes(spec), nodesMessages: lines.length, history: h };
  process.stdout.write(`pod ramp: ${JSON.stringify(report)}\n`);

  // Per pod, the last step of 100 costs no more than the first (a little slack for timing:
  // how a burst splits into messages depends on when the pods arrive).
  expect(steps.at(-1)!.perPod).toBeLessThan(steps[0]!.perPod * 1.3 + 200);
  for (const s of steps) expect(s.perPod).toBeLessThan(4_000);
  // One change stores about the same bytes at 501 pods as at 101.
  const [small, large] = [single[`at ${1 + STEP} pods`]!, single[`at ${1 + STEP * STEPS} pods`]!];
  for (const kind of ['add', 'scale', 'remove']) {
    expect(large[kind]).toBeLessThan(small[kind]! * 1.3 + 500);
    expect(large[kind]).toBeLessThan(12_000);
  }
  // What each change stored before: the whole spec, over 20 KB at 500 pods with these short entries.
  expect(jsonBytes(spec)).toBeGreaterThan(20_000);
  expect(large.add).toBeLessThan(jsonBytes(spec));
});

test('the watch survives etcd compaction while the controller is stopped: 410 Gone, a re-list, every change applied', async () => {
  const lines = () => controller!.lines.length;
  const mark = lines();
  controller!.child.kill('SIGSTOP');
  try {
    // The API server ends each watch after WATCH_TIMEOUT s; the controller, stopped, cannot watch again.
    await sleep((WATCH_TIMEOUT + 3) * 1_000);
    // Changes while it is stopped: ten pods gone, ten new ones, one scaled.
    await forEachBounded([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5, (i) => deletePod(i));
    await forEachBounded([601, 602, 603, 604, 605, 606, 607, 608, 609, 610], 5, (i) => addPod(i));
    await scalePod(11, 3);
    const revision = await api.compactEtcd();
    process.stdout.write(`etcd compacted to revision ${revision}\n`);
  } finally {
    controller!.child.kill('SIGCONT');
  }
  await controller!.waitForLine(/410 Gone/, 60_000);
  await controller!.waitForLine(/ re-listed .*pods/, 60_000);
  const s = await waitForPods('every change made while the controller was stopped');
  expect(s.nodes.some((n) => n.name === podName(1))).toBe(false);
  expect(s.nodes.find((n) => n.name === podName(605))?.vms).toBe(1);
  expect(s.nodes.find((n) => n.name === podName(11))?.vms).toBe(3);
  const after = controller!.lines.slice(mark);
  expect(after.filter((l) => l.includes('410 Gone')).length).toBeGreaterThanOrEqual(1);
  // Handed over as node changes, not as the whole spec.
  expect(after.some((l) => l.includes(' nodes changed '))).toBe(true);
  expect(after.some((l) => l.includes('applied the current spec'))).toBe(false);
});

test('the last pods gone tear the scenario down; the plugin ends empty', async () => {
  await forEachBounded([...pods.keys()], 8, async (name) => {
    await ok(api.rest('DELETE', `/api/v1/namespaces/${NS}/pods/${name}`), `delete pod ${name}`);
    pods.delete(name);
  });
  const outcome = (await handle().result()) as { phase: string; cleanupErrors: string[] };
  expect(outcome.phase).toBe('deleted');
  expect(outcome.cleanupErrors).toEqual([]);
  const snap = plugin.state.snapshot();
  expect([...snap.vpcs, ...snap.subnets, ...snap.nodes]).toEqual([]);
});
