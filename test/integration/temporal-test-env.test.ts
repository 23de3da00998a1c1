import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { MERAK_SCENARIO } from '../../src/temporal/search-attributes';
import { echoWorkflow } from '../fixtures/temporal/workflows';
import { bundleWorkflows, createTestEnv, WORKFLOWS_ENTRY } from '../helpers/temporal';

jest.setTimeout(180_000);

const FIXTURE_WORKFLOWS = join(__dirname, '..', 'fixtures', 'temporal', 'workflows.ts');

describe('createTestEnv (real dev server from the provided Temporal CLI)', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('registers MerakScenario as a Keyword search attribute', async () => {
    const res = await env.connection.operatorService.listSearchAttributes({ namespace: env.namespace ?? 'default' });
    expect(res.customAttributes.MerakScenario).toBe(temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
  });

  it('runs a fixture workflow on a worker and stores its search attribute', async () => {
    const taskQueue = `merak-test-env-${process.pid}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle: await bundleWorkflows(FIXTURE_WORKFLOWS),
    });
    const workflowId = `merak-test-env-echo-${Date.now()}`;
    const result = await worker.runUntil(
      env.client.workflow.execute(echoWorkflow, {
        taskQueue,
        workflowId,
        args: ['ping'],
        typedSearchAttributes: [{ key: MERAK_SCENARIO, value: 'test-env' }],
      }),
    );
    expect(result).toBe('echoWorkflow: ping');
    const description = await env.client.workflow.getHandle(workflowId).describe();
    expect(description.typedSearchAttributes.get(MERAK_SCENARIO)).toBe('test-env');
  });
});

// The worker bundles src/workflows/index.ts; a bundling error (a Node import in workflow code)
// must fail CI here too, not only at worker start.
(existsSync(WORKFLOWS_ENTRY) ? it : it.skip)('bundles the project workflows (src/workflows/index.ts)', async () => {
  const bundle = await bundleWorkflows(WORKFLOWS_ENTRY);
  expect(bundle.code.length).toBeGreaterThan(1000);
});
