/**
 * A local node whose spec gives its address (`nodes: [{ name, ip }]`) gets that address as its
 * underlay address, the one the plugin and the other nodes' VXLAN devices are told: real Temporal
 * dev server, real reference plugin, real agents and namespaces (root). Before, the node got its
 * slot's address while its peers sent to the given one, and every cross-node check failed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createComputeWorker } from '../../src/workers/compute';
import { createAgentWorkers } from '../../src/workers/agent';
import { createTestingActivities } from '../../src/activities/testing/activities';
import { startReferencePlugin, type RunningReferencePlugin } from '../../src/plugin/reference/server';
import { findTag } from '../../src/dataplane/tags';
import { nodeNetns, underlayNodeEnd } from '../../src/dataplane/names';
import { cleanAll } from '../../src/dataplane/clean';
import { spawnRunner } from '../../src/dataplane/command';
import { FileOwnerRecords } from '../../src/dataplane/owner-records';
import { resultsQuery, statusQuery, teardownSignal } from '../../src/workflows/messages';
import type { ScenarioStatus } from '../../src/model/status';
import { COMPUTE_TASK_QUEUE, scenarioWorkflowId } from '../../src/model/queues';
import type { scenarioWorkflow } from '../../src/workflows';
import type { ScenarioInput } from '../../src/model/spec';
import { bundleWorkflows, createTestEnv } from '../helpers/temporal';
import { isRoot } from './dataplane-fixture';

jest.setTimeout(300_000);
const describeRoot = isRoot ? describe : describe.skip;

const NODES = ['nip-a', 'nip-b', 'nip-c'];
const stateDir = mkdtempSync(join(tmpdir(), 'merak-nip-'));
let env: TestWorkflowEnvironment;
let plugin: RunningReferencePlugin;
const workers: Worker[] = [];
let running: Promise<unknown>;
let closeCompute: () => void;
const netnsList = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
const rootNet = () => JSON.stringify([execFileSync('ip', ['-j', 'addr'], { encoding: 'utf8' }), execFileSync('ip', ['-j', 'route'], { encoding: 'utf8' })]);
let rootBefore: string;

describeRoot('local nodes with given addresses', () => {
  beforeAll(async () => {
    rootBefore = rootNet();
    env = await createTestEnv();
    plugin = await startReferencePlugin({ port: 0 });
    const compute = await createComputeWorker({ connection: env.nativeConnection, workflowBundle: await bundleWorkflows() });
    closeCompute = compute.close;
    workers.push(compute.worker);
    workers.push(...(await createAgentWorkers({ connection: env.nativeConnection, nodes: NODES, stateDir, extraActivities: createTestingActivities({ stateDir }) })));
    running = Promise.all(workers.map((w) => w.run()));
  });

  afterAll(async () => {
    workers.forEach((w) => w.shutdown());
    await running;
    closeCompute?.();
    await plugin?.close();
    await env?.teardown();
    const leaked = netnsList().split('\n').filter((l) => l.includes('nip-'));
    await cleanAll({ runner: spawnRunner, records: new FileOwnerRecords(stateDir) });
    rmSync(stateDir, { recursive: true, force: true });
    expect(leaked).toEqual([]);
    expect(rootNet()).toBe(rootBefore);
  });

  async function waitReady(handle: WorkflowHandle, timeoutMs = 180_000): Promise<ScenarioStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: ScenarioStatus | undefined;
    while (Date.now() < deadline) {
      last = await handle.query(statusQuery);
      if (last.phase === 'ready' || last.phase === 'failed') return last;
      await new Promise((r) => setTimeout(r, 300));
    }
    throw new Error(`not ready; last status ${JSON.stringify(last)}`);
  }

  /** The IPv4 address on the node namespace's underlay device. */
  function underlayOf(tag: string, node: string): string[] {
    const out = execFileSync('ip', ['-n', nodeNetns(tag, node), '-j', '-4', 'addr', 'show', 'dev', underlayNodeEnd(tag)], { encoding: 'utf8' });
    return (JSON.parse(out) as Array<{ addr_info: Array<{ local: string }> }>).flatMap((l) => l.addr_info.map((a) => a.local));
  }

  test('given addresses are the underlay addresses; pings and TCP cross every node', async () => {
    const input: ScenarioInput = {
      name: 'nip',
      plugin: { address: plugin.address, deadlineMs: 5_000, retryWindowMs: 20_000 },
      dataplane: 'reference',
      underlay: { cidr: '100.98.0.0/24' },
      vpcs: [{ id: 'nip-blue', vni: 2401, cidr: '10.81.0.0/16', subnets: [{ id: 'nip-blue-1', cidr: '10.81.1.0/24' }] }],
      // a: given, b: its slot's (100.98.0.2), c: given, far from its slot.
      nodes: [{ name: 'nip-a', ip: '100.98.0.77' }, 'nip-b', { name: 'nip-c', ip: '100.98.0.200' }],
      vmsPerNode: 1,
      tests: { kinds: ['icmp', 'tcp'], pairs: 'all', negative: false },
    };
    const handle = await env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', { taskQueue: COMPUTE_TASK_QUEUE, workflowId: scenarioWorkflowId(input.name), args: [input] });
    try {
      const status = await waitReady(handle);
      expect(status.error).toBeUndefined();
      expect(status.phase).toBe('ready');
      const tag = (await findTag(stateDir, 'nip'))!;
      expect(underlayOf(tag, 'nip-a')).toEqual(['100.98.0.77']);
      expect(underlayOf(tag, 'nip-b')).toEqual(['100.98.0.2']);
      expect(underlayOf(tag, 'nip-c')).toEqual(['100.98.0.200']);
      // The plugin was told the same addresses.
      expect(plugin.state.snapshot().nodes.map((n) => [n.name, n.ip]).sort()).toEqual([
        ['nip-a.nip', '100.98.0.77'],
        ['nip-b.nip', '100.98.0.2'],
        ['nip-c.nip', '100.98.0.200'],
      ]);
      const results = await handle.query(resultsQuery);
      // All pairs of the three VMs (one per node), both kinds: every pair crosses nodes, and
      // every node pair, given and derived addresses alike, is tested.
      const nodeOf = (end: string) => NODES.find((n) => end.includes(n));
      for (const kind of ['icmp', 'tcp'] as const) {
        const pairs = new Set(results.filter((r) => r.kind === kind).map((r) => [nodeOf(r.source), nodeOf(r.destination)].sort().join('+')));
        expect([...pairs].sort()).toEqual(['nip-a+nip-b', 'nip-a+nip-c', 'nip-b+nip-c']);
      }
      expect(results.filter((r) => !r.pass)).toEqual([]);
    } finally {
      if ((await handle.describe()).status.name === 'RUNNING') {
        await handle.signal(teardownSignal);
        await handle.result().catch(() => undefined);
      }
    }
    expect(netnsList().split('\n').filter((l) => l.includes('nip-'))).toEqual([]);
  });
});
