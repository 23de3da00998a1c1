/**
 * Connectivity tests at scale, through the whole scenario (real Temporal dev server, reference
 * plugin, VXLAN dataplane, real pings between VM namespaces):
 *
 * - thousands of icmp pairs per node (`pairs: all`) are all measured and all pass: the kernel's
 *   one machine-wide neighbour table (gc_thresh3 = 1024 by default, far below the entries these
 *   pairs make) is raised while the local cloud exists, and no entry is refused meanwhile;
 * - a node's pairs go to its agent in several calls of bounded time (chunks), and a call that
 *   fails half-way (the agent's runner throws once, on purpose) is retried by Temporal and keeps
 *   the results its last heartbeat carried: only the few checks after it are measured again;
 * - when the scenario and the cloud are gone, the limits are back to what they were.
 *
 * How a check names a full table is tested in testing-connectivity.test.ts, on stand-in counters:
 * the kernel cannot be made to refuse entries on purpose without breaking ARP (loopback's too) in
 * every namespace of the machine, and setting gc_thresh3 to 0 is not enough: its forced
 * collection evicts an entry older than 5 s to make room for each new one (tried).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { parseNeighbourStat } from '../../src/activities/testing/parse';
import { spawnRunner, type CommandRunner } from '../../src/dataplane/command';
import { LOCAL_KERNEL_LIMITS, sysctlFile } from '../../src/dataplane/kernel-limits';
import { testChunkPairs } from '../../src/model/checks';
import { COMPUTE_TASK_QUEUE, scenarioWorkflowId } from '../../src/model/queues';
import type { ScenarioInput } from '../../src/model/spec';
import { fetchResults } from '../../src/cli/results-fetch';
import { teardownSignal } from '../../src/workflows/messages';
import type { scenarioWorkflow } from '../../src/workflows/scenario';
import { startLocalCloud, waitForStatus, type LocalCloud } from '../helpers/local-cloud';

jest.setTimeout(30 * 60_000);

const NODES = ['pscale-a', 'pscale-b'];
/** VMs per node and pairs in all: 2000 pairs per node, more than four chunks of 480 each. */
const VMS = 150;
const PAIRS = 4000;
/** The agents' ping that fails on purpose (the whole machine's count, both nodes): half-way through a node's first chunk. */
const FAIL_AT = 700;

const readLimits = (): Record<string, number> => Object.fromEntries(LOCAL_KERNEL_LIMITS.map((l) => [l.name, Number(readFileSync(sysctlFile(l.name), 'utf8'))]));
const tableFulls = (): number => parseNeighbourStat(readFileSync('/proc/net/stat/arp_cache', 'utf8'))!.tableFulls;
const fabricsExist = (): boolean => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').some((l) => /^mk-[a-z0-9]+_fabric\b/.test(l));

/** Counts the pings the agents run and fails one on purpose (a runner error fails the call, which Temporal retries). */
const pings = { count: 0, failed: 0 };
const runner: CommandRunner = {
  run(argv, options) {
    if (argv.includes('ping')) {
      pings.count++;
      if (pings.count === FAIL_AT) {
        pings.failed++;
        return Promise.reject(new Error(`ping ${FAIL_AT} fails on purpose (testing-scale.test.ts)`));
      }
    }
    return spawnRunner.run(argv, options);
  },
};

const stateDir = mkdtempSync(join(tmpdir(), 'merak-pscale-'));
const limitsBefore = readLimits();
const othersBefore = fabricsExist();
let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startLocalCloud({ nodes: NODES, stateDir, testing: { runner } });
});
afterAll(async () => {
  await cloud?.stop('pscale-');
  // The last local cloud is gone (unless another was there before): every limit is what it was.
  if (!othersBefore) expect(readLimits()).toEqual(limitsBefore);
});

function spec(name: string): ScenarioInput {
  return {
    name,
    plugin: { address: cloud.plugin.address, deadlineMs: 5_000, retryWindowMs: 20_000 },
    dataplane: 'reference',
    vpcs: [{ id: `${name}-blue`, vni: 2301, cidr: '10.71.0.0/16', subnets: [{ id: `${name}-blue-1`, cidr: '10.71.0.0/20' }] }],
    nodes: NODES,
    vmsPerNode: VMS,
    underlay: { cidr: '100.98.0.0/24' },
    tests: { kinds: ['icmp'], pairs: 'all', maxPairs: PAIRS, negative: false, reachability: 'off' },
  };
}

test(`${NODES.length} nodes x ${VMS} VMs, icmp pairs all (${PAIRS}): every pair measured and passing, in chunks, a failed call resumed`, async () => {
  const name = 'pscale';
  const fullsBefore = tableFulls();
  const t0 = Date.now();
  const handle: WorkflowHandle<typeof scenarioWorkflow> = await cloud.env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', {
    taskQueue: COMPUTE_TASK_QUEUE,
    workflowId: scenarioWorkflowId(name),
    args: [spec(name)],
  });
  try {
    await checkRun(handle, fullsBefore, t0);
  } finally {
    await handle.signal(teardownSignal);
    const outcome = await handle.result();
    expect(outcome.phase).toBe('deleted');
    expect(outcome.cleanupErrors).toEqual([]);
  }
});

async function checkRun(handle: WorkflowHandle<typeof scenarioWorkflow>, fullsBefore: number, t0: number): Promise<void> {
  await waitForStatus(handle, (s) => s.phase === 'testing', 'built', { timeoutMs: 15 * 60_000 });
  const tTests = Date.now();
  await waitForStatus(handle, (s) => s.phase === 'ready', 'tested', { timeoutMs: 20 * 60_000 });
  const tReady = Date.now();

  // While the local cloud exists, every limit it needs is raised.
  for (const l of LOCAL_KERNEL_LIMITS) expect(readLimits()[l.name]).toBeGreaterThanOrEqual(l.want);

  // Every pair measured once, none lost, all passed.
  const { results } = await fetchResults(handle);
  expect(results).toHaveLength(PAIRS);
  expect(new Set(results.map((r) => `${r.source}>${r.destination}`)).size).toBe(PAIRS);
  const failed = results.filter((r) => !r.pass);
  expect(failed.slice(0, 5)).toEqual([]);
  for (const node of NODES) expect(results.filter((r) => r.source.startsWith(`${node}/`)).length).toBeGreaterThan(1000);
  // The kernel refused no neighbour entry meanwhile.
  expect(tableFulls()).toBe(fullsBefore);

  // Several bounded calls per node, which were given every pair; one attempt failed on purpose and its retry resumed.
  const events = (await handle.fetchHistory()).events ?? [];
  const testCalls = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runTests');
  const given = testCalls.reduce((n, e) => n + defaultPayloadConverter.fromPayload<{ pairs: unknown[] }>(e.activityTaskScheduledEventAttributes!.input!.payloads![0]!).pairs.length, 0);
  expect(given).toBe(PAIRS);
  const perNode = Math.ceil(PAIRS / NODES.length / testChunkPairs(['icmp'], 2000));
  expect(testCalls.length).toBeGreaterThanOrEqual(NODES.length * (perNode - 1));
  for (const c of testCalls) expect(Number(String(c.activityTaskScheduledEventAttributes!.startToCloseTimeout!.seconds))).toBeLessThanOrEqual(6 * 60);
  const testCallIds = new Set(testCalls.map((c) => String(c.eventId)));
  const retried = events.filter((e) => testCallIds.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId)) && (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
  expect(retried.length).toBeGreaterThanOrEqual(1);
  expect(pings.failed).toBe(1);
  // Starting the failed call over would have pinged hundreds of pairs again; resuming, only the
  // few after its last heartbeat (at most 250 ms of checks) and those in flight.
  const remeasured = pings.count - 1 - PAIRS;
  expect(remeasured).toBeGreaterThanOrEqual(0);
  expect(remeasured).toBeLessThan(80);
  console.log(`pairs ${PAIRS}, build ${((tTests - t0) / 1000).toFixed(1)} s, tests ${((tReady - tTests) / 1000).toFixed(1)} s (${(PAIRS / ((tReady - tTests) / 1000)).toFixed(1)} pairs/s), calls ${testCalls.length}, re-measured after the failed attempt ${remeasured}`);
}
