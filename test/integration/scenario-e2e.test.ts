/**
 * The whole scenario against the real Temporal dev server, the real reference network plugin on
 * loopback, real node agents and real namespaces (root): built, all four test kinds pass, VPC
 * isolation holds, scaled by signal and by update, `apply` reaches the plugin's Update, a failure
 * in the middle of node creation leaves nothing, and teardown leaves nothing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { PluginError, Status } from '../../src/plugin/sdk';
import { findTag } from '../../src/dataplane/tags';
import { applySignal, resultsQuery, scaleSignal, scaleUpdate, statusQuery, teardownSignal } from '../../src/workflows/messages';
import type { ScenarioStatus } from '../../src/model/status';
import { COMPUTE_TASK_QUEUE, nodeWorkflowId, scenarioWorkflowId } from '../../src/model/queues';
import type { scenarioWorkflow } from '../../src/workflows';
import type { ScenarioInput } from '../../src/model/spec';
import { netnsList, startLocalCloud, waitForStatus, type LocalCloud } from '../helpers/local-cloud';
import { startFaultProxy } from '../helpers/plugin';

jest.setTimeout(300_000);

const NODES = ['e2e-a', 'e2e-b', 'e2e-c'];
const stateDir = mkdtempSync(join(tmpdir(), 'merak-e2e-'));
let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startLocalCloud({ nodes: NODES, stateDir });
});
afterAll(async () => {
  await cloud?.stop('e2e');
});

function spec(name: string, address: string, overrides: Partial<ScenarioInput> = {}, vni = 2100): ScenarioInput {
  return {
    name,
    plugin: { address, deadlineMs: 5_000, retryWindowMs: 20_000 },
    dataplane: 'reference',
    vpcs: [
      { id: `${name}-blue`, vni: vni + 1, cidr: '10.61.0.0/16', subnets: [{ id: `${name}-blue-1`, cidr: '10.61.1.0/24' }] },
      { id: `${name}-green`, vni: vni + 2, cidr: '10.62.0.0/16', subnets: [{ id: `${name}-green-1`, cidr: '10.62.1.0/24' }] },
    ],
    nodes: NODES,
    vmsPerNode: 2,
    underlay: { cidr: '100.99.0.0/24' },
    tests: { kinds: ['icmp', 'tcp', 'udp', 'iperf'], pairs: 'ring', negative: true },
    ...overrides,
  };
}

async function start(input: ScenarioInput): Promise<WorkflowHandle<typeof scenarioWorkflow>> {
  return cloud.env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', { taskQueue: COMPUTE_TASK_QUEUE, workflowId: scenarioWorkflowId(input.name), args: [input] });
}

const waitFor = (handle: WorkflowHandle, ok: (s: ScenarioStatus) => boolean, what: string, timeoutMs = 180_000): Promise<ScenarioStatus> =>
  waitForStatus(handle, ok, what, { timeoutMs, everyMs: 300 });

const vmsOnNodes = (s: ScenarioStatus) => s.nodes.map((n) => n.vms);
const pluginObjects = (prefix: string) => {
  const snap = cloud.plugin.state.snapshot();
  return [...snap.vpcs.map((v) => v.id), ...snap.subnets.map((s) => s.id), ...snap.nodes.map((n) => n.name)].filter((id) => id.startsWith(prefix));
};
/** VM namespaces of the scenario in the kernel, by its tag (`mk-<tag>-<node>_<index>`; routers are `_r-<vpc>`). */
const vmNamespaces = (tag: string) => netnsList().split('\n').filter((l) => l.startsWith(`mk-${tag}-`) && /_\d+$/.test(l.split(' ')[0]!)).length;

test('the demo-sized scenario: built, four test kinds pass, VPC isolation holds, scaled, applied, torn down to nothing', async () => {
  const name = 'e2e';
  const handle = await start(spec(name, cloud.plugin.address));
  try {
    await demoScenario(name, handle);
  } finally {
    await teardownIfRunning(handle);
  }
});

/** Whatever a failed assertion left running is torn down, so the kernel check in afterAll is about leaks, not about a failed test. */
async function teardownIfRunning(handle: WorkflowHandle<typeof scenarioWorkflow>): Promise<void> {
  if ((await handle.describe()).status.name !== 'RUNNING') return;
  await handle.signal(teardownSignal);
  await handle.result().catch(() => undefined);
}

async function demoScenario(name: string, handle: WorkflowHandle<typeof scenarioWorkflow>): Promise<void> {
  const ready = await waitFor(handle, (s) => s.phase === 'ready', 'ready');
  expect(vmsOnNodes(ready)).toEqual([2, 2, 2]);
  if (process.env.MERAK_RECORD_HISTORIES === '1') {
    // The build run of one node (its latest run until the first scale).
    const built = cloud.env.client.workflow.getHandle(nodeWorkflowId(name, NODES[1]!));
    await writeFile(join(__dirname, '..', 'histories', `${nodeWorkflowId(name, NODES[1]!)}.json`), historyToJSON(await built.fetchHistory()));
  }
  const tag = (await findTag(stateDir, name))!;
  expect(tag).toBeDefined();
  expect(vmNamespaces(tag)).toBe(6);

  const results = await handle.query(resultsQuery);
  const kinds = new Set(results.map((r) => r.kind));
  expect([...kinds].sort()).toEqual(['icmp', 'iperf', 'tcp', 'udp']);
  const failed = results.filter((r) => !r.pass);
  expect(failed).toEqual([]);
  // Negative checks ran and passed: VMs of different VPCs could not reach each other.
  expect(results.filter((r) => r.negative).length).toBeGreaterThan(0);
  expect(results.filter((r) => !r.negative && r.kind === 'icmp').every((r) => typeof r.latencyMs === 'number')).toBe(true);
  expect(results.filter((r) => r.kind === 'iperf' && !r.negative).every((r) => (r.throughputBps ?? 0) > 0)).toBe(true);

  // Scale up by signal.
  await handle.signal(scaleSignal, { vmsPerNode: 3 });
  const up = await waitFor(handle, (s) => s.phase === 'ready' && vmsOnNodes(s).every((v) => v === 3), 'scaled to 3');
  expect(vmsOnNodes(up)).toEqual([3, 3, 3]);
  expect(vmNamespaces(tag)).toBe(9);

  // The update's validator refuses bad values with a message, and nothing changes.
  for (const bad of [-1, 1e9, 1.5]) {
    const err = await handle.executeUpdate(scaleUpdate, { args: [{ vmsPerNode: bad }] }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((err as WorkflowUpdateFailedError).cause?.message)).toContain(`vmsPerNode: value ${JSON.stringify(bad)}`);
  }
  const unknownNode = await handle.executeUpdate(scaleUpdate, { args: [{ vmsPerNode: 1, node: 'nope' }] }).then(() => undefined, (e: unknown) => e);
  expect(String((unknownNode as WorkflowUpdateFailedError).cause?.message)).toContain('node: value "nope" is not a node of scenario e2e');
  expect(vmsOnNodes(await handle.query(statusQuery))).toEqual([3, 3, 3]);

  // Scale one node down by update: the highest-index VMs go.
  const result = await handle.executeUpdate(scaleUpdate, { args: [{ vmsPerNode: 1, node: 'e2e-b' }] });
  expect(result).toEqual({ nodes: ['e2e-b'], vmsPerNode: 1 });
  expect(vmsOnNodes(await handle.query(statusQuery))).toEqual([3, 1, 3]);
  expect(vmNamespaces(tag)).toBe(7);

  // apply with a changed subnet field reaches the plugin's Update.
  const changed = spec(name, cloud.plugin.address);
  changed.vpcs[1]!.subnets[0]!.optional = { owner: 'team-green' };
  await handle.signal(applySignal, changed);
  await waitFor(handle, () => cloud.plugin.state.snapshot().subnets.some((s) => s.id === 'e2e-green-1' && s.optional.owner === 'team-green'), 'subnet updated');
  // The applied spec is the desired state: its count (2 per node) replaces the earlier scale requests.
  await waitFor(handle, (s) => s.phase === 'ready' && vmsOnNodes(s).join() === '2,2,2', 'applied counts');
  expect(vmNamespaces(tag)).toBe(6);

  await handle.signal(teardownSignal);
  const outcome = await handle.result();
  expect(outcome.phase).toBe('deleted');
  expect(outcome.cleanupErrors).toEqual([]);
  expect(pluginObjects(`${name}-`)).toEqual([]);
  // The VMs, the nodes and the shared fabric are gone, and the scenario's tag is free again.
  expect(netnsList()).not.toContain(`mk-${tag}`);
  expect(await findTag(stateDir, name)).toBeUndefined();

  if (process.env.MERAK_RECORD_HISTORIES === '1') {
    await writeFile(join(__dirname, '..', 'histories', `${scenarioWorkflowId(name)}.json`), historyToJSON(await handle.fetchHistory()));
    // The last run of one node's child workflow (its teardown) as well.
    const child = cloud.env.client.workflow.getHandle(nodeWorkflowId(name, NODES[0]!));
    await writeFile(join(__dirname, '..', 'histories', `${nodeWorkflowId(name, NODES[0]!)}.json`), historyToJSON(await child.fetchHistory()));
  }
}

test('a failure in the middle of node creation leaves nothing in the plugin or the kernel', async () => {
  const name = 'e2efail';
  const proxy = await startFaultProxy(cloud.plugin.address, (method, _req, n) =>
    method === 'createNode' && n === 2 ? new PluginError(Status.FAILED_PRECONDITION, 'injected: node quota exhausted') : undefined,
  );
  try {
    const handle = await start(spec(name, proxy.address, {}, 2200));
    const err = (await handle.result().then(() => undefined, (e: unknown) => e)) as WorkflowFailedError;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String(err.cause?.message)).toContain('injected: node quota exhausted');
    expect(pluginObjects(`${name}-`)).toEqual([]);
    expect(cloud.plugin.state.snapshot().nodes).toEqual([]);
    const tag = await findTag(stateDir, name);
    if (tag) expect(netnsList()).not.toContain(`mk-${tag}-`);
  } finally {
    await proxy.close();
  }
});
