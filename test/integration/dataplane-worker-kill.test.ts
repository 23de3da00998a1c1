/**
 * The worker killed half-way: a real agent worker process runs createVms for 600 VMs under a
 * real Temporal dev server; the test SIGKILLs the process once part of the batch exists, starts a
 * new worker process, and Temporal retries the activity (heartbeat timeout) from its last
 * heartbeat. The node ends with exactly the 600 requested VMs, each with loopback up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { bundleWorkflows, createTestEnv } from '../helpers/temporal';
import { isRoot, makeFixture, netnsNames, vmInterfaces } from './dataplane-fixture';
import { parseVmNetns, vmNetns } from '../../src/dataplane/names';

const describeRoot = isRoot ? describe : describe.skip;
jest.setTimeout(240_000);

function startAgent(address: string, namespace: string, node: string, stateDir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['-r', path.join(__dirname, 'dataplane-ts-loader.js'), path.join(__dirname, 'dataplane-agent-child.ts'), address, namespace, node, stateDir],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`agent child exited early (${code})`)));
  });
}

describeRoot('agent worker killed half-way', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  test('Temporal retries the batch on a new worker and the node ends exactly as requested', async () => {
    const f = makeFixture('kill');
    const children: ChildProcess[] = [];
    try {
      await f.agent.ensureNode({ scenario: f.scenario, node: 'node-0', nodeSlot: 0 });
      const tag = await f.tag();
      const count = () => netnsNames().filter((n) => parseVmNetns(tag, 'node-0', n) !== undefined).length;
      const address = env.address;
      const namespace = env.namespace ?? 'default';
      children.push(await startAgent(address, namespace, 'node-0', f.stateDir));

      const wfWorker = await Worker.create({
        connection: env.nativeConnection,
        namespace,
        taskQueue: 'dataplane-test',
        workflowBundle: await bundleWorkflows(path.join(__dirname, 'dataplane-workflows.ts')),
      });
      const result = await wfWorker.runUntil(async () => {
        const handle = await env.client.workflow.start('createVmsOnce', {
          taskQueue: 'dataplane-test',
          workflowId: `dataplane-kill-${f.scenario}`,
          args: [{ scenario: f.scenario, node: 'node-0', from: 0, count: 600 }],
        });
        // Kill the worker once the batch is under way (some, not all, namespaces exist).
        const deadline = Date.now() + 60_000;
        while (count() < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        const before = count();
        children[0].kill('SIGKILL');
        expect(before).toBeGreaterThanOrEqual(100);
        expect(before).toBeLessThan(600);
        children.push(await startAgent(address, namespace, 'node-0', f.stateDir));
        return handle.result();
      });
      expect(result).toBeGreaterThan(0);
      expect(result).toBeLessThanOrEqual(600);
      const names = netnsNames().filter((n) => parseVmNetns(tag, 'node-0', n) !== undefined);
      expect(names.sort()).toEqual(Array.from({ length: 600 }, (_, i) => vmNetns(tag, 'node-0', i)).sort());
      const loDown = names.filter((n) => vmInterfaces(n).find((i) => i.ifname === 'lo')?.operstate !== 'UNKNOWN');
      expect(loDown).toEqual([]);
      const history = await env.client.workflow.getHandle(`dataplane-kill-${f.scenario}`).fetchHistory();
      const attempts = history.events?.find((e) => e.activityTaskStartedEventAttributes)?.activityTaskStartedEventAttributes?.attempt;
      expect(attempts).toBeGreaterThanOrEqual(2);
    } finally {
      for (const c of children) c.kill('SIGKILL');
      await f.finish();
    }
  });
});
