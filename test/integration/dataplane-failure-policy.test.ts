/**
 * The failure policy end to end: the real node workflow, on a real dev server, sends a payload
 * its agent refuses (an underlay that is no CIDR). The agent activity fails at once and for good
 * (InvalidInputError, non-retryable), so the workflow fails in seconds instead of retrying for
 * the whole 10-minute activity window; and the workflow scheduled it with the project's list of
 * non-retryable failure types. Needs no root: the payload is refused before anything is made.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { NON_RETRYABLE_FAILURE_TYPES } from '../../src/model/failures';
import { COMPUTE_TASK_QUEUE, nodeWorkflowId } from '../../src/model/queues';
import { createAgentWorkers } from '../../src/workers/agent';
import { createComputeWorker } from '../../src/workers/compute';
import type { nodeWorkflow } from '../../src/workflows';
import type { NodeWorkflowInput } from '../../src/workflows/node';
import { bundleWorkflows, createTestEnv } from '../helpers/temporal';

jest.setTimeout(120_000);

const stateDir = mkdtempSync(join(tmpdir(), 'merak-policy-'));
let env: TestWorkflowEnvironment;
const workers: Worker[] = [];
const runs: Promise<void>[] = [];
let closeCompute: () => void;

beforeAll(async () => {
  env = await createTestEnv();
  const compute = await createComputeWorker({ connection: env.nativeConnection, workflowBundle: await bundleWorkflows() });
  closeCompute = compute.close;
  const agents = await createAgentWorkers({ connection: env.nativeConnection, nodes: ['policy-0'], stateDir });
  workers.push(compute.worker, ...agents);
  for (const w of workers) runs.push(w.run());
});

afterAll(async () => {
  for (const w of workers) w.shutdown();
  await Promise.all(runs);
  closeCompute?.();
  await env?.teardown();
  rmSync(stateDir, { recursive: true, force: true });
});

test('a malformed agent payload fails the node workflow at once, not after the retry window', async () => {
  const input: NodeWorkflowInput = {
    scenario: 'policy',
    node: 'policy-0',
    slot: 0,
    plugin: 'none',
    underlayCidr: 'not-a-cidr',
    peers: [],
    current: 0,
    desired: 10,
    endpointsPerVm: 1,
    blockSize: 10,
    subnets: [{ index: 0, id: 'sn-1', vpc: 'vpc-1', cidr: '10.1.0.0/24', gateway: '10.1.0.1', vni: 100 }],
    ranges: [[[2, 10]]],
    batchSize: 10,
    rate: 'sequential',
    removeNode: false,
    // The window the scenario workflow gives agent activities: retried, this bad payload would keep the workflow busy for 10 minutes.
    activityTimeoutMs: 10 * 60_000,
  };
  const workflowId = nodeWorkflowId('policy', 'policy-0');
  const started = Date.now();
  const handle = await env.client.workflow.start<typeof nodeWorkflow>('nodeWorkflow', { taskQueue: COMPUTE_TASK_QUEUE, workflowId, args: [input] });
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  const elapsed = Date.now() - started;

  expect(err).toBeInstanceOf(WorkflowFailedError);
  const activity = (err as WorkflowFailedError).cause;
  expect(activity).toBeInstanceOf(ActivityFailure);
  const app = (activity as ActivityFailure).cause;
  expect(app).toBeInstanceOf(ApplicationFailure);
  expect(app).toMatchObject({ type: 'InvalidInputError', nonRetryable: true });
  expect((app as ApplicationFailure).message).toMatch(/invalid batch\.underlayCidr: "not-a-cidr"/);
  // Retried, the first retry alone would come 500 ms later and the workflow would not end for 10 minutes.
  expect(elapsed).toBeLessThan(30_000);

  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes!);
  expect(scheduled.map((s) => s.activityType?.name)).toEqual(['createBatch']);
  expect(scheduled[0].retryPolicy?.nonRetryableErrorTypes).toEqual([...NON_RETRYABLE_FAILURE_TYPES]);
  const attempts = events.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt);
  expect(attempts).toEqual([1]);
  // Refused before anything was made: no node state, no owner record.
  expect(readdirSync(stateDir)).toEqual([]);
});
