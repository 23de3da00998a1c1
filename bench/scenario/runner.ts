/** The cases: one scenario end to end through the workflows, and the Temporal overhead comparison. */
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { createAgentActivities } from '../../src/activities/agent/activities';
import { createNodeCollectors } from '../../src/activities/agent/collectors';
import { collectorFiles } from '../../src/dataplane/collector';
import { daemonPid } from '../../src/dataplane/daemon';
import { createTestingActivities } from '../../src/activities/testing/activities';
import { spawnRunner } from '../../src/dataplane/command';
import { cleanScenario } from '../../src/dataplane/clean';
import { FileOwnerRecords } from '../../src/dataplane/owner-records';
import { findTag } from '../../src/dataplane/tags';
import { createPluginRegistry, pluginDirsFromEnv } from '../../src/endpoint-plugins/registry';
import { createAgentWorkers } from '../../src/workers/agent';
import { fetchResults } from '../../src/cli/results-fetch';
import { reportQuery, statusQuery, teardownSignal } from '../../src/workflows/messages';
import { summarizeHistogram } from '../../src/model/metrics';
import type { ScenarioStatus } from '../../src/model/status';
import { COMPUTE_TASK_QUEUE, nodeWorkflowId, scenarioWorkflowId } from '../../src/model/queues';
import type { scenarioWorkflow } from '../../src/workflows';
import type { ScenarioInput } from '../../src/model/spec';
import { childrenCpuMs, load, meminfo, netnsNames, procCpuMs, procMem, resetPeakRss, sampleMax, threadCpuMs } from '../scenario-probe';
import { AGENT_EXEC, BATCH, COLLECTOR, KERNEL_CONCURRENCY, NONE_BATCH, OVERHEAD_POLL_MS, OVERHEAD_ROUNDS, OVERHEAD_VMS, READY_TIMEOUT_MS, SAVE_HISTORY_DIR, SETTLE_MS, TIMELINE } from './config';
import { log } from './log';
import { median, type CaseResult, type OverheadResult } from './report';
import type { Server } from './server';

function spec(name: string, address: string, nodes: string[], vmsPerNode: number, dataplane: 'reference' | 'none', vni: number): ScenarioInput {
  const reference = dataplane === 'reference';
  return {
    name,
    plugin: { address, deadlineMs: 10_000, retryWindowMs: 120_000 },
    dataplane,
    // Two VPCs so the negative checks have pairs; /9s hold a million addresses for `none`.
    vpcs: reference
      ? [
          { id: `${name}-blue`, vni, cidr: '10.64.0.0/16', subnets: [{ id: `${name}-blue-1`, cidr: '10.64.0.0/16' }] },
          { id: `${name}-green`, vni: vni + 1, cidr: '10.65.0.0/16', subnets: [{ id: `${name}-green-1`, cidr: '10.65.0.0/16' }] },
        ]
      : [
          { id: `${name}-blue`, vni, cidr: '10.0.0.0/9', subnets: [{ id: `${name}-blue-1`, cidr: '10.0.0.0/9' }] },
          { id: `${name}-green`, vni: vni + 1, cidr: '10.128.0.0/9', subnets: [{ id: `${name}-green-1`, cidr: '10.128.0.0/9' }] },
        ],
    nodes,
    vmsPerNode,
    underlay: { cidr: '100.96.0.0/16' },
    batchSize: reference ? BATCH : NONE_BATCH,
    tests: reference ? { kinds: ['icmp'], pairs: 'ring', maxPairs: 50, negative: true } : { kinds: [] },
  } as ScenarioInput;
}

/**
 * Polls the status query until `ready`, every `pollMs` (200 ms, more for thousands of nodes: the
 * status lists every node, about 120 bytes each, and each query is an activation of the scenario).
 */
async function waitReady(handle: WorkflowHandle<typeof scenarioWorkflow>, timeoutMs: number, pollMs: number, stage2: () => void): Promise<ScenarioStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: ScenarioStatus | undefined;
  let lastLog = 0;
  while (Date.now() < deadline) {
    try {
      last = await handle.query(statusQuery);
    } catch (err) {
      // The first query may come before the first workflow task has run.
      if (Date.now() > deadline - 1000) throw err;
    }
    if (last && last.progress.total > 0) stage2();
    if (last?.phase === 'ready') return last;
    if (last?.phase === 'failed') throw new Error(`scenario failed: ${last.error}`);
    if (last && Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`  ${last.phase}: ${last.progress.done}/${last.progress.total} ${last.progress.unit}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`not ready after ${timeoutMs} ms; last status phase ${last?.phase}, progress ${JSON.stringify(last?.progress)}`);
}

/** Node runs whose workflow tasks are timed (fetching every history of 10,000 nodes would take minutes). */
const TIMED_NODE_RUNS = 100;

/**
 * Workflow task durations of one run, from its history: each task's started event to its
 * completed (or failed, timed-out) event, as the server recorded them. The longest task is the
 * longest activation (plus the round trip), what the SDK's deadlock and task timeouts judge.
 */
async function taskTimes(s: Server, workflowId: string, runId?: string): Promise<{ events: number; tasks: number; maxMs: number; totalMs: number; failed: number; activities: Record<string, number> }> {
  const events = (await s.env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
  const ms = (e: (typeof events)[number]): number => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
  let started: number | undefined;
  const out = { events: events.length, tasks: 0, maxMs: 0, totalMs: 0, failed: 0, activities: {} as Record<string, number> };
  for (const e of events) {
    const type = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (type) out.activities[type] = (out.activities[type] ?? 0) + 1;
    if (e.workflowTaskStartedEventAttributes) started = ms(e);
    const end = e.workflowTaskCompletedEventAttributes ?? e.workflowTaskFailedEventAttributes ?? e.workflowTaskTimedOutEventAttributes;
    if (end && started !== undefined) {
      const d = ms(e) - started;
      out.tasks++;
      out.totalMs += d;
      out.maxMs = Math.max(out.maxMs, d);
      if (!e.workflowTaskCompletedEventAttributes) out.failed++;
      started = undefined;
    }
  }
  out.maxMs = Math.round(out.maxMs);
  out.totalMs = Math.round(out.totalMs);
  return out;
}

/** Ids of the node group workflows a scenario run started (src/workflows/node-group.ts), read from its history. */
async function groupIds(s: Server, workflowId: string, runId: string): Promise<string[]> {
  const events = (await s.env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
  return events
    .map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)
    .filter((a) => a?.workflowType?.name === 'nodeGroupWorkflow')
    .map((a) => a!.workflowId!);
}

/** A describe that found no such workflow: undefined; any other error is thrown. */
function notFound(err: unknown): undefined {
  if (err instanceof WorkflowNotFoundError) return undefined;
  throw err;
}

/** Runs `fn` over `items`, `width` at a time. */
async function inParts<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

/**
 * History length of every node run (bounded concurrency), of the node groups and of the
 * scenario's first run; workflow task durations of the scenario's build run, of every group and
 * of up to TIMED_NODE_RUNS node runs spread over the nodes.
 */
async function histories(s: Server, name: string, nodes: string[], firstRunId: string): Promise<NonNullable<CaseResult['history']>> {
  const client = s.env.client;
  const scenario = await taskTimes(s, scenarioWorkflowId(name), firstRunId);
  // With agentPool (reconcileNoneNodes) there is no node workflow: none is found.
  const lengths = (await inParts(nodes, 20, async (n) => client.workflow.getHandle(nodeWorkflowId(name, n)).describe().then((d) => d.historyLength, notFound))).filter((l): l is number => l !== undefined);
  const groups = await inParts(await groupIds(s, scenarioWorkflowId(name), firstRunId), 10, (id) => taskTimes(s, id));
  const step = Math.max(1, Math.floor(nodes.length / TIMED_NODE_RUNS));
  const timedNodes = lengths.length === 0 ? [] : await inParts(
    nodes.filter((_, i) => i % step === 0),
    10,
    (n) => taskTimes(s, nodeWorkflowId(name, n)),
  );
  const nodeRunMax = Math.max(0, ...lengths);
  const groupRunMax = Math.max(0, ...groups.map((g) => g.events));
  return {
    scenarioBuildRun: scenario.events,
    nodeRunsChecked: lengths.length,
    nodeRunMax,
    nodeRunMin: lengths.length ? Math.min(...lengths) : 0,
    batchActivities: scenario.activities['reconcileNoneNodes'] ?? 0,
    groupRuns: groups.length,
    groupRunMax,
    allBelow10k: scenario.events < 10_000 && nodeRunMax < 10_000 && groupRunMax < 10_000,
    workflowTasks: {
      scenarioBuildRun: { tasks: scenario.tasks, maxMs: scenario.maxMs, totalMs: scenario.totalMs, failed: scenario.failed },
      groups: { tasks: groups.reduce((a, g) => a + g.tasks, 0), maxMs: Math.max(0, ...groups.map((g) => g.maxMs)), totalMs: groups.reduce((a, g) => a + g.totalMs, 0), failed: groups.reduce((a, g) => a + g.failed, 0) },
      nodeRunsTimed: timedNodes.length,
      nodes: { tasks: timedNodes.reduce((a, g) => a + g.tasks, 0), maxMs: Math.max(0, ...timedNodes.map((g) => g.maxMs)), totalMs: timedNodes.reduce((a, g) => a + g.totalMs, 0), failed: timedNodes.reduce((a, g) => a + g.failed, 0) },
    },
  };
}

export async function scenarioCase(
  s: Server,
  stateDir: string,
  o: { label: string; name: string; nodes: number; vmsPerNode: number; dataplane: 'reference' | 'none'; polls?: number | 'pool'; vni: number; noTests?: boolean; pollMs?: number; atReady?: () => Promise<void> },
): Promise<CaseResult> {
  const nodeNames = Array.from({ length: o.nodes }, (_, i) => `${o.name}-n${i}`);
  const result: CaseResult = {
    case: o.label,
    dataplane: o.dataplane,
    nodes: o.nodes,
    vmsPerNode: o.vmsPerNode,
    vms: o.nodes * o.vmsPerNode,
    server: s.kind === 'memory' ? 'SQLite in memory' : `SQLite file, ${s.args.filter((a) => a.includes('=') && !a.includes('.')).join(', ')}`,
    agentPollsPerNode: o.polls ?? 'sdk-default',
    batchSize: o.dataplane === 'reference' ? BATCH : NONE_BATCH,
    loadBefore: load(),
    loadAfter: '',
    workersStartMs: 0,
    peakRssBytes: 0,
    devServerPeakRssBytes: 0,
  };
  log(`${o.label}: ${o.nodes} nodes x ${o.vmsPerNode} VMs (${o.dataplane}), server ${s.kind}, polls ${result.agentPollsPerNode}`);
  const nsBefore = netnsNames();
  const k0 = meminfo();
  resetPeakRss();
  const serverPeak = sampleMax(() => (s.pid ? procMem(s.pid, 'VmRSS') : 0));
  const tw = performance.now();
  const agents = await createAgentWorkers({
    connection: s.env.nativeConnection,
    nodes: o.polls === 'pool' ? [] : nodeNames,
    pool: o.polls === 'pool',
    ...(KERNEL_CONCURRENCY !== undefined ? { kernelConcurrency: KERNEL_CONCURRENCY } : {}),
    stateDir,
    maxConcurrentActivityTaskExecutions: AGENT_EXEC,
    ...(typeof o.polls === 'number' ? { maxConcurrentActivityTaskPolls: o.polls } : {}),
    extraActivities: createTestingActivities({ stateDir }),
    ...(COLLECTOR === 'on' && o.dataplane === 'reference' ? { collectors: createNodeCollectors({ mode: 'on', runner: spawnRunner, records: new FileOwnerRecords(stateDir), nodeMode: 'local' }) } : {}),
  });
  const agentsRun = Promise.all(agents.map((w) => w.run()));
  result.workersStartMs = Math.round(performance.now() - tw);
  log(`  ${agents.length} agent workers started in ${result.workersStartMs} ms`);
  const input = spec(o.name, s.plugin.address, nodeNames, o.vmsPerNode, o.dataplane, o.vni);
  if (o.polls === 'pool') input.agentPool = true;
  if (o.noTests) input.tests = { kinds: [] };
  let handle: WorkflowHandle<typeof scenarioWorkflow> | undefined;
  let firstRunId = '';
  /** The scenario's kernel tag, read while it exists (teardown releases it). */
  let tag: string | undefined;
  try {
    const c0 = { bench: procCpuMs('self'), devServer: s.pid ? procCpuMs(s.pid) : 0, workflowThread: threadCpuMs(s.workflowThreads), children: childrenCpuMs() };
    const t0 = performance.now();
    const started = await s.env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', {
      taskQueue: COMPUTE_TASK_QUEUE,
      workflowId: scenarioWorkflowId(o.name),
      args: [input],
    });
    handle = started;
    firstRunId = started.firstExecutionRunId;
    await waitReady(handle, READY_TIMEOUT_MS, o.pollMs ?? statusPollMs(o.nodes), () => (result.stage1Ms ??= Math.round(performance.now() - t0)));
    result.readyMs = Math.round(performance.now() - t0);
    result.cpuMsToReady = {
      bench: procCpuMs('self') - c0.bench,
      devServer: s.pid ? procCpuMs(s.pid) - c0.devServer : 0,
      workflowThread: threadCpuMs(s.workflowThreads) - c0.workflowThread,
      children: childrenCpuMs() - c0.children,
    };
    log(`  ready in ${result.readyMs} ms`);
    const k1 = meminfo();
    result.kernelSlabDeltaBytes = k1.Slab! - k0.Slab!;
    result.kernelUsedDeltaBytes = k0.MemAvailable! - k1.MemAvailable!;
    if (o.dataplane === 'reference') {
      tag = await findTag(stateDir, o.name);
      result.vmNamespacesAtReady = [...netnsNames()].filter((n) => n.startsWith(`mk-${tag}-`) && n.includes('_')).length;
      const res = (await fetchResults(handle)).results;
      result.tests = {
        total: res.length,
        passed: res.filter((r) => r.pass).length,
        negative: res.filter((r) => r.negative).length,
        failed: res.filter((r) => !r.pass).slice(0, 5).map((r) => `${r.kind} ${r.source} -> ${r.destination}: ${r.error ?? 'failed'}`),
      };
      log(`  tests: ${result.tests.passed}/${result.tests.total} passed (${result.tests.negative} negative)`);
      if (COLLECTOR === 'on') {
        // Each collector's whole life is this build (started by ensureNode): its CPU so far is the build's.
        const cpu = await Promise.all(nodeNames.map(async (n) => { const p = await daemonPid(collectorFiles(tag!, n).pidfile); return p === undefined ? undefined : procCpuMs(p); }));
        const known = cpu.filter((x): x is number => x !== undefined);
        result.collector = { nodes: known.length, cpuMsSum: known.reduce((a, b) => a + b, 0), cpuMsMax: Math.max(0, ...known), maxPctOfCore: +((Math.max(0, ...known) / result.readyMs) * 100).toFixed(2) };
        log(`  collectors: ${known.length}/${nodeNames.length} running, CPU ${result.collector.cpuMsSum} ms together, at most ${result.collector.maxPctOfCore} % of a core per node`);
      }
      const reach = (await handle.query(reportQuery)).metrics.reachability;
      if (reach) {
        const t = summarizeHistogram(reach.histogram);
        result.reachability = { probed: reach.probed, reachable: reach.reachable, p50: t.p50, p95: t.p95, max: t.max };
        log(`  time to reachable: ${reach.reachable}/${reach.probed} reached, p50 ${t.p50} ms, p95 ${t.p95} ms, max ${t.max} ms`);
      }
    }
    result.history = await histories(s, o.name, nodeNames, firstRunId);
    if (SAVE_HISTORY_DIR !== undefined) {
      const file = path.join(SAVE_HISTORY_DIR, `${scenarioWorkflowId(o.name)}.${o.nodes}x${o.vmsPerNode}.json`);
      await fs.writeFile(file, historyToJSON(await handle.fetchHistory()));
      log(`  build-run history saved to ${file}`);
    }
    await o.atReady?.();
    const wt = result.history.workflowTasks;
    log(
      `  history: scenario build run ${result.history.scenarioBuildRun} events, ${result.history.groupRuns} node groups (max ${result.history.groupRunMax} events), ${result.history.batchActivities} reconcileNoneNodes, ${result.history.nodeRunsChecked} node runs (max ${result.history.nodeRunMax}); ` +
        `longest workflow task: scenario ${wt?.scenarioBuildRun.maxMs} ms (${wt?.scenarioBuildRun.tasks} tasks, ${wt?.scenarioBuildRun.totalMs} ms in all), groups ${wt?.groups.maxMs} ms, ${wt?.nodeRunsTimed} node runs ${wt?.nodes.maxMs} ms`,
    );
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`  FAILED: ${result.error}`);
  } finally {
    result.peakRssBytes = procMem('self', 'VmHWM');
    result.devServerPeakRssBytes = serverPeak.stop();
    result.loadAfter = load();
    if (handle) {
      const t1 = performance.now();
      const c1 = { bench: procCpuMs('self'), devServer: s.pid ? procCpuMs(s.pid) : 0 };
      try {
        if ((await handle.describe()).status.name === 'RUNNING') {
          // A scenario still building reads the teardown signal only once built; cancelling
          // makes it undo what it made right away.
          if (result.readyMs !== undefined) await handle.signal(teardownSignal);
          else await handle.cancel();
        }
        await handle.result().catch((err: unknown) => {
          if (result.readyMs !== undefined) throw err;
        });
        result.teardownMs = Math.round(performance.now() - t1);
        result.cpuMsTeardown = { bench: procCpuMs('self') - c1.bench, devServer: s.pid ? procCpuMs(s.pid) - c1.devServer : 0 };
        log(`  torn down in ${result.teardownMs} ms`);
        const latest = await handle.describe();
        if (result.history) {
          // Teardown runs in the latest run: it must stay below the limit too.
          result.history.scenarioLatestRunAtEnd = latest.historyLength;
          result.history.continuedAsNew = latest.runId !== firstRunId;
        }
        if (SAVE_HISTORY_DIR !== undefined) {
          // The teardown's run (the latest), for where the teardown's time went. Only an aid: a
          // history past the client's 4 MB message limit (10,000 nodes) is logged, not a failure.
          const file = path.join(SAVE_HISTORY_DIR, `${scenarioWorkflowId(o.name)}.${o.nodes}x${o.vmsPerNode}.teardown.json`);
          try {
            await fs.writeFile(file, historyToJSON(await handle.fetchHistory()));
            log(`  teardown-run history saved to ${file}`);
          } catch (err) {
            log(`  teardown-run history not saved: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
      } catch (err) {
        result.error = `${result.error ?? ''} teardown: ${err instanceof Error ? err.message : String(err)}`.trim();
        await handle.terminate('benchmark teardown failed').catch(() => undefined);
      }
    }
    agents.forEach((w) => w.shutdown());
    await agentsRun;
    // What the scenario left, read before the owner-record cleanup removes it.
    const after = netnsNames();
    // Only this scenario's namespaces (its tag): other work on the machine makes its own.
    tag ??= await findTag(stateDir, o.name);
    result.leftInKernel = tag === undefined ? [] : [...after].filter((n) => !nsBefore.has(n) && n.startsWith(`mk-${tag}-`)).slice(0, 20);
    const snap = s.plugin.state.snapshot();
    result.leftInPlugin = [...snap.vpcs.map((v) => v.id), ...snap.subnets.map((x) => x.id), ...snap.nodes.map((n) => n.name)].filter((id) => id.startsWith(`${o.name}-`)).length;
    await cleanScenario({ runner: spawnRunner, records: new FileOwnerRecords(stateDir) }, o.name);
    log(`  left in kernel: ${result.leftInKernel.length}, in plugin: ${result.leftInPlugin}`);
  }
  return result;
}

/** Status polling interval for a scenario of `nodes` nodes: 200 ms up to 1000 nodes, then 0.2 ms per node (2 s at 10,000). */
export function statusPollMs(nodes: number): number {
  return Math.max(200, Math.round(nodes / 5));
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, SETTLE_MS));

/** The agent activity calls a node workflow made, in order, read from its history. */
async function recordedCalls(s: Server, scenario: string, node: string): Promise<Array<{ name: string; input: Record<string, unknown> }>> {
  const history = await s.env.client.workflow.getHandle(nodeWorkflowId(scenario, node)).fetchHistory();
  const calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  for (const e of history.events ?? []) {
    const a = e.activityTaskScheduledEventAttributes;
    if (!a?.activityType?.name || !a.input?.payloads?.[0]) continue;
    calls.push({ name: a.activityType.name, input: defaultPayloadConverter.fromPayload(a.input.payloads[0]) });
  }
  return calls;
}

/**
 * Temporal's overhead: the same 1-node build through the workflow and as direct agent calls, in
 * OVERHEAD_ROUNDS pairs. Each pair's two builds run back to back after the same pause (SETTLE_MS),
 * the order alternating (workflow first in even rounds, direct first in odd ones) so neither side
 * always follows the other's teardown. The figure is the median over the pairs of workflow/direct
 * − 1: a pair shares the machine's state of the moment (other load, the kernel's freeing of the
 * previous build), which a ratio of means over the whole run does not cancel.
 */
export async function overheadCase(s: Server, stateDir: string): Promise<OverheadResult> {
  const pairPct: number[] = [];
  const order: NonNullable<OverheadResult['order']> = [];
  const activityMs: number[] = [];
  const dispatchMs: number[] = [];
  const cpu: NonNullable<OverheadResult['cpu']> = [];
  const out: OverheadResult = { vms: OVERHEAD_VMS, batchSize: BATCH, rounds: OVERHEAD_ROUNDS, settleMs: SETTLE_MS, workflowMs: [], workflowQueryMs: [], directMs: [], pairPct, order, activityMs, dispatchMs, cpu, loadBefore: load(), loadAfter: '', activityCalls: 0 };
  const records = new FileOwnerRecords(stateDir);
  const direct = createAgentActivities({ mode: 'local', runner: spawnRunner, records, plugins: createPluginRegistry({ runner: spawnRunner, dirs: pluginDirsFromEnv() }) }) as unknown as Record<
    string,
    (input: unknown) => Promise<unknown>
  >;
  let calls: Awaited<ReturnType<typeof recordedCalls>> = [];
  try {
    // Round 0 runs the workflow first anyway: its history gives the direct calls' inputs.
    for (let round = 0; round < OVERHEAD_ROUNDS; round++) {
      const workflowFirst = round % 2 === 0;
      let w: { ms: number; queryMs: number; activityMs: number; dispatchMs: number; cpu: NonNullable<CaseResult['cpuMsToReady']>; events: { scenario: number; node: number } } | undefined;
      let d: { ms: number; cpu: { bench: number; children: number } } | undefined;
      const runWorkflow = async () => {
        const name = `bo${round}`;
        await settle();
        let ready = 0;
        let acts = { activityMs: 0, dispatchMs: 0 };
        const r = await scenarioCase(s, stateDir, {
          label: `overhead workflow round ${round + 1}`,
          name,
          nodes: 1,
          vmsPerNode: OVERHEAD_VMS,
          dataplane: 'reference',
          vni: 3900 + round * 2,
          noTests: true,
          // The time is the history's; polling the status less often keeps the observer's own
          // queries (each a workflow task and a server round trip) off the measured build.
          pollMs: OVERHEAD_POLL_MS,
          // Read while the node's build run is still its latest run (teardown starts another).
          atReady: async () => {
            if (calls.length === 0) calls = await buildCalls(s, name);
            ready = await readyFromHistory(s, name);
            acts = await agentActivityTimes(s, nodeWorkflowId(name, `${name}-n0`));
            if (TIMELINE) {
              await timeline(s, scenarioWorkflowId(name));
              await timeline(s, nodeWorkflowId(name, `${name}-n0`));
            }
          },
        });
        if (r.readyMs === undefined || r.error || !r.cpuMsToReady || !r.history) throw new Error(`workflow round ${round + 1}: ${r.error ?? 'not ready'}`);
        w = { ms: ready, queryMs: r.readyMs, ...acts, cpu: r.cpuMsToReady, events: { scenario: r.history.scenarioBuildRun, node: r.history.nodeRunMax } };
      };
      const runDirect = async () => {
        if (calls.length === 0) throw new Error('no agent calls found in the node workflow history');
        const dname = `bd${round}`;
        await settle();
        const c0 = { bench: procCpuMs('self'), children: childrenCpuMs() };
        const t0 = performance.now();
        for (const c of calls) await direct[c.name]!({ ...c.input, scenario: dname });
        d = { ms: Math.round(performance.now() - t0), cpu: { bench: procCpuMs('self') - c0.bench, children: childrenCpuMs() - c0.children } };
        await cleanScenario({ runner: spawnRunner, records }, dname);
      };
      if (workflowFirst || calls.length === 0) {
        await runWorkflow();
        await runDirect();
      } else {
        await runDirect();
        await runWorkflow();
      }
      const wr = w!;
      const dr = d!;
      order.push(workflowFirst || round === 0 ? 'workflow-direct' : 'direct-workflow');
      out.workflowMs.push(wr.ms);
      out.workflowQueryMs.push(wr.queryMs);
      out.directMs.push(dr.ms);
      activityMs.push(wr.activityMs);
      dispatchMs.push(wr.dispatchMs);
      pairPct.push(+((wr.ms / dr.ms - 1) * 100).toFixed(1));
      cpu.push({ workflow: wr.cpu, direct: dr.cpu });
      out.historyEvents = wr.events;
      log(
        `overhead round ${round + 1} (${order[round]}): workflow ${wr.ms} ms (agent activities ${wr.activityMs} ms, their dispatch ${wr.dispatchMs} ms; CPU bench ${wr.cpu.bench} + children ${wr.cpu.children} ms, of which workflow thread ${wr.cpu.workflowThread} ms; dev server ${wr.cpu.devServer} ms), ` +
          `direct ${dr.ms} ms (CPU ${dr.cpu.bench} + children ${dr.cpu.children} ms): ${pairPct[round]} %`,
      );
    }
    out.activityCalls = calls.length;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    out.overheadPct = +median(pairPct).toFixed(1);
    out.overheadMeanPct = +((mean(out.workflowMs) / mean(out.directMs) - 1) * 100).toFixed(1);
    out.medianDiffMs = Math.round(median(out.workflowMs.map((x, i) => x - out.directMs[i]!)));
    out.medianDirectMs = Math.round(median(out.directMs));
  } catch (err) {
    out.error = err instanceof Error ? err.message : String(err);
    log(`overhead FAILED: ${out.error}`);
  }
  out.loadAfter = load();
  return out;
}

/**
 * The agent activities of a node run, from its history: their time in the agent (started →
 * completed) and their time from scheduled to started (the task queue's dispatch), summed, ms.
 */
async function agentActivityTimes(s: Server, workflowId: string): Promise<{ activityMs: number; dispatchMs: number }> {
  const events = (await s.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const ms = (e: (typeof events)[number]): number => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
  const byId = new Map<string, (typeof events)[number]>();
  for (const e of events) byId.set(String(e.eventId), e);
  let activityMs = 0;
  let dispatchMs = 0;
  for (const e of events) {
    const done = e.activityTaskCompletedEventAttributes;
    if (!done) continue;
    const started = byId.get(String(done.startedEventId));
    const scheduled = byId.get(String(done.scheduledEventId));
    if (started) activityMs += ms(e) - ms(started);
    if (started && scheduled) dispatchMs += ms(started) - ms(scheduled);
  }
  return { activityMs: Math.round(activityMs), dispatchMs: Math.round(dispatchMs) };
}

/** Logs a workflow's events with their times from its start (MERAK_BENCH_TIMELINE=1): where the fixed costs are. */
async function timeline(s: Server, workflowId: string): Promise<void> {
  const events = (await s.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const ms = (e: (typeof events)[number]): number => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
  const t0 = ms(events[0]!);
  for (const e of events) {
    const kind = Object.keys(e).find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k]) ?? '?';
    const a = e.activityTaskScheduledEventAttributes;
    log(`  ${workflowId} +${(ms(e) - t0).toFixed(1)} ms ${kind.replace('EventAttributes', '')}${a ? ` ${a.activityType?.name}` : ''}`);
  }
}

/**
 * Start to `ready` of a test-less build, read from the scenario's history: from the start event
 * to the completion of the workflow task that handled the last node workflow's result (the
 * task in which the workflow became ready). Polling the status query would add its interval.
 */
async function readyFromHistory(s: Server, scenario: string): Promise<number> {
  const events = (await s.env.client.workflow.getHandle(scenarioWorkflowId(scenario)).fetchHistory()).events ?? [];
  const ms = (e: (typeof events)[number]): number => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
  const lastChild = events.map((e) => Boolean(e.childWorkflowExecutionCompletedEventAttributes)).lastIndexOf(true);
  const done = events.slice(lastChild + 1).find((e) => e.workflowTaskCompletedEventAttributes);
  if (lastChild < 0 || !done) throw new Error(`scenario ${scenario}: no completed node workflow followed by a workflow task in its history`);
  return ms(done) - ms(events[0]!);
}

/** The build's agent calls of a one-node scenario, in the order the node workflow made them. */
async function buildCalls(s: Server, scenario: string): Promise<Awaited<ReturnType<typeof recordedCalls>>> {
  const calls = await recordedCalls(s, scenario, `${scenario}-n0`);
  return calls.filter((c) => ['ensureNode', 'createVms', 'createEndpoints', 'createBatch'].includes(c.name));
}

