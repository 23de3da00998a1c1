/**
 * Continue-as-new, forced the honest way: a real dev server whose dynamic config suggests
 * continue-as-new from a history of HISTORY_COUNT_LIMIT events on
 * (`limit.historyCount.suggestContinueAsNew`; the server's default is 4096), with the real compute
 * worker, the real reference plugin, real node agents and real namespaces (root). Nothing in the
 * workflow or its input is changed for the test: the scenario continues as new exactly as it would
 * after thousands of events, only sooner.
 *
 * Asserted: every run hands its state to the next one (the status of a closed run, read by
 * query, equals the next run's except the generation; test results, VM counts, built objects and
 * address ranges carried), scaling by update and by signal works on a continued run and makes it
 * continue again, and teardown at the end leaves nothing in the plugin or the kernel. With
 * MERAK_RECORD_HISTORIES=1 every run's history is written to test/histories/merak-can.run<N>.json
 * for the replay test.
 */
import { mkdtempSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { findTag } from '../../src/dataplane/tags';
import { resultsQuery, scaleSignal, scaleUpdate, statusQuery, teardownSignal } from '../../src/workflows/messages';
import type { ScenarioStatus } from '../../src/model/status';
import { COMPUTE_TASK_QUEUE, scenarioWorkflowId } from '../../src/model/queues';
import type { scenarioWorkflow } from '../../src/workflows';
import type { ScenarioInput } from '../../src/model/spec';
import type { ScenarioCarryOver } from '../../src/model/scenario-state';
import { unpackResults } from '../../src/model/result-pack';
import { netnsList, startLocalCloud, waitForStatus, type LocalCloud } from '../helpers/local-cloud';

jest.setTimeout(300_000);

/**
 * Events from which the server suggests continue-as-new. A run that starts waiting has 3 events
 * at its first task, so it never continues at once; one scale of a node (a signal or an update,
 * a child workflow, its tasks) takes it past 15.
 */
const HISTORY_COUNT_LIMIT = 15;
const NAME = 'can';
const NODES = ['can-a', 'can-b'];
const stateDir = mkdtempSync(join(tmpdir(), 'merak-can-'));
let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud({ nodes: NODES, stateDir, server: { extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${HISTORY_COUNT_LIMIT}`] } });
});
afterAll(async () => {
  await cloud?.stop('can-');
});

function spec(): ScenarioInput {
  return {
    name: NAME,
    plugin: { address: cloud.plugin.address, deadlineMs: 5_000, retryWindowMs: 20_000 },
    dataplane: 'reference',
    vpcs: [
      { id: `${NAME}-blue`, vni: 2301, cidr: '10.71.0.0/16', subnets: [{ id: `${NAME}-blue-1`, cidr: '10.71.1.0/24' }] },
      { id: `${NAME}-green`, vni: 2302, cidr: '10.72.0.0/16', subnets: [{ id: `${NAME}-green-1`, cidr: '10.72.1.0/24' }] },
    ],
    nodes: NODES,
    vmsPerNode: 2,
    underlay: { cidr: '100.98.0.0/24' },
    tests: { kinds: ['icmp'], pairs: 'ring', negative: true },
  };
}

/**
 * Polls the status of the scenario's current run. A query that lands between two runs (the new
 * run has not taken its first task yet) is asked again.
 */
const waitFor = (handle: WorkflowHandle, ok: (s: ScenarioStatus) => boolean, what: string, timeoutMs = 180_000): Promise<ScenarioStatus> =>
  waitForStatus(handle, ok, what, { timeoutMs, everyMs: 300 });

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

interface Run {
  runId: string;
  history: History;
  /** The run that continued this one, if it continued as new. */
  next?: string;
}

/** Every run of the scenario so far, first to current, found by following continued-as-new events. */
async function runs(firstRunId: string): Promise<Run[]> {
  const out: Run[] = [];
  for (let runId: string | undefined = firstRunId; runId !== undefined && out.length < 50; ) {
    const history: History = await cloud.env.client.workflow.getHandle(scenarioWorkflowId(NAME), runId).fetchHistory();
    const events = history.events ?? [];
    const next: string | undefined = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    out.push({ runId, history, ...(next ? { next } : {}) });
    runId = next;
  }
  return out;
}

/** The argument a run was started with (JSON payload of its first event). */
function startArg(history: History): unknown {
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return JSON.parse(Buffer.from(payload!.data!).toString('utf8'));
}

/** The status a closed run ended with, by query (the worker replays its history to answer). */
async function finalStatus(runId: string): Promise<ScenarioStatus> {
  return cloud.env.client.workflow.getHandle(scenarioWorkflowId(NAME), runId).query(statusQuery);
}

/** What a run carries to the next one, as the status shows it. */
const carried = (s: ScenarioStatus) => ({ name: s.name, built: s.built, nodes: s.nodes, cleanupErrors: s.cleanupErrors });
const vmsOnNodes = (s: ScenarioStatus) => s.nodes.map((n) => n.vms);
const pluginObjects = () => {
  const snap = cloud.plugin.state.snapshot();
  return [...snap.vpcs.map((v) => v.id), ...snap.subnets.map((s) => s.id), ...snap.nodes.map((n) => n.name)].filter((id) => id.startsWith(`${NAME}-`));
};
/** VM namespaces of the scenario in the kernel, by its tag. */
/** VM namespaces of the scenario: `mk-<tag>-<node>_<vm>`, not its VPC routers' `mk-<tag>-<node>_r-<vpc>`. */
const vmNamespaces = (tag: string) => netnsList().split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`mk-${tag}-`) && /_\d+$/.test(n)).length;

test('a scenario continued as new keeps its objects, VMs, ranges and results, still scales, and tears down to nothing', async () => {
  const handle = await cloud.env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', {
    taskQueue: COMPUTE_TASK_QUEUE,
    workflowId: scenarioWorkflowId(NAME),
    args: [spec()],
  });
  try {
    // The build's history is past the limit: once built and tested, the first run continues as new.
    const gen1 = await waitFor(handle, (s) => s.generation >= 1 && s.phase === 'ready', 'generation 1');
    const [first, ...later] = await runs(handle.firstExecutionRunId);
    expect(first!.next).toBeDefined();
    expect(later.length).toBe(gen1.generation);
    const built = await finalStatus(first!.runId);
    expect(built.generation).toBe(0);
    expect(vmsOnNodes(built)).toEqual([2, 2]);
    expect(built.built.map((b) => `${b.kind}:${b.id}`)).toEqual([
      'vpc:can-blue', 'vpc:can-green', 'subnet:can-blue-1', 'subnet:can-green-1', 'node:can-a', 'node:can-b',
    ]);
    // Carried: objects (with the provider's VNIs), per-node counts and phases, cleanup errors.
    expect(carried(gen1)).toEqual(carried(built));
    expect(gen1.nodes.every((n) => n.phase === 'ready')).toBe(true);
    // Results are carried, not re-run: the continued run did not run tests.
    const results = await handle.query(resultsQuery);
    expect(results.length).toBeGreaterThan(0);
    expect(results.filter((r) => !r.pass)).toEqual([]);
    expect(results.some((r) => r.negative)).toBe(true);
    expect(await cloud.env.client.workflow.getHandle(scenarioWorkflowId(NAME), first!.runId).query(resultsQuery)).toEqual(results);
    const tag = (await findTag(stateDir, NAME))!;
    expect(tag).toBeDefined();
    expect(vmNamespaces(tag)).toBe(4);

    // Scale by update on a continued run: answered once the VMs exist; the run then continues again.
    const result = await handle.executeUpdate(scaleUpdate, { args: [{ vmsPerNode: 3 }] });
    expect(result).toEqual({ nodes: NODES, vmsPerNode: 3 });
    expect(vmNamespaces(tag)).toBe(6);
    const gen2 = await waitFor(handle, (s) => s.generation > gen1.generation && s.phase === 'ready', 'a continue-as-new after the update');
    expect(vmsOnNodes(gen2)).toEqual([3, 3]);
    expect(gen2.built).toEqual(gen1.built);
    expect(await handle.query(resultsQuery)).toEqual(results);

    // Scale one node down by signal on the next run: the highest-index VM goes, the others keep
    // their addresses (the carried ranges), so the tests still pass when run again.
    await handle.signal(scaleSignal, { vmsPerNode: 1, node: 'can-b' });
    const down = await waitFor(handle, (s) => s.phase === 'ready' && vmsOnNodes(s).join() === '3,1', 'can-b scaled to 1');
    expect(vmNamespaces(tag)).toBe(4);
    expect(down.generation).toBeGreaterThanOrEqual(gen2.generation);

    // Every closed run handed the next one exactly what it ended with: the next run's argument
    // is the carry-over (the next run itself may have moved on since, by a scale).
    const all = await runs(handle.firstExecutionRunId);
    expect(all.length).toBeGreaterThanOrEqual(3);
    for (const [i, run] of all.entries()) {
      if (!run.next) continue;
      const end = await finalStatus(run.runId);
      const { resume } = startArg(all[i + 1]!.history) as { resume: ScenarioCarryOver };
      expect(end.generation).toBe(i);
      expect(resume.generation).toBe(i + 1);
      expect(resume.input).toEqual(spec());
      expect(resume.built).toEqual(end.built);
      expect(resume.vms).toEqual(Object.fromEntries(end.nodes.map((n) => [n.name, n.vms])));
      expect(resume.desired).toEqual(Object.fromEntries(end.nodes.map((n) => [n.name, n.desiredVms])));
      expect(resume.slots).toEqual({ 'can-a': 0, 'can-b': 1 });
      // Packed since issue 15 (src/model/result-pack.ts); the list field stays empty.
      expect(resume.results).toEqual([]);
      expect(unpackResults(resume.packedResults!)).toEqual(results);
      expect(resume.testsPending).toBeNull();
      expect(resume.cleanupErrors).toEqual(end.cleanupErrors);
      // Ranges grow with the VMs and are never given back while the scenario lives.
      expect(Object.keys(resume.book.nodes).sort()).toEqual(NODES);
    }

    await handle.signal(teardownSignal);
    const outcome = await handle.result();
    expect(outcome).toEqual({ name: NAME, phase: 'deleted', deleted: 6, cleanupErrors: [] });
    expect(pluginObjects()).toEqual([]);
    expect(netnsList()).not.toContain(`mk-${tag}`);
    expect(await findTag(stateDir, NAME)).toBeUndefined();

    const final = await runs(handle.firstExecutionRunId);
    const lastEvents = final[final.length - 1]!.history.events ?? [];
    expect(lastEvents[lastEvents.length - 1]?.workflowExecutionCompletedEventAttributes).toBeTruthy();
    if (process.env.MERAK_RECORD_HISTORIES === '1') {
      for (const [i, run] of final.entries()) {
        await writeFile(join(__dirname, '..', 'histories', `${scenarioWorkflowId(NAME)}.run${i}.json`), historyToJSON(run.history));
      }
    }
  } finally {
    if ((await handle.describe()).status.name === 'RUNNING') {
      await handle.signal(teardownSignal);
      await handle.result().catch(() => undefined);
    }
  }
});
