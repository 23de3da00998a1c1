/**
 * reconcileNoneNodes (src/activities/agent/none-nodes.ts) over the agent's real `none`
 * activities and real state files in a temporary directory: many nodes built, shrunk and removed
 * in one call; a node that fails is an outcome, stops the nodes after it when building and not
 * when removing; a retryable failure is tried again; kernel plugins are refused.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createAgentActivities } from '../../src/activities/agent/activities';
import { createNoneNodesActivity, NONE_NODE_ATTEMPTS, type NoneNodeCalls, type NoneNodesInput, type NoneNodesResult } from '../../src/activities/agent/none-nodes';
import { spawnRunner } from '../../src/dataplane/command';
import { FileOwnerRecords } from '../../src/dataplane/owner-records';
import { createPluginRegistry } from '../../src/endpoint-plugins/registry';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function agent() {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'merak-none-nodes-'));
  dirs.push(stateDir);
  const a = createAgentActivities({ mode: 'local', runner: spawnRunner, records: new FileOwnerRecords(stateDir), plugins: createPluginRegistry({ runner: spawnRunner, dirs: [] }) });
  return { stateDir, a };
}

const NODES = 40;
function input(scenario: string, current: number, desired: number, removeNode = false, over: Partial<NoneNodesInput> = {}): NoneNodesInput {
  return {
    scenario,
    plugin: 'none',
    underlayCidr: '10.255.0.0/16',
    blockSize: 8,
    subnets: [{ index: 0, id: 'sn', vpc: 'v', cidr: '10.1.0.0/16', gateway: '10.1.0.1', vni: 7 }],
    batchSize: 2,
    rate: 'sequential',
    keepGoing: removeNode,
    nodes: Array.from({ length: NODES }, (_, i) => ({ node: `n${i}`, slot: i, current, desired, endpointsPerVm: 1, ranges: [[[1 + i * 8, 8]]], removeNode })),
    ...over,
  };
}

function env(): { env: MockActivityEnvironment; beats: unknown[] } {
  const e = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
  const beats: unknown[] = [];
  e.on('heartbeat', (d: unknown) => beats.push(d));
  return { env: e, beats };
}

const nodeFiles = (stateDir: string, scenario: string) => {
  try {
    return readdirSync(path.join(stateDir, 'scenarios', scenario)).filter((f) => f.endsWith('.node.json')).length;
  } catch {
    return 0;
  }
};

test(`${NODES} nodes built, shrunk and removed in one call each, with the state files, counts and heartbeats to match`, async () => {
  const { stateDir, a } = agent();
  const { reconcileNoneNodes } = createNoneNodesActivity(a);
  const { env: e, beats } = env();
  const built: NoneNodesResult = await e.run(reconcileNoneNodes, input('nn', 0, 5));
  expect(built.nodes).toHaveLength(NODES);
  expect(built.nodes.every((o) => o.started && o.result?.vms === 5 && !o.result.removed && o.result.measured?.batches === 3 && o.result.measured.vms === 5)).toBe(true);
  expect(built.metrics?.ops['vm.create']).toBeDefined();
  expect(nodeFiles(stateDir, 'nn')).toBe(NODES);
  for (const n of ['n0', `n${NODES - 1}`]) expect(await a.nodeInfo({ scenario: 'nn', node: n, plugin: 'none' })).toMatchObject({ present: true, vms: 5, endpoints: 5 });
  expect(beats).toHaveLength(NODES);
  expect(beats.at(-1)).toEqual({ done: NODES, phase: 'nodes' });

  const shrunk: NoneNodesResult = await e.run(reconcileNoneNodes, input('nn', 5, 2));
  expect(shrunk.nodes.every((o) => o.result?.vms === 2 && o.result.measured === undefined)).toBe(true);
  expect(await a.nodeInfo({ scenario: 'nn', node: 'n7', plugin: 'none' })).toMatchObject({ present: true, vms: 2, endpoints: 2 });

  const removed: NoneNodesResult = await e.run(reconcileNoneNodes, input('nn', 2, 0, true));
  expect(removed.nodes.every((o) => o.result?.vms === 0 && o.result.removed)).toBe(true);
  expect(nodeFiles(stateDir, 'nn')).toBe(0);
});

test('a node that fails is an outcome: building stops the nodes after it, removing goes on', async () => {
  const { stateDir, a } = agent();
  const calls: NoneNodeCalls = {
    ...a,
    createBatch: async (b) => {
      if (b.node === 'n3') throw ApplicationFailure.nonRetryable('injected failure on n3', 'InjectedFailure');
      return a.createBatch(b);
    },
    deleteNode: async (r) => {
      if (r.node === 'n5') throw ApplicationFailure.nonRetryable('injected failure on n5', 'InjectedFailure');
      return a.deleteNode(r);
    },
  };
  const { reconcileNoneNodes } = createNoneNodesActivity(calls);
  const built: NoneNodesResult = await env().env.run(reconcileNoneNodes, input('nf', 0, 1));
  expect(built.nodes[3]).toEqual({ node: 'n3', started: true, error: expect.stringContaining('injected failure on n3') });
  const started = built.nodes.filter((o) => o.started).length;
  // The 16 in flight when n3 failed end; none starts after them.
  expect(started).toBeLessThan(NODES);
  expect(built.nodes.slice(started).every((o) => !o.started && o.result === undefined && o.error === undefined)).toBe(true);

  const removed: NoneNodesResult = await env().env.run(reconcileNoneNodes, input('nf', 1, 0, true));
  expect(removed.nodes.every((o) => o.started)).toBe(true);
  expect(removed.nodes.filter((o) => o.error !== undefined).map((o) => o.node)).toEqual(['n5']);
  expect(nodeFiles(stateDir, 'nf')).toBe(1);
});

test(`a retryable failure is tried again, up to ${NONE_NODE_ATTEMPTS} times`, async () => {
  const { a } = agent();
  let tries = 0;
  const { reconcileNoneNodes } = createNoneNodesActivity({
    ...a,
    createBatch: async (b) => {
      if (b.node === 'n1' && ++tries < NONE_NODE_ATTEMPTS) throw new Error('state dir busy');
      return a.createBatch(b);
    },
  });
  const r: NoneNodesResult = await env().env.run(reconcileNoneNodes, input('nr', 0, 1, false, { nodes: input('nr', 0, 1).nodes.slice(0, 2) }));
  expect(tries).toBe(NONE_NODE_ATTEMPTS);
  expect(r.nodes.map((o) => o.result?.vms)).toEqual([1, 1]);
});

test('a kernel plugin is refused before any node is touched', async () => {
  const { stateDir, a } = agent();
  const { reconcileNoneNodes } = createNoneNodesActivity(a);
  await expect(env().env.run(reconcileNoneNodes, input('nk', 0, 1, false, { plugin: 'reference' }))).rejects.toMatchObject({ type: 'InvalidInputError', nonRetryable: true, message: expect.stringContaining('plugin') });
  expect(nodeFiles(stateDir, 'nk')).toBe(0);
});

test("a scenario's first nodes at once claim its tag once: every node gets the same tag", async () => {
  const { stateDir, a } = agent();
  const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => a.ensureNode({ scenario: 'nt', node: `n${i}`, nodeSlot: i, plugin: 'none' })));
  expect(new Set(answers.map((r) => r.tag)).size).toBe(1);
  expect(readdirSync(path.join(stateDir, 'tags')).filter((f) => !f.startsWith('.'))).toEqual([answers[0]!.tag]);
});
