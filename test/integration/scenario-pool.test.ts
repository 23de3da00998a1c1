/**
 * A `none` scenario with `agentPool: true` against the real dev server, compute worker and
 * reference plugin: 60 nodes (more than one createNodes batch) served by one pooled agent
 * Worker on merak-agent-pool and no per-node Worker at all. Built, scaled down by update, torn
 * down; the plugin and the node state files end empty. Records a history for the replay test.
 */
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RunningReferencePlugin } from '../../src/plugin/reference/server';
import { scaleUpdate, statusQuery, teardownSignal } from '../../src/workflows/messages';
import type { ScenarioStatus } from '../../src/model/status';
import { AGENT_POOL_TASK_QUEUE, COMPUTE_TASK_QUEUE, nodeWorkflowId, scenarioWorkflowId } from '../../src/model/queues';
import type { scenarioWorkflow } from '../../src/workflows';
import type { ScenarioInput } from '../../src/model/spec';
import { startLocalCloud, waitForStatus, type LocalCloud } from '../helpers/local-cloud';

jest.setTimeout(180_000);

const NODES = 60;
let cloud: LocalCloud;
let env: TestWorkflowEnvironment;
let plugin: RunningReferencePlugin;
let stateDir: string;

beforeAll(async () => {
  // No node names: the pool Worker alone serves every node.
  cloud = await startLocalCloud({ pool: true });
  ({ env, plugin, stateDir } = cloud);
});

afterAll(async () => {
  await cloud?.stop('pool-');
});

function spec(name: string): ScenarioInput {
  return {
    name,
    plugin: { address: plugin.address, deadlineMs: 5_000, retryWindowMs: 60_000 },
    dataplane: 'none',
    agentPool: true,
    vpcs: [{ id: `${name}-vpc`, vni: 4001, cidr: '10.80.0.0/16', subnets: [{ id: `${name}-s1`, cidr: '10.80.0.0/16' }] }],
    nodes: Array.from({ length: NODES }, (_, i) => `${name}-n${i}`),
    vmsPerNode: 30,
    batchSize: 20,
  };
}

const waitFor = (handle: WorkflowHandle, ok: (s: ScenarioStatus) => boolean, what: string, timeoutMs = 120_000): Promise<ScenarioStatus> =>
  waitForStatus(handle, ok, what, { timeoutMs, everyMs: 200 });

const pluginNodes = (prefix: string) => plugin.state.snapshot().nodes.filter((n) => n.name.startsWith(prefix)).length;

test('60 none nodes on one pooled agent Worker: built and torn down in node batches, scaled by update, nothing left', async () => {
  const name = 'pool';
  const handle = await env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', {
    taskQueue: COMPUTE_TASK_QUEUE,
    workflowId: scenarioWorkflowId(name),
    args: [spec(name)],
  });
  const ready = await waitFor(handle, (s) => s.phase === 'ready', 'ready');
  expect(ready.nodes).toHaveLength(NODES);
  expect(ready.nodes.every((n) => n.vms === 30 && n.phase === 'ready')).toBe(true);
  expect(pluginNodes(`${name}-`)).toBe(NODES);

  // Stage 1 made the 60 nodes in two createNodes activities, not 60 createNode ones.
  const history = await handle.fetchHistory();
  const scheduled = (history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes).filter((a) => a !== null && a !== undefined);
  const types = scheduled.map((a) => a!.activityType?.name);
  expect(types.filter((t) => t === 'createNodes')).toHaveLength(2);
  expect(types).not.toContain('createNode');

  // A node's batches went to the pool queue as createBatch (node + VMs + endpoints in one call).
  const node0 = await env.client.workflow.getHandle(nodeWorkflowId(name, `${name}-n0`)).fetchHistory();
  const nodeActs = (node0.events ?? []).map((e) => e.activityTaskScheduledEventAttributes).filter((a) => a !== null && a !== undefined);
  expect(nodeActs.map((a) => a!.activityType?.name)).toEqual(['createBatch', 'createBatch']);
  expect(new Set(nodeActs.map((a) => a!.taskQueue?.name))).toEqual(new Set([AGENT_POOL_TASK_QUEUE]));

  // Scale one node down by update: answered once its VMs are gone.
  const result = await handle.executeUpdate(scaleUpdate, { args: [{ vmsPerNode: 5, node: `${name}-n7` }] });
  expect(result).toEqual({ nodes: [`${name}-n7`], vmsPerNode: 5 });
  const scaled = await handle.query(statusQuery);
  expect(scaled.nodes.find((n) => n.name === `${name}-n7`)!.vms).toBe(5);

  if (process.env.MERAK_RECORD_HISTORIES === '1') {
    await writeFile(join(__dirname, '..', 'histories', `${scenarioWorkflowId(name)}.json`), historyToJSON(await handle.fetchHistory()));
    await writeFile(join(__dirname, '..', 'histories', `${nodeWorkflowId(name, `${name}-n0`)}.json`), historyToJSON(node0));
  }

  await handle.signal(teardownSignal);
  const outcome = await handle.result();
  expect(outcome).toMatchObject({ phase: 'deleted', cleanupErrors: [] });
  expect(pluginNodes(`${name}-`)).toBe(0);
  // The teardown deleted the 60 plugin nodes in two deleteNodes activities as well.
  const last = (await handle.fetchHistory()).events ?? [];
  const deletes = last.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter((t) => t === 'deleteNodes' || t === 'deleteNode');
  expect(deletes).toEqual(['deleteNodes', 'deleteNodes']);
  // Every node's state (its virtual VM and endpoint ranges) is gone with it.
  const left = readdirSync(stateDir, { recursive: true }).map(String).filter((f) => f.includes(`${name}-n`));
  expect(left).toEqual([]);
});
