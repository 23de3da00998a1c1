/**
 * More nodes than NODE_GROUP_SIZE at once (`none`) against the real dev server, compute worker
 * and reference plugin:
 * - with an agent Worker per node (no `agentPool`), the scenario starts node group workflows,
 *   never a node workflow of its own, and each group's history holds its nodes' children only;
 * - with `agentPool`, each group is one reconcileNoneNodes activity on the pool's queue and no
 *   child workflow is started at all.
 * Built, scaled by update, torn down; a node that fails inside a group fails the build, naming
 * it, and everything made is undone. Records histories for the replay test.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createAgentActivities } from '../../src/activities/agent/activities';
import { spawnRunner } from '../../src/dataplane/command';
import { FileOwnerRecords } from '../../src/dataplane/owner-records';
import { createPluginRegistry, pluginDirsFromEnv } from '../../src/endpoint-plugins/registry';
import type { RunningReferencePlugin } from '../../src/plugin/reference/server';
import { reportQuery, scaleUpdate, statusQuery, teardownSignal } from '../../src/workflows/messages';
import { NODE_GROUP_SIZE, NODE_GROUPS_PATCH, NONE_POOL_BATCH_PATCH } from '../../src/workflows/vm-stage';
import type { ScenarioStatus } from '../../src/model/status';
import { COMPUTE_TASK_QUEUE, nodeGroupWorkflowId, scenarioWorkflowId } from '../../src/model/queues';
import type { scenarioWorkflow } from '../../src/workflows';
import type { ScenarioInput } from '../../src/model/spec';
import { startLocalCloud, waitForStatus, type LocalCloud } from '../helpers/local-cloud';

jest.setTimeout(300_000);

/** Two full groups and a part one. */
const NODES = 2 * NODE_GROUP_SIZE + 30;
let cloud: LocalCloud;
let env: TestWorkflowEnvironment;
let plugin: RunningReferencePlugin;
let stateDir: string;
/** The node whose createBatch fails, not retried (the failure test); none when empty. */
let failingNode = '';

beforeAll(async () => {
  // The real agent activities, but one node's createBatch fails when a test names it; the
  // records are the agents' own (the cloud's state folder, known once it exists).
  let real: ReturnType<typeof createAgentActivities> | undefined;
  const createBatch = async (input: Parameters<ReturnType<typeof createAgentActivities>['createBatch']>[0]) => {
    if (input.node === failingNode) throw ApplicationFailure.nonRetryable(`injected failure on ${input.node}`, 'InjectedFailure');
    real ??= createAgentActivities({ mode: 'local', runner: spawnRunner, records: new FileOwnerRecords(stateDir), plugins: createPluginRegistry({ runner: spawnRunner, dirs: pluginDirsFromEnv() }) });
    return real.createBatch(input);
  };
  // The pool, and one Worker per node of the node-group test (one poll each: 230 Workers).
  const perNode = Array.from({ length: NODES }, (_, i) => `groups-n${i}`);
  cloud = await startLocalCloud({ nodes: perNode, pool: true, extraActivities: { createBatch }, maxConcurrentActivityTaskPolls: 1 });
  ({ env, plugin, stateDir } = cloud);
});

afterAll(async () => {
  await cloud?.stop(/groups|poolbatch|groupfail/);
});

/** Each test's scenario has its own VNI and CIDR: one left running by a failed test must not refuse the next at preflight. */
function spec(name: string, nodes: number, vni: number, agentPool = true): ScenarioInput {
  return {
    name,
    plugin: { address: plugin.address, deadlineMs: 5_000, retryWindowMs: 60_000 },
    dataplane: 'none',
    agentPool,
    vpcs: [{ id: `${name}-vpc`, vni, cidr: `10.${vni - 4020}.0.0/16`, subnets: [{ id: `${name}-s1`, cidr: `10.${vni - 4020}.0.0/16` }] }],
    nodes: Array.from({ length: nodes }, (_, i) => `${name}-n${i}`),
    vmsPerNode: 3,
    batchSize: 2,
  };
}

const waitFor = (handle: WorkflowHandle, ok: (s: ScenarioStatus) => boolean, what: string, timeoutMs = 180_000): Promise<ScenarioStatus> =>
  waitForStatus(handle, ok, what, { timeoutMs });

const pluginNodes = (prefix: string) => plugin.state.snapshot().nodes.filter((n) => n.name.startsWith(prefix)).length;
const stateFiles = (name: string) => readdirSync(stateDir, { recursive: true }).map(String).filter((f) => f.includes(`${name}-n`));

/** Child workflow types a history started, in order. */
async function childTypes(handle: WorkflowHandle): Promise<string[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name).filter((t): t is string => t !== undefined && t !== null);
}

/** Patch markers a history recorded, in order. */
async function markers(handle: WorkflowHandle): Promise<string[]> {
  const payloads = ((await handle.fetchHistory()).events ?? []).map((e) => e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]).filter((p) => p !== null && p !== undefined);
  return payloads.map((p) => defaultPayloadConverter.fromPayload<{ id: string }>(p).id);
}

/** Activity types a history scheduled, each with how often. */
async function activityCounts(handle: WorkflowHandle): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of (await handle.fetchHistory()).events ?? []) {
    const t = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (t) out[t] = (out[t] ?? 0) + 1;
  }
  return out;
}

test(`${NODES} none nodes with an agent per node: built, scaled and torn down through node groups of ${NODE_GROUP_SIZE}, no node workflow in the scenario's history`, async () => {
  const name = 'groups';
  const handle = await env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', {
    taskQueue: COMPUTE_TASK_QUEUE,
    workflowId: scenarioWorkflowId(name),
    args: [spec(name, NODES, 4101, false)],
  });
  const ready = await waitFor(handle, (s) => s.phase === 'ready', 'ready');
  expect(ready.nodes).toHaveLength(NODES);
  expect(ready.nodes.every((n) => n.vms === 3 && n.phase === 'ready' && !n.running)).toBe(true);
  expect(ready.progress).toEqual({ done: 3 * NODES, total: 3 * NODES, unit: 'VMs' });
  expect(pluginNodes(`${name}-`)).toBe(NODES);

  // The scenario started three groups and no node workflow; the patch marker is in its history.
  expect(await childTypes(handle)).toEqual(['nodeGroupWorkflow', 'nodeGroupWorkflow', 'nodeGroupWorkflow']);
  expect(await markers(handle)).toContain(NODE_GROUPS_PATCH);
  expect(await markers(handle)).not.toContain(NONE_POOL_BATCH_PATCH);
  // Each group started its share of the nodes, in spec order, and its history stays small.
  const sizes: number[] = [];
  for (let g = 1; g <= 3; g++) {
    const group = env.client.workflow.getHandle(nodeGroupWorkflowId(name, 0, g));
    const types = await childTypes(group);
    expect(new Set(types)).toEqual(new Set(['nodeWorkflow']));
    sizes.push(types.length);
    expect((await group.describe()).historyLength).toBeLessThan(8 * NODE_GROUP_SIZE);
  }
  expect(sizes).toEqual([NODE_GROUP_SIZE, NODE_GROUP_SIZE, NODES - 2 * NODE_GROUP_SIZE]);

  // Scale every node by update: answered once each has its VMs, again through groups.
  const result = await handle.executeUpdate(scaleUpdate, { args: [{ vmsPerNode: 1 }] });
  expect(result.nodes).toHaveLength(NODES);
  const scaled = await handle.query(statusQuery);
  expect(scaled.nodes.every((n) => n.vms === 1 && n.phase === 'ready')).toBe(true);
  expect(await childTypes(handle)).toEqual(Array.from({ length: 6 }, () => 'nodeGroupWorkflow'));

  if (process.env.MERAK_RECORD_HISTORIES === '1') {
    await writeFile(join(__dirname, '..', 'histories', `${scenarioWorkflowId(name)}.json`), historyToJSON(await handle.fetchHistory()));
    const group = env.client.workflow.getHandle(nodeGroupWorkflowId(name, 0, 3));
    await writeFile(join(__dirname, '..', 'histories', `${nodeGroupWorkflowId(name, 0, 3)}.json`), historyToJSON(await group.fetchHistory()));
  }

  await handle.signal(teardownSignal);
  const outcome = await handle.result();
  expect(outcome).toMatchObject({ phase: 'deleted', cleanupErrors: [] });
  expect(pluginNodes(`${name}-`)).toBe(0);
  expect(stateFiles(name)).toEqual([]);
  // Teardown removed the nodes through groups too: 3 more.
  expect(await childTypes(handle)).toEqual(Array.from({ length: 9 }, () => 'nodeGroupWorkflow'));
});

test(`${NODES} none nodes with agentPool: built, scaled and torn down by one reconcileNoneNodes activity per ${NODE_GROUP_SIZE} nodes, no child workflow at all`, async () => {
  const name = 'poolbatch';
  const handle = await env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', {
    taskQueue: COMPUTE_TASK_QUEUE,
    workflowId: scenarioWorkflowId(name),
    args: [spec(name, NODES, 4103)],
  });
  const ready = await waitFor(handle, (s) => s.phase === 'ready', 'ready');
  expect(ready.nodes).toHaveLength(NODES);
  expect(ready.nodes.every((n) => n.vms === 3 && n.phase === 'ready' && !n.running)).toBe(true);
  expect(ready.progress).toEqual({ done: 3 * NODES, total: 3 * NODES, unit: 'VMs' });
  expect(pluginNodes(`${name}-`)).toBe(NODES);
  // Every node's VMs and endpoints are in its state files (3 VMs of one endpoint each).
  expect(stateFiles(name).filter((f) => f.endsWith('.none.json'))).toHaveLength(NODES);

  expect(await childTypes(handle)).toEqual([]);
  expect(await markers(handle)).toEqual(expect.arrayContaining([NODE_GROUPS_PATCH, NONE_POOL_BATCH_PATCH]));
  expect((await activityCounts(handle)).reconcileNoneNodes).toBe(3);
  // The agent's measurements reached the report as a node workflow's would: every node's batches.
  const report = await handle.query(reportQuery);
  expect(report.metrics.ops['vm.create']?.count).toBe(3 * NODES);
  expect(Object.keys(report.nodes)).toHaveLength(NODES);

  const result = await handle.executeUpdate(scaleUpdate, { args: [{ vmsPerNode: 1 }] });
  expect(result.nodes).toHaveLength(NODES);
  const scaled = await handle.query(statusQuery);
  expect(scaled.nodes.every((n) => n.vms === 1 && n.phase === 'ready')).toBe(true);
  expect((await activityCounts(handle)).reconcileNoneNodes).toBe(6);
  expect(await childTypes(handle)).toEqual([]);

  if (process.env.MERAK_RECORD_HISTORIES === '1') {
    await writeFile(join(__dirname, '..', 'histories', `${scenarioWorkflowId(name)}.json`), historyToJSON(await handle.fetchHistory()));
  }

  await handle.signal(teardownSignal);
  expect(await handle.result()).toMatchObject({ phase: 'deleted', cleanupErrors: [] });
  expect(pluginNodes(`${name}-`)).toBe(0);
  expect(stateFiles(name)).toEqual([]);
  expect((await activityCounts(handle)).reconcileNoneNodes).toBe(9);
  expect(await childTypes(handle)).toEqual([]);
});

test('with agentPool, a node that fails inside a group fails the build, naming the node and the cause, and everything is undone', async () => {
  const name = 'groupfail';
  failingNode = `${name}-n${NODE_GROUP_SIZE + 7}`;
  try {
    const handle = await env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', {
      taskQueue: COMPUTE_TASK_QUEUE,
      workflowId: scenarioWorkflowId(name),
      args: [spec(name, NODE_GROUP_SIZE + 20, 4102)],
    });
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    const cause = (err as { cause?: { message?: string; type?: string } }).cause;
    expect(cause?.type).toBe('ScenarioBuildFailed');
    expect(cause?.message).toContain(`node ${failingNode}: `);
    expect(cause?.message).toContain(`injected failure on ${failingNode}`);
    expect(pluginNodes(`${name}-`)).toBe(0);
    expect(stateFiles(name)).toEqual([]);
    const status = await handle.query(statusQuery);
    expect(status).toMatchObject({ phase: 'failed', cleanupErrors: [] });
  } finally {
    failingNode = '';
  }
});
