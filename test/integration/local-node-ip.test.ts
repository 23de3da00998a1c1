/**
 * A local node whose spec gives its address (`nodes: [{ name, ip }]`) gets that address as its
 * underlay address, the one the plugin and the other nodes' VXLAN devices are told: real Temporal
 * dev server, real reference plugin, real agents and namespaces (root). Before, the node got its
 * slot's address while its peers sent to the given one, and every cross-node check failed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { findTag } from '../../src/dataplane/tags';
import { nodeNetns, underlayNodeEnd } from '../../src/dataplane/names';
import { resultsQuery, statusQuery, teardownSignal } from '../../src/workflows/messages';
import type { ScenarioStatus } from '../../src/model/status';
import { COMPUTE_TASK_QUEUE, scenarioWorkflowId } from '../../src/model/queues';
import type { scenarioWorkflow } from '../../src/workflows';
import type { ScenarioInput } from '../../src/model/spec';
import { netnsList, startLocalCloud, type LocalCloud } from '../helpers/local-cloud';
import { isRoot } from './dataplane-fixture';

jest.setTimeout(300_000);
const describeRoot = isRoot ? describe : describe.skip;

const NODES = ['nip-a', 'nip-b', 'nip-c'];
const stateDir = mkdtempSync(join(tmpdir(), 'merak-nip-'));
let cloud: LocalCloud;

describeRoot('local nodes with given addresses', () => {
  beforeAll(async () => {
    cloud = await startLocalCloud({ nodes: NODES, stateDir });
  });
  afterAll(async () => {
    await cloud?.stop('nip-');
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
      plugin: { address: cloud.plugin.address, deadlineMs: 5_000, retryWindowMs: 20_000 },
      dataplane: 'reference',
      underlay: { cidr: '100.98.0.0/24' },
      vpcs: [{ id: 'nip-blue', vni: 2401, cidr: '10.81.0.0/16', subnets: [{ id: 'nip-blue-1', cidr: '10.81.1.0/24' }] }],
      // a: given, b: its slot's (100.98.0.2), c: given, far from its slot.
      nodes: [{ name: 'nip-a', ip: '100.98.0.77' }, 'nip-b', { name: 'nip-c', ip: '100.98.0.200' }],
      vmsPerNode: 1,
      tests: { kinds: ['icmp', 'tcp'], pairs: 'all', negative: false },
    };
    const handle = await cloud.env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', { taskQueue: COMPUTE_TASK_QUEUE, workflowId: scenarioWorkflowId(input.name), args: [input] });
    try {
      const status = await waitReady(handle);
      expect(status.error).toBeUndefined();
      expect(status.phase).toBe('ready');
      const tag = (await findTag(stateDir, 'nip'))!;
      expect(underlayOf(tag, 'nip-a')).toEqual(['100.98.0.77']);
      expect(underlayOf(tag, 'nip-b')).toEqual(['100.98.0.2']);
      expect(underlayOf(tag, 'nip-c')).toEqual(['100.98.0.200']);
      // The plugin was told the same addresses.
      expect(cloud.plugin.state.snapshot().nodes.map((n) => [n.name, n.ip]).sort()).toEqual([
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
