/**
 * `merak controller` against a real kube-apiserver (with etcd), a real Temporal dev server, the
 * real compute worker running the real scenario workflow, the reference network plugin on
 * loopback and real node agents (local mode: the nodes are network namespaces; root). No
 * kubelet runs: the test plays its part by setting pod status (phase Running, podIP) through
 * the status subresource. The controller runs as its own process with the RBAC of
 * deploy/controller-rbac.yaml (a client certificate for its service account), so a rule
 * missing from the Role fails this test.
 *
 * The cases run in order on one scenario: started with the annotated pods' nodes; a changed
 * num_vms reaches the workflow as a nodes update naming that node only; a bad annotation gives an Event and changes
 * nothing; a deleted pod removes its node; a controller killed mid-way is replaced without a
 * second workflow and without missing what changed meanwhile; an API-server restart is
 * survived by the watch; the last pod gone tears everything down, nothing left in the plugin
 * or the kernel; and a scenario whose last pod went away while no controller ran is torn down
 * by the next controller.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { createTestingActivities } from '../../src/activities/testing/activities';
import { findTag } from '../../src/dataplane/tags';
import { CONTROLLER_MEMO_KEY } from '../../src/k8s/scenario-driver';
import { startReferencePlugin, type RunningReferencePlugin } from '../../src/plugin/reference/server';
import { createAgentWorkers } from '../../src/workers/agent';
import { createComputeWorker } from '../../src/workers/compute';
import { statusQuery, teardownSignal } from '../../src/workflows/messages';
import type { ScenarioStatus } from '../../src/model/status';
import { scenarioWorkflowId } from '../../src/model/queues';
import { startApiServer, type TestApiServer } from '../helpers/apiserver';
import { startControllerProcess, type ControllerProcess } from '../helpers/controller-process';
import { bundleWorkflows, createTestEnv } from '../helpers/temporal';

jest.setTimeout(300_000);

const NS = 'merak-k8s';
const SCENARIO = NS; // no meraksim.com/scenario annotation: the namespace names the scenario
const PODS = ['k8s-a-0', 'k8s-a-1', 'k8s-a-2', 'k8s-a-3', 'k8s-b-0'];
/** Pod IPs are the nodes' underlay addresses: inside the scenario's underlay CIDR. */
const podIp = (name: string) => `100.97.0.${10 + PODS.indexOf(name)}`;
const REPO_ROOT = resolve(__dirname, '..', '..');

const stateDir = mkdtempSync(join(tmpdir(), 'merak-k8s-it-'));
let api: TestApiServer;
let env: TestWorkflowEnvironment;
let plugin: RunningReferencePlugin;
const workers: Worker[] = [];
let running: Promise<unknown>;
let closeCompute: () => void;
let controller: ControllerProcess | undefined;
let controllerArgs: string[];
let firstRunId: string;
/** The scenario's kernel-name tag (owner records): every namespace it makes starts with mk-<tag>-. */
let tag: string | undefined;
const scenarioNetns = () => netnsList().split('\n').filter((l) => tag !== undefined && l.startsWith(`mk-${tag}-`));

const netnsList = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
const rootNet = () => JSON.stringify([execFileSync('ip', ['-j', 'addr'], { encoding: 'utf8' }), execFileSync('ip', ['-j', 'route'], { encoding: 'utf8' })]);
let rootBefore: string;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const network = {
  plugin: { address: '', deadlineMs: 5_000, retryWindowMs: 20_000 },
  dataplane: 'reference',
  underlay: { cidr: '100.97.0.0/24' },
  vpcs: [
    { id: 'k8s-blue', vni: 2301, cidr: '10.73.0.0/16', subnets: [{ id: 'k8s-blue-1', cidr: '10.73.1.0/24' }] },
    { id: 'k8s-green', vni: 2302, cidr: '10.74.0.0/16', subnets: [{ id: 'k8s-green-1', cidr: '10.74.1.0/24' }] },
  ],
  vmsPerNode: 1,
  tests: [],
};

async function applyJson(doc: unknown): Promise<void> {
  await api.kubectl(['apply', '-f', '-'], { input: JSON.stringify(doc) });
}

async function createPod(name: string, annotations: Record<string, string>): Promise<void> {
  await applyJson({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { 'app.kubernetes.io/name': 'merak-agent' }, annotations },
    spec: { containers: [{ name: 'agent', image: 'merak:test' }] },
  });
}

/** The kubelet's part: the pod runs and has its IP. */
async function setRunning(name: string): Promise<void> {
  const path = `/api/v1/namespaces/${NS}/pods/${name}/status`;
  const { stdout } = await api.kubectl(['get', '--raw', path]);
  const pod = JSON.parse(stdout) as { status: Record<string, unknown> };
  pod.status = { ...pod.status, phase: 'Running', podIP: podIp(name), podIPs: [{ ip: podIp(name) }] };
  await api.kubectl(['replace', '--raw', path, '-f', '-'], { input: JSON.stringify(pod) });
}

async function annotate(name: string, key: string, value: string): Promise<void> {
  await api.kubectl(['annotate', 'pod', name, '-n', NS, `meraksim.com/${key}=${value}`, '--overwrite']);
}

async function deletePod(name: string): Promise<void> {
  await api.kubectl(['delete', 'pod', name, '-n', NS, '--wait=false']);
}

function handle(scenario = SCENARIO): WorkflowHandle {
  return env.client.workflow.getHandle(scenarioWorkflowId(scenario));
}

async function waitForStatus(ok: (s: ScenarioStatus) => boolean, what: string, timeoutMs = 180_000): Promise<ScenarioStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: ScenarioStatus | string | undefined;
  while (Date.now() < deadline) {
    try {
      const s = await handle().query(statusQuery);
      last = s;
      if (ok(s)) return s;
    } catch (err) {
      last = (err as Error).message; // not started yet
    }
    await sleep(300);
  }
  throw new Error(`${what} not reached; last status ${JSON.stringify(last)}\ncontroller log:\n${controller?.lines.slice(-30).join('\n')}`);
}

const nodesOf = (s: ScenarioStatus) => Object.fromEntries(s.nodes.map((n) => [n.name, n.vms]));
const readyWith = (expected: Record<string, number>) => (s: ScenarioStatus) =>
  s.phase === 'ready' && JSON.stringify(nodesOf(s)) === JSON.stringify(expected) && s.nodes.every((n) => n.desiredVms === n.vms);

async function historyEvents(): Promise<{ eventType?: unknown; [k: string]: unknown }[]> {
  const history = await handle().fetchHistory();
  return (history.events ?? []) as { eventType?: unknown; [k: string]: unknown }[];
}

/** Runs of the scenario's workflow id, any status. */
async function runsOfScenario(): Promise<string[]> {
  const runs: string[] = [];
  for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${scenarioWorkflowId(SCENARIO)}'` })) runs.push(wf.runId);
  return runs;
}

beforeAll(async () => {
  rootBefore = rootNet();
  [api, env] = await Promise.all([startApiServer(), createTestEnv()]);
  plugin = await startReferencePlugin({ port: 0 });
  network.plugin.address = plugin.address;
  const compute = await createComputeWorker({ connection: env.nativeConnection, workflowBundle: await bundleWorkflows() });
  closeCompute = compute.close;
  workers.push(compute.worker);
  workers.push(...(await createAgentWorkers({ connection: env.nativeConnection, nodes: PODS, stateDir, extraActivities: createTestingActivities({ stateDir }) })));
  running = Promise.all(workers.map((w) => w.run()));

  await api.createNamespace(NS);
  // The controller's identity and rights are exactly those of the manifests.
  await api.kubectl(['apply', '-n', NS, '-f', join(REPO_ROOT, 'deploy', 'controller-rbac.yaml')]);
  const kubeconfig = await api.kubeconfigFor('controller', `system:serviceaccount:${NS}:merak-controller`, ['system:serviceaccounts', `system:serviceaccounts:${NS}`]);
  await applyJson({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'merak-scenario', namespace: NS }, data: { 'scenario.yaml': stringify(network) } });
  controllerArgs = ['--kubeconfig', kubeconfig, '--watch-namespace', NS, '--selector', 'app.kubernetes.io/name=merak-agent', '--address', env.address];
  controller = startControllerProcess(controllerArgs);
  await controller.waitForLine(/initial list done/);
});

afterAll(async () => {
  await controller?.stop();
  // A failed or filtered (-t) run may leave scenarios up: take them down through their
  // workflows while the workers still run, so nothing stays in the kernel either way.
  for (const name of [SCENARIO, 'orphan']) {
    const h = env ? handle(name) : undefined;
    const d = await h?.describe().catch(() => undefined);
    if (h && d?.status.name === 'RUNNING') {
      await h.signal(teardownSignal);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([h.result().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 120_000)))]);
      clearTimeout(timer);
    }
  }
  workers.forEach((w) => w.shutdown());
  await running;
  closeCompute?.();
  await plugin?.close();
  await env?.teardown();
  await api?.stop();
  rmSync(stateDir, { recursive: true, force: true });
  expect(scenarioNetns()).toEqual([]);
  expect(rootNet()).toBe(rootBefore);
});

test('annotated running pods start the scenario with those nodes (two controllers, one workflow)', async () => {
  // A second controller watching the same pods: both react, the scenario starts once.
  const second = startControllerProcess(controllerArgs);
  await second.waitForLine(/initial list done/);
  await createPod('k8s-a-0', { 'meraksim.com/num_vms': '1', 'meraksim.com/test_icmp': '' });
  await createPod('k8s-a-1', { 'meraksim.com/num_vms': '1' });
  // Pending pods are not nodes yet: nothing starts.
  await sleep(1_500);
  expect(await runsOfScenario()).toEqual([]);
  await setRunning('k8s-a-0');
  await setRunning('k8s-a-1');
  await waitForStatus(readyWith({ 'k8s-a-0': 1, 'k8s-a-1': 1 }), 'two nodes with one VM each');
  await second.stop();
  const started = [...controller!.lines, ...second.lines].filter((l) => / scenario started scenario=merak-k8s /.test(l));
  expect(started).toHaveLength(1);
  // The other one found it running and handed over the same spec.
  expect([...controller!.lines, ...second.lines].some((l) => l.includes('scenario already running; applied the current spec scenario=merak-k8s'))).toBe(true);
  expect((await runsOfScenario()).length).toBe(1);
  const described = await handle().describe();
  firstRunId = described.runId;
  expect(described.memo?.[CONTROLLER_MEMO_KEY]).toBe(NS);
  expect(plugin.state.snapshot().nodes.map((n) => n.name).sort()).toEqual([`k8s-a-0.${SCENARIO}`, `k8s-a-1.${SCENARIO}`]);
  tag = await findTag(stateDir, SCENARIO);
  expect(tag).toBeDefined();
  expect(scenarioNetns().length).toBeGreaterThan(0);
});

test('a changed num_vms reaches the workflow as a nodes update scaling only that node', async () => {
  await annotate('k8s-a-0', 'num_vms', '3');
  await waitForStatus(readyWith({ 'k8s-a-0': 3, 'k8s-a-1': 1 }), 'k8s-a-0 scaled to 3');
  const events = await historyEvents();
  const accepted = events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes !== undefined && e.workflowExecutionUpdateAcceptedEventAttributes !== null);
  expect(accepted.length).toBeGreaterThanOrEqual(1);
  const attrs = accepted.at(-1)!.workflowExecutionUpdateAcceptedEventAttributes as { acceptedRequest?: { input?: { name?: string; args?: { payloads?: { data?: Uint8Array }[] } } } };
  expect(attrs.acceptedRequest?.input?.name).toBe('nodes');
  // The message names that node only, not the whole scenario.
  const data = attrs.acceptedRequest?.input?.args?.payloads?.[0]?.data;
  expect(JSON.parse(Buffer.from(data ?? []).toString('utf8'))).toEqual({ scale: [{ node: 'k8s-a-0', vms: 3 }] });
});

test('a bad annotation gives an Event naming pod, key and value, and changes nothing', async () => {
  const before = (await historyEvents()).length;
  await annotate('k8s-a-1', 'num_vms', '5abc');
  const line = await controller!.waitForLine(/invalid annotation/);
  expect(line).toContain('pod=merak-k8s/k8s-a-1');
  expect(line).toContain('key=meraksim.com/num_vms');
  expect(line).toContain('value=5abc');
  let message = '';
  for (let i = 0; i < 50 && !message; i++) {
    const { stdout } = await api.kubectl(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=k8s-a-1,reason=InvalidAnnotation', '-o', 'json']);
    message = ((JSON.parse(stdout) as { items: { message: string; type: string }[] }).items[0]?.message) ?? '';
    if (!message) await sleep(200);
  }
  expect(message).toContain('annotation meraksim.com/num_vms="5abc" is invalid');
  // Nothing was sent: the workflow's history and state stay as they were.
  await sleep(2_000);
  expect((await historyEvents()).length).toBe(before);
  expect(nodesOf(await handle().query(statusQuery))).toEqual({ 'k8s-a-0': 3, 'k8s-a-1': 1 });
  await annotate('k8s-a-1', 'num_vms', '1');
});

test('a deleted pod removes its node', async () => {
  await deletePod('k8s-a-1');
  await waitForStatus(readyWith({ 'k8s-a-0': 3 }), 'k8s-a-1 removed');
  expect(plugin.state.snapshot().nodes.map((n) => n.name)).toEqual([`k8s-a-0.${SCENARIO}`]);
});

test('a controller killed mid-way is replaced: no second workflow, no missed change', async () => {
  await controller!.stop('SIGKILL');
  // Changes while no controller watches: a new node, a changed count.
  await createPod('k8s-a-2', { 'meraksim.com/num_vms': '2' });
  await setRunning('k8s-a-2');
  await annotate('k8s-a-0', 'num_vms', '1');
  controller = startControllerProcess(controllerArgs);
  await waitForStatus(readyWith({ 'k8s-a-0': 1, 'k8s-a-2': 2 }), 'changes made while the controller was down');
  expect(await runsOfScenario()).toEqual([firstRunId]);
  expect(controller.lines.some((l) => l.includes('scenario already running; applied the current spec'))).toBe(true);
});

test('the watch recovers from an API server restart', async () => {
  await api.stopApiServer();
  await controller!.waitForLine(/watch failed; restarting/);
  await sleep(1_000);
  await api.startApiServer();
  await createPod('k8s-a-3', { 'meraksim.com/num_vms': '1' });
  await setRunning('k8s-a-3');
  await waitForStatus(readyWith({ 'k8s-a-0': 1, 'k8s-a-2': 2, 'k8s-a-3': 1 }), 'node added after the restart');
});

test('the last pod gone tears the scenario down: nothing left in the plugin or the kernel', async () => {
  for (const name of ['k8s-a-0', 'k8s-a-2', 'k8s-a-3']) await deletePod(name);
  const outcome = (await handle().result()) as { phase: string; cleanupErrors: string[] };
  expect(outcome.phase).toBe('deleted');
  expect(outcome.cleanupErrors).toEqual([]);
  const snap = plugin.state.snapshot();
  expect([...snap.vpcs, ...snap.subnets, ...snap.nodes]).toEqual([]);
  expect(scenarioNetns()).toEqual([]);
  await controller!.waitForLine(/no node left; scenario torn down/);
});

test('a scenario whose last pod went away while no controller ran is torn down by the next one', async () => {
  await createPod('k8s-b-0', { 'meraksim.com/scenario': 'orphan', 'meraksim.com/num_vms': '1' });
  await setRunning('k8s-b-0');
  const orphan = handle('orphan');
  await controller!.waitForLine(/scenario started scenario=orphan/);
  for (let i = 0; i < 300; i++) {
    const s = await orphan.query(statusQuery).catch(() => undefined);
    if (s?.phase === 'ready') break;
    await sleep(300);
  }
  expect((await orphan.query(statusQuery)).phase).toBe('ready');
  await controller!.stop('SIGKILL');
  await deletePod('k8s-b-0');
  controller = startControllerProcess(controllerArgs);
  const outcome = (await orphan.result()) as { phase: string; cleanupErrors: string[] };
  expect(outcome.phase).toBe('deleted');
  expect(outcome.cleanupErrors).toEqual([]);
  await controller.waitForLine(/no node left; scenario torn down scenario=orphan/);
  const snap = plugin.state.snapshot();
  expect([...snap.vpcs, ...snap.subnets, ...snap.nodes]).toEqual([]);
  // Node namespaces are named mk-<tag>-<node>: none of this node is left.
  expect(netnsList()).not.toMatch(/-k8s-b-0/);
});
