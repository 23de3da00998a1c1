/**
 * A plugin Create whose outcome the workflow does not know may still land after the compensation
 * deleted its object (issue 11; found with OVN's northbound database frozen, but a kind of fault
 * of any provider). Here the provider is the real reference plugin behind a real gRPC plugin
 * server that holds chosen Creates past the caller's deadline and lets them land right after
 * their object's Delete (test/helpers/plugin.ts, startLateCreateProxy), on a real Temporal dev
 * server with the real compute worker. The build must fail with its cause, be compensated, and
 * leave nothing in the plugin, with no cleanup error.
 */
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { RunningReferencePlugin } from '../../src/plugin/reference/server';
import { scenarioWorkflowId, COMPUTE_TASK_QUEUE } from '../../src/model/queues';
import { pluginNodeName } from '../../src/model/identity';
import type { scenarioWorkflow } from '../../src/workflows';
import type { ScenarioInput } from '../../src/model/spec';
import { LATE_CREATE_PATCH } from '../../src/workflows/plugin-stage';
import { startLocalCloud, type LocalCloud } from '../helpers/local-cloud';
import { startLateCreateProxy } from '../helpers/plugin';

jest.setTimeout(120_000);

/** The namespaces of this file's scenarios (none expected: no VMs), checked at the end. */
const MARKER = /(latesub|latenode)-/;
let cloud: LocalCloud;
let env: TestWorkflowEnvironment;
let plugin: RunningReferencePlugin;

// Stage 1 only (no VMs): the compute worker and the plugin, no agent.
beforeAll(async () => {
  cloud = await startLocalCloud();
  ({ env, plugin } = cloud);
});

afterAll(async () => {
  await cloud?.stop(MARKER);
});

/**
 * Two VPCs (VNIs `vni`, `vni + 1`: each test its own, so a test that leaves objects behind does
 * not fail the next one), three subnets, three nodes, no VMs (stage 1 only: no agent needed);
 * a short plugin deadline and retry window.
 */
function spec(name: string, address: string, vni: number): ScenarioInput {
  return {
    name,
    plugin: { address, deadlineMs: 1_000, retryWindowMs: 4_000 },
    vpcs: [
      { id: `${name}-vpc-a`, vni, cidr: '10.1.0.0/16', subnets: [{ id: `${name}-a1`, cidr: '10.1.1.0/24' }, { id: `${name}-a2`, cidr: '10.1.2.0/24' }] },
      { id: `${name}-vpc-b`, vni: vni + 1, cidr: '10.2.0.0/16', subnets: [{ id: `${name}-b1`, cidr: '10.2.1.0/24' }] },
    ],
    nodes: [`${name}-n1`, `${name}-n2`, `${name}-n3`],
    vmsPerNode: 0,
  };
}

async function start(input: ScenarioInput): Promise<WorkflowHandle<typeof scenarioWorkflow>> {
  return env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', { taskQueue: COMPUTE_TASK_QUEUE, workflowId: scenarioWorkflowId(input.name), args: [input] });
}

/** What the reference plugin holds of one scenario (by owner: node names carry the scenario too). */
function objectsOf(name: string) {
  const snap = plugin.state.snapshot();
  return {
    vpcs: snap.vpcs.filter((v) => v.id.startsWith(`${name}-`)).map((v) => v.id),
    subnets: snap.subnets.filter((s) => s.id.startsWith(`${name}-`)).map((s) => s.id),
    nodes: snap.nodes.filter((n) => n.name.startsWith(`${name}-`)).map((n) => n.name),
  };
}

/** The build's failure: its message and the cleanup errors it carries. */
async function buildFailure(handle: WorkflowHandle): Promise<{ type?: string; message: string; cleanupErrors: unknown }> {
  const err = await handle.result().then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause as { type?: string; message: string; details?: Array<{ cleanupErrors?: unknown }> };
  return { type: cause.type, message: cause.message, cleanupErrors: cause.details?.[0]?.cleanupErrors };
}

/** Whether the run recorded the late-create patch marker (the new compensation ran): the ids in its markers' payloads. */
async function markedLateCreate(handle: WorkflowHandle): Promise<boolean> {
  const history = await handle.fetchHistory();
  const text = (history.events ?? [])
    .flatMap((e) => Object.values(e.markerRecordedEventAttributes?.details ?? {}))
    .flatMap((p) => p.payloads ?? [])
    .map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8'));
  return text.some((t) => t.includes(LATE_CREATE_PATCH));
}

test('a CreateSubnet that lands after its Delete: the VPC delete is refused, its subnets are deleted again, and nothing is left', async () => {
  const name = 'latesub';
  const proxy = await startLateCreateProxy(plugin.address, (key) => key === `subnet:${name}-a2`);
  try {
    const handle = await start(spec(name, proxy.address, 1101));
    const failure = await buildFailure(handle);
    expect(failure.type).toBe('ScenarioBuildFailed');
    // The held Create never answered: its attempts passed their deadline until the window closed.
    expect(failure.message).toMatch(/timed out|DEADLINE_EXCEEDED/);
    // The held Create did land after the subnet's first Delete, so the VPC's first Delete was
    // refused (FAILED_PRECONDITION) and the compensation deleted the subnet again.
    expect(proxy.landedLate[`subnet:${name}-a2`]).toBeGreaterThan(0);
    expect(proxy.calls.deleteVpc).toBeGreaterThanOrEqual(3);
    expect(proxy.calls.deleteSubnet).toBeGreaterThanOrEqual(proxy.calls.createSubnet > 0 ? 4 : 0);
    expect(proxy.calls.createNode).toBe(0);
    expect(failure.cleanupErrors).toEqual([]);
    expect(objectsOf(name)).toEqual({ vpcs: [], subnets: [], nodes: [] });
    expect(await markedLateCreate(handle)).toBe(true);
    if (process.env.MERAK_RECORD_HISTORIES === '1') {
      // For the replay test: the compensation's wait, VPC retry and second deletes in a history.
      await writeFile(join(__dirname, '..', 'histories', `${scenarioWorkflowId(name)}.json`), historyToJSON(await handle.fetchHistory()));
    }
  } finally {
    await proxy.close();
  }
});

test('a CreateNode that lands after its Delete: the node is deleted once more after the unwind, and nothing is left', async () => {
  const name = 'latenode';
  const late = pluginNodeName(name, `${name}-n2`);
  const proxy = await startLateCreateProxy(plugin.address, (key) => key === `node:${late}`);
  try {
    const handle = await start(spec(name, proxy.address, 1201));
    const failure = await buildFailure(handle);
    expect(failure.type).toBe('ScenarioBuildFailed');
    expect(failure.message).toMatch(/timed out|DEADLINE_EXCEEDED/);
    expect(proxy.landedLate[`node:${late}`]).toBeGreaterThan(0);
    // Deleted once by the unwind (after which the held Create landed) and once more after it.
    expect(proxy.calls.deleteNode).toBe(3 + 1);
    expect(failure.cleanupErrors).toEqual([]);
    expect(objectsOf(name)).toEqual({ vpcs: [], subnets: [], nodes: [] });
    expect(await markedLateCreate(handle)).toBe(true);
    if (process.env.MERAK_RECORD_HISTORIES === '1') {
      // For the replay test: the compensation's wait, VPC retry and second deletes in a history.
      await writeFile(join(__dirname, '..', 'histories', `${scenarioWorkflowId(name)}.json`), historyToJSON(await handle.fetchHistory()));
    }
  } finally {
    await proxy.close();
  }
});
