/**
 * The agent activities in an activity context without a server (MockActivityEnvironment), no
 * root, no kernel object:
 * - the `none` backend with real state files: idempotence, ranges, resume of createBatch from
 *   its heartbeat, validation, failure mapping;
 * - the kernel backend in pod mode, where every kernel command goes through the CommandRunner,
 *   with a stand-in for iproute2 and the namespace helper: chunking, heartbeats, resume from a
 *   heartbeat, cancellation, and the rollback after an endpoint plugin refuses. The real kernel
 *   runs in test/integration/dataplane-*.test.ts.
 */
import { chmodSync, existsSync, mkdtempSync, promises as fsp, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Info } from '@temporalio/activity';
import { createAgentActivities, type AgentDeps } from '../../src/activities/agent/activities';
import type { CreateBatchSummary, EndpointBatch } from '../../src/activities/agent/types';
import { spawnRunner, type CommandRunner, type RunOptions, type RunResult } from '../../src/dataplane/command';
import { InvalidInputError } from '../../src/dataplane/errors';
import { FileOwnerRecords } from '../../src/dataplane/owner-records';
import { parseVmNetns } from '../../src/dataplane/names';
import { findTag } from '../../src/dataplane/tags';
import { createPluginRegistry } from '../../src/endpoint-plugins/registry';
import { HELPER_PROTOCOL } from '../../src/install/helpers';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** An activity context; `details` are the heartbeat details an earlier attempt left. */
function mockEnv(details?: unknown): { env: MockActivityEnvironment; beats: unknown[] } {
  const info: Partial<Info> = details === undefined ? {} : { heartbeatDetails: details, attempt: 2 };
  const env = new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  return { env, beats };
}

async function thrown(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure, got a result');
    },
    (e: unknown) => e,
  );
}

function agent(overrides: Partial<AgentDeps> = {}) {
  const stateDir = tempDir('merak-agent-');
  const records = new FileOwnerRecords(stateDir);
  const deps: AgentDeps = { mode: 'local', runner: spawnRunner, records, plugins: createPluginRegistry({ runner: spawnRunner, dirs: [] }), ...overrides };
  return { stateDir, records, activities: createAgentActivities(deps) };
}

const subnet = { id: 'sn-1', vpc: 'vpc-1', cidr: '10.7.0.0/16', gateway: '10.7.0.1', vni: 7 };

function endpointBatch(scenario: string, plugin: string, from: number, count: number, over: Partial<EndpointBatch> = {}): EndpointBatch {
  return {
    scenario,
    node: 'node-0',
    nodeSlot: 0,
    from,
    count,
    endpointsPerVm: 1,
    segments: [{ vmFrom: 0, vmCount: 1000, endpoint: 0, subnet, ipIndexFrom: 1 }],
    plugin,
    ...over,
  };
}

describe('the none backend', () => {
  test('every activity is idempotent: a second run changes nothing and says so', async () => {
    const { activities: a } = agent();
    const { env } = mockEnv();
    const s = 'idem';
    const first = await env.run(a.ensureNode, { scenario: s, node: 'node-0', nodeSlot: 0, plugin: 'none' });
    expect(first).toMatchObject({ created: false, underlay: '' });
    expect(await env.run(a.ensureNode, { scenario: s, node: 'node-0', nodeSlot: 0, plugin: 'none' })).toEqual(first);

    const vms = { scenario: s, node: 'node-0', from: 0, count: 100, plugin: 'none' };
    expect(await env.run(a.createVms, vms)).toMatchObject({ requested: 100, changed: 100, unchanged: 0 });
    expect(await env.run(a.createVms, vms)).toMatchObject({ requested: 100, changed: 0, unchanged: 100 });
    // Overlapping ranges count only what is new.
    expect(await env.run(a.createVms, { ...vms, from: 50, count: 100 })).toMatchObject({ changed: 50, unchanged: 50 });

    const eps = endpointBatch(s, 'none', 0, 150);
    expect(await env.run(a.createEndpoints, eps)).toMatchObject({ requested: 150, changed: 150 });
    expect(await env.run(a.createEndpoints, eps)).toMatchObject({ requested: 150, changed: 0, unchanged: 150 });
    expect(await env.run(a.nodeInfo, { scenario: s, node: 'node-0' })).toEqual({ scenario: s, node: 'node-0', present: true, vms: 150, endpoints: 150, plugin: 'none' });

    expect(await env.run(a.updateVms, vms)).toMatchObject({ requested: 100, changed: 0 });
    expect(await env.run(a.updateEndpoint, eps)).toMatchObject({ requested: 150, changed: 0 });
    expect(await env.run(a.syncPeers, { scenario: s, node: 'node-0', nodeSlot: 0, plugin: 'none', vnis: [{ vni: 7 }] })).toEqual({ changed: 0 });

    expect(await env.run(a.deleteEndpoints, endpointBatch(s, 'none', 0, 50))).toMatchObject({ requested: 50, changed: 50 });
    expect(await env.run(a.deleteEndpoints, endpointBatch(s, 'none', 0, 50))).toMatchObject({ requested: 50, changed: 0 });
    // A VM takes its endpoints with it.
    expect(await env.run(a.deleteVms, { ...vms, from: 100, count: 50 })).toMatchObject({ changed: 50 });
    expect(await env.run(a.deleteVms, { ...vms, from: 100, count: 50 })).toMatchObject({ changed: 0 });
    expect(await env.run(a.nodeInfo, { scenario: s, node: 'node-0' })).toMatchObject({ vms: 100, endpoints: 50 });
  });

  test('nodes are apart; deleting one node keeps the others and the scenario', async () => {
    const { activities: a, stateDir } = agent();
    const { env } = mockEnv();
    const s = 'apart';
    for (const node of ['node-0', 'node-1']) {
      await env.run(a.ensureNode, { scenario: s, node, nodeSlot: node === 'node-0' ? 0 : 1, plugin: 'none' });
      await env.run(a.createVms, { scenario: s, node, from: 0, count: node === 'node-0' ? 10 : 20, plugin: 'none' });
    }
    expect(await env.run(a.nodeInfo, { scenario: s, node: 'node-1' })).toMatchObject({ present: true, vms: 20 });
    expect(await env.run(a.deleteNode, { scenario: s, node: 'node-0' })).toEqual({ daemons: 0, rows: 0, netns: 0, links: 0 });
    expect(await env.run(a.nodeInfo, { scenario: s, node: 'node-0', plugin: 'none' })).toMatchObject({ present: false, vms: 0 });
    expect(await env.run(a.nodeInfo, { scenario: s, node: 'node-1' })).toMatchObject({ present: true, vms: 20 });
    expect(await findTag(stateDir, s)).toBeDefined();
  });

  test("deleting a node that is not the scenario's last reads no other node's records; the last takes the scenario with it", async () => {
    // Listing every writer's records per deleted node made a 10,000-node teardown quadratic.
    const { activities: a, records, stateDir } = agent();
    const { env } = mockEnv();
    const s = 'lastnode';
    const nodes = ['node-0', 'node-1', 'node-2'];
    for (const [i, node] of nodes.entries()) await env.run(a.ensureNode, { scenario: s, node, nodeSlot: i, plugin: 'none' });
    const live = jest.spyOn(records, 'live');
    const liveOf = jest.spyOn(records, 'liveOf');
    // Nor the machine's namespaces: a `none` node has none to remove.
    const reads = jest.spyOn(fsp, 'readFile');
    const listings = jest.spyOn(fsp, 'readdir');
    try {
      await env.run(a.deleteNode, { scenario: s, node: 'node-0', plugin: 'none' });
      await env.run(a.deleteNode, { scenario: s, node: 'node-1', plugin: 'none' });
      expect(reads.mock.calls.map((c) => String(c[0])).filter((f) => f.includes('/proc/'))).toEqual([]);
      expect(listings).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
      listings.mockRestore();
    }
    expect(live).not.toHaveBeenCalled();
    expect(liveOf.mock.calls).toEqual([
      [s, 'node-0'],
      [s, 'node-1'],
    ]);
    expect(await findTag(stateDir, s)).toBeDefined();
    await env.run(a.deleteNode, { scenario: s, node: 'node-2', plugin: 'none' });
    expect(live).toHaveBeenCalled();
    expect(await findTag(stateDir, s)).toBeUndefined();
    expect(existsSync(path.join(stateDir, 'scenarios', s))).toBe(false);
  });

  test('createBatch resumes in the step its last heartbeat named: from the endpoints, the VMs are not made again', async () => {
    const { activities: a } = agent();
    const s = 'resume';
    const b = { ...endpointBatch(s, 'none', 0, 30), ensureNode: true };
    const fresh = mockEnv();
    const whole = (await fresh.env.run(a.createBatch, b)) as CreateBatchSummary;
    expect(whole.vms).toMatchObject({ requested: 30, changed: 30 });
    expect(whole.endpoints).toMatchObject({ requested: 30, changed: 30 });
    expect(whole.node).toMatchObject({ created: false });

    // An attempt that had reached the endpoints of VMs 30..59: no VM step at all this time.
    const retry = mockEnv({ phase: 'endpoints', done: 10 });
    const resumed = (await retry.env.run(a.createBatch, { ...b, from: 30, ensureNode: false })) as CreateBatchSummary;
    expect(resumed.vms).toEqual({ requested: 30, changed: 0, unchanged: 30, ms: 0 });
    expect(resumed.node).toBeUndefined();
    expect(await retry.env.run(a.nodeInfo, { scenario: s, node: 'node-0' })).toMatchObject({ vms: 30, endpoints: 60 });

    // Heartbeat details of another step are not a resume point for this one.
    const other = mockEnv({ phase: 'vms', done: 10 });
    const again = (await other.env.run(a.createBatch, { ...b, from: 60, ensureNode: false })) as CreateBatchSummary;
    expect(again.vms).toMatchObject({ requested: 30, changed: 30 });
  });

  const bad: Array<[string, (a: ReturnType<typeof agent>['activities']) => Promise<unknown>, RegExp]> = [
    ['ensureNode: a scenario name with a space', (a) => a.ensureNode({ scenario: 'Bad Name', node: 'node-0', nodeSlot: 0, plugin: 'none' }), /invalid node\.scenario: "Bad Name"/],
    ['ensureNode: a node slot out of range', (a) => a.ensureNode({ scenario: 's', node: 'node-0', nodeSlot: 70000, plugin: 'none' }), /invalid node\.nodeSlot: 70000/],
    ['ensureNode: an underlay that is no CIDR', (a) => a.ensureNode({ scenario: 's', node: 'node-0', nodeSlot: 0, plugin: 'none', underlayCidr: '10.0.0.0' }), /invalid node\.underlayCidr/],
    ['createVms: a negative count', (a) => a.createVms({ scenario: 's', node: 'node-0', from: 0, count: -1, plugin: 'none' }), /invalid vms\.count: -1/],
    ['createVms: a plugin given as a path', (a) => a.createVms({ scenario: 's', node: 'node-0', from: 0, count: 1, plugin: '../bin/sh' }), /invalid vms\.plugin: "\.\.\/bin\/sh".*never a path/],
    ['deleteVms: a fractional index', (a) => a.deleteVms({ scenario: 's', node: 'node-0', from: 1.5, count: 1, plugin: 'none' }), /invalid vms\.from: 1\.5/],
    ['createEndpoints: an endpoint beyond endpointsPerVm', (a) => a.createEndpoints(endpointBatch('s', 'none', 0, 1, { segments: [{ vmFrom: 0, vmCount: 1, endpoint: 1, subnet, ipIndexFrom: 1 }] })), /invalid endpoints\.segments\.0\.endpoint: 1 \(must be below endpointsPerVm \(1\)\)/],
    [
      'createEndpoints: overlapping segments',
      (a) =>
        a.createEndpoints(
          endpointBatch('s', 'none', 0, 10, {
            segments: [
              { vmFrom: 0, vmCount: 6, endpoint: 0, subnet, ipIndexFrom: 1 },
              { vmFrom: 5, vmCount: 5, endpoint: 0, subnet, ipIndexFrom: 100 },
            ],
          }),
        ),
      /invalid endpoints\.segments\.1\.vmFrom: 5 .*overlap segment 0/,
    ],
    ['createEndpoints: a subnet too small', (a) => a.createEndpoints(endpointBatch('s', 'none', 0, 10, { segments: [{ vmFrom: 0, vmCount: 10, endpoint: 0, subnet: { ...subnet, cidr: '10.7.0.0/29' }, ipIndexFrom: 1 }] })), /invalid endpoints\.segments\.0\.ipIndexFrom: 1 \(ipIndexFrom \+ vmCount \(11\) exceeds the subnet's 5 host addresses\)/],
    ['deleteEndpoints: a missing field', (a) => a.deleteEndpoints({ ...endpointBatch('s', 'none', 0, 1), segments: undefined as never }), /invalid endpoints\.segments/],
    ['createBatch: an interface prefix too long', (a) => a.createBatch({ ...endpointBatch('s', 'none', 0, 1), ifnamePrefix: 'abcdefghijklmn' }), /invalid batch\.ifnamePrefix/],
    ['syncPeers: a VNI out of range', (a) => a.syncPeers({ scenario: 's', node: 'node-0', nodeSlot: 0, plugin: 'none', vnis: [{ vni: 0 }] }), /invalid peers\.vnis\.0\.vni: 0/],
    ['nodeInfo: an upper-case node', (a) => a.nodeInfo({ scenario: 's', node: 'Node', plugin: 'none' }), /invalid node\.node: "Node"/],
    ['deleteNode: no scenario', (a) => a.deleteNode({ node: 'node-0' } as never), /invalid node\.scenario/],
  ];

  test.each(bad)('%s: final InvalidInputError naming field, value and rule; nothing is written', async (_what, call, message) => {
    const { activities: a, stateDir } = agent();
    const { env } = mockEnv();
    const f = await thrown(env.run(() => call(a)));
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f).toMatchObject({ type: 'InvalidInputError', nonRetryable: true });
    expect((f as ApplicationFailure).message).toMatch(message);
    expect((f as ApplicationFailure).cause).toBeInstanceOf(InvalidInputError);
    expect(readdirSync(stateDir)).toEqual([]);
  });

  test('a chunk size that would never end a loop is refused when the activities are built', () => {
    expect(() => agent({ chunkSize: 0 })).toThrow(/invalid chunkSize: 0 \(must be a positive integer\)/);
    expect(() => agent({ chunkSize: 2.5 })).toThrow(InvalidInputError);
  });
});

/**
 * Stand-in for iproute2 and the namespace helper (a unit test has no root): answers as they
 * answer on success and records every `ip` line it is asked to run. Any other command (an
 * executable endpoint plugin) really runs.
 */
function kernelStandIn(onIpBatch?: (lines: string[], call: number) => void): { runner: CommandRunner; ipLines: string[][] } {
  const ipLines: string[][] = [];
  const ok = (stdout = ''): RunResult => ({ code: 0, signal: null, stdout, stderr: '' });
  const runner: CommandRunner = {
    async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
      if (argv[0] === 'ip' && argv.includes('-batch')) {
        const lines = (options.input ?? '').split('\n').filter((l) => l !== '');
        ipLines.push(lines);
        onIpBatch?.(lines, ipLines.length);
        return ok();
      }
      // The pod's underlay: a default route via eth0, its address and its 1500-byte MTU.
      if (argv[0] === 'ip' && argv.includes('route')) return ok('[{"dst":"default","gateway":"10.99.0.1","dev":"eth0"}]');
      if (argv[0] === 'ip' && argv.includes('addr')) return ok('[{"ifname":"eth0","addr_info":[{"local":"10.99.0.2","prefixlen":24}]}]');
      if (argv[0] === 'ip' && argv.includes('dev')) return ok('[{"ifname":"eth0","mtu":1500}]');
      if (argv[0] === 'ip') return ok('[]'); // `ip -j link show`: no links yet
      if (argv.includes('-c')) return ok('/usr/bin/python3\n'); // where python3 is
      const script = argv.find((a) => a.endsWith('nsconfig.py'));
      if (script) {
        // The namespace helper: its announcement, then one {"ok":true} per request line. The
        // namespaces it is asked to make count as the `netns add` lines of one batch.
        const requests = (options.input ?? '').split('\n').filter((l) => l !== '');
        const n = requests.length;
        const made = requests.map((l) => JSON.parse(l) as { ns: string; create?: boolean }).filter((q) => q.create).map((q) => `netns add ${q.ns.split('/').pop()}`);
        if (made.length) {
          ipLines.push(made);
          onIpBatch?.(made, ipLines.length);
        }
        return ok(JSON.stringify({ helper: 'nsconfig', protocol: HELPER_PROTOCOL.nsconfig }) + '\n' + '{"ok":true}\n'.repeat(n));
      }
      return spawnRunner.run(argv, options);
    },
  };
  return { runner, ipLines };
}

/** VM indexes of the `netns add` lines, in the order they were asked. */
const netnsAdded = (batches: string[][]): number[] =>
  batches.flat().flatMap((l) => {
    const m = /^netns add (\S+)$/.exec(l);
    const tag = m ? /^mk-([a-z0-9]+)-/.exec(m[1])?.[1] : undefined;
    const vm = m && tag ? parseVmNetns(tag, 'node-0', m[1]) : undefined;
    return vm === undefined ? [] : [vm];
  });

describe('the kernel backend (pod mode, kernel stand-in)', () => {
  const pod = (runner: CommandRunner, pluginDirs: string[] = []) =>
    agent({ mode: 'pod', runner, chunkSize: 10, plugins: createPluginRegistry({ runner, dirs: pluginDirs }) });
  const vms = (scenario: string, count: number, plugin = 'reference') => ({ scenario, node: 'node-0', from: 0, count, plugin });

  test('createVms works chunk by chunk and heartbeats { done } after each', async () => {
    const k = kernelStandIn();
    const { activities: a } = pod(k.runner);
    const { env, beats } = mockEnv();
    expect(await env.run(a.createVms, vms('chunks', 35))).toMatchObject({ requested: 35, changed: 35 });
    expect(beats).toEqual([{ done: 10 }, { done: 20 }, { done: 30 }, { done: 35 }]);
    expect(k.ipLines.map((b) => b.length)).toEqual([10, 10, 10, 5]);
    expect(netnsAdded(k.ipLines)).toEqual(Array.from({ length: 35 }, (_, i) => i));
  });

  test('a retry resumes after the last heartbeat of its own step, and only there', async () => {
    const k = kernelStandIn();
    const { activities: a } = pod(k.runner);
    const retry = mockEnv({ done: 20 });
    await retry.env.run(a.createVms, vms('resume', 35));
    expect(netnsAdded(k.ipLines)).toEqual(Array.from({ length: 15 }, (_, i) => 20 + i));
    expect(retry.beats).toEqual([{ done: 30 }, { done: 35 }]);

    // A heartbeat of createBatch's endpoint step is no resume point for the VMs: all again.
    const k2 = kernelStandIn();
    const { activities: a2 } = pod(k2.runner);
    const other = mockEnv({ phase: 'endpoints', done: 20 });
    await other.env.run(a2.createVms, vms('resume', 35));
    expect(netnsAdded(k2.ipLines)).toHaveLength(35);
  });

  test('createBatch heartbeats name their step, and a retry from the endpoint step makes no VM', async () => {
    const k = kernelStandIn();
    const { activities: a } = pod(k.runner);
    const first = mockEnv();
    await first.env.run(a.createBatch, { ...endpointBatch('steps', 'reference', 0, 12), segments: [] });
    expect(first.beats).toEqual([
      { done: 10, phase: 'vms' },
      { done: 12, phase: 'vms' },
      { done: 10, phase: 'endpoints' },
      { done: 12, phase: 'endpoints' },
    ]);
    const k2 = kernelStandIn();
    const { activities: a2 } = pod(k2.runner);
    const retry = mockEnv({ done: 10, phase: 'endpoints' });
    const r = (await retry.env.run(a2.createBatch, { ...endpointBatch('steps', 'reference', 0, 12), segments: [] })) as CreateBatchSummary;
    expect(r.vms).toMatchObject({ changed: 0, unchanged: 12 });
    expect(netnsAdded(k2.ipLines)).toEqual([]);
    expect(retry.beats).toEqual([{ done: 12, phase: 'endpoints' }]);
  });

  test('a cancelled activity stops at its next heartbeat and stays a cancellation', async () => {
    const { env } = mockEnv();
    const k = kernelStandIn((_lines, call) => {
      if (call === 2) env.cancel();
    });
    const { activities: a } = pod(k.runner);
    const e = await thrown(env.run(a.createVms, vms('cancel', 50)));
    expect(e).toBeInstanceOf(CancelledFailure);
    expect(k.ipLines.length).toBeLessThan(5);
  });

  test('an endpoint plugin refusing VM_ADD: the batch is rolled back (its records say nothing is left) and the failure is final', async () => {
    const pluginDir = tempDir('merak-agent-plugins-');
    const file = path.join(pluginDir, 'refuses-vms');
    // A real executable endpoint plugin: answers VERSION, refuses VM_ADD as the protocol says.
    writeFileSync(
      file,
      '#!/bin/sh\nif [ "$MERAK_COMMAND" = VM_ADD ]; then echo \'{"code":"NO_QUOTA","message":"no VM quota"}\'; exit 1; fi\necho \'{}\'\n',
    );
    chmodSync(file, 0o755);
    const k = kernelStandIn();
    const { activities: a, records } = pod(k.runner, [pluginDir]);
    const { env } = mockEnv();
    const f = await thrown(env.run(a.createVms, vms('rollback', 3, 'refuses-vms')));
    expect(f).toMatchObject({ type: 'EndpointPluginError', nonRetryable: true, details: [{ plugin: 'refuses-vms', command: 'VM_ADD', code: 'NO_QUOTA' }] });
    expect(netnsAdded(k.ipLines)).toEqual([0, 1, 2]);
    // Each namespace made was recorded, then forgotten by the rollback.
    const live = await records.live('rollback');
    expect(live.get('node-0')).toEqual([]);
    expect(existsSync(file)).toBe(true);
  });

  test('endpoints of VMs that do not exist: a final PreconditionError, not a failed command', async () => {
    const { activities: a } = agent(); // local mode, the real runner: no node namespace is needed to refuse
    const { env } = mockEnv();
    const f = await thrown(env.run(a.createEndpoints, endpointBatch('novms', 'reference', 0, 2)));
    // Local mode checks the node first: it was never made.
    expect(f).toMatchObject({ type: 'NodeNotReadyError', nonRetryable: true });

    const k = kernelStandIn();
    const { activities: p } = pod(k.runner);
    const g = await thrown(mockEnv().env.run(p.createEndpoints, endpointBatch('novms', 'reference', 0, 2)));
    expect(g).toMatchObject({ type: 'PreconditionError', nonRetryable: true });
    expect((g as Error).message).toMatch(/VM 0 \(mk-[a-z0-9]+-node-0_0\) of node node-0 does not exist; create the VMs \(createVms\) before their endpoints/);
    expect(k.ipLines).toEqual([]);
  });
});
