/**
 * Scenario benchmark (`npm run bench:scenario`, as root): whole scenarios end to end through a
 * real Temporal dev server, with the real compute worker, real agent workers and the reference
 * network plugin on loopback, all in this process.
 *
 * 1. reference dataplane, N nodes x M VMs (one endpoint each), ring ping on a sample with
 *    negative checks: time from workflow start to status `ready`, peak RSS, kernel memory delta;
 * 2. `none` dataplane at growing node counts: time to `ready`, history length of the scenario run
 *    and of every node run, under more than one dev-server / poller setting;
 * 3. Temporal overhead: one node x 1000 VMs through the workflow vs the same agent activity calls
 *    made directly (inputs read from the workflow's own history), alternated in the same run.
 *
 * Each scenario is torn down by its `teardown` signal and the kernel is compared with before.
 * Writes bench/results/scenario.json after every case (so a cut-short run leaves what it
 * measured) and the Scenario section of docs/BENCHMARKS.md; prints the summary as JSON last.
 */
import { promises as fs, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import * as path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { createAgentActivities } from '../src/activities/agent/activities';
import { createTestingActivities } from '../src/activities/testing/activities';
import { spawnRunner } from '../src/dataplane/command';
import { cleanAll, cleanScenario } from '../src/dataplane/clean';
import { FileOwnerRecords } from '../src/dataplane/owner-records';
import { findTag } from '../src/dataplane/tags';
import { createPluginRegistry, pluginDirsFromEnv } from '../src/endpoint-plugins/registry';
import { packageRoot } from '../src/install/paths';
import { startReferencePlugin, type RunningReferencePlugin } from '../src/plugin/reference/server';
import { createAgentWorkers } from '../src/workers/agent';
import { createComputeWorker } from '../src/workers/compute';
import { resultsQuery, statusQuery, teardownSignal } from '../src/workflows/messages';
import type { ScenarioStatus } from '../src/model/status';
import { COMPUTE_TASK_QUEUE, nodeWorkflowId, scenarioWorkflowId } from '../src/model/queues';
import type { scenarioWorkflow } from '../src/workflows';
import type { ScenarioInput } from '../src/model/spec';
import { bundleWorkflows, createTestEnv } from '../test/helpers/temporal';
import { devServerPid, load, mb, meminfo, netnsNames, procCpuMs, procMem, resetPeakRss, sampleMax } from './scenario-probe';

const repoRoot = packageRoot();
const env = process.env;

/** "10x1000,2x500" -> [[10,1000],[2,500]] */
function sizes(text: string): Array<[number, number]> {
  return text
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => {
      const [n, v] = s.split('x').map(Number);
      if (!Number.isInteger(n) || !Number.isInteger(v) || n! < 1 || v! < 1) throw new Error(`size ${JSON.stringify(s)}: must be NODESxVMS, e.g. 10x1000`);
      return [n!, v!];
    });
}

const REF_SIZES = sizes(env.MERAK_BENCH_REF_SIZES ?? '2x500,10x200,10x1000');
/**
 * `none` cases as NODESxVMS@SERVER/AGENTS: dev server wal|memory; AGENTS is `pool` (the spec's
 * agentPool: one pooled Worker on merak-agent-pool) or a number (one Worker per node with that
 * many activity polls).
 */
const NONE_CASES = (env.MERAK_BENCH_NONE ?? '100x1000@wal/pool,100x1000@wal/1,1000x1000@wal/pool,1000x1000@memory/pool').split(',').map((c) => {
  const [size, variant] = c.split('@');
  const [server, polls] = (variant ?? 'wal/1').split('/');
  if (server !== 'wal' && server !== 'memory') throw new Error(`none case ${c}: server must be wal or memory`);
  const [[n, v]] = sizes(size!) as [[number, number]];
  if (polls !== 'pool' && !(Number(polls) >= 1)) throw new Error(`none case ${c}: agents must be pool or a poll count`);
  return { nodes: n, vmsPerNode: v, server: server as ServerKind, polls: polls === 'pool' ? ('pool' as const) : Number(polls) };
});
const OVERHEAD_VMS = Number(env.MERAK_BENCH_OVERHEAD_VMS ?? 1000);
const OVERHEAD_ROUNDS = Number(env.MERAK_BENCH_OVERHEAD_ROUNDS ?? 4);
const CASES = new Set((env.MERAK_BENCH_CASES ?? 'overhead,reference,none').split(','));
const READY_TIMEOUT_MS = Number(env.MERAK_BENCH_READY_TIMEOUT_MS ?? 600_000);
/** VMs per agent activity (the spec's batchSize). */
const BATCH = Number(env.MERAK_BENCH_BATCH ?? 500);
const NONE_BATCH = Number(env.MERAK_BENCH_NONE_BATCH ?? 1000);
/** Agent activity executions per node Worker (createAgentWorkers' default is 4). */
const AGENT_EXEC = 4;
const COMPUTE_WF_EXEC = 64;
const COMPUTE_ACT_EXEC = 64;

type ServerKind = 'wal' | 'memory';

interface Server {
  kind: ServerKind;
  args: string[];
  env: TestWorkflowEnvironment;
  plugin: RunningReferencePlugin;
  compute: Worker;
  computeRun: Promise<void>;
  closeCompute(): void;
  pid: number | undefined;
  dir: string;
}

/**
 * The dev server limits long polls per namespace (frontend.namespaceCount, 1200 by default): a
 * thousand node Workers with one poll each plus the compute worker go past it and every poll
 * after that is refused ("namespace concurrent poller limit exceeded"), so it is raised.
 */
const DYNAMIC_CONFIG = [
  '--dynamic-config-value',
  'frontend.namespaceCount=20000',
  // Experiments: more dev-server settings, space-separated (e.g. matching.numTaskqueueReadPartitions=1).
  ...(env.MERAK_BENCH_DYNAMIC_CONFIG ?? '').split(' ').filter((v) => v !== '').flatMap((v) => ['--dynamic-config-value', v]),
];
/** Experiments write elsewhere and leave docs/BENCHMARKS.md alone. @default bench/results/scenario.json */
const RESULTS_FILE = env.MERAK_BENCH_RESULTS_FILE;

function serverArgs(kind: ServerKind, dir: string): string[] {
  if (kind === 'memory') return [...DYNAMIC_CONFIG]; // no --db-filename: the dev server's default, SQLite in memory
  return ['--db-filename', path.join(dir, 'temporal.db'), '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL', ...DYNAMIC_CONFIG];
}

const log = (line: string): void => {
  process.stderr.write(`bench:scenario ${new Date().toISOString().slice(11, 19)} [load ${load()}] ${line}\n`);
};

async function startServer(kind: ServerKind, bundle: Awaited<ReturnType<typeof bundleWorkflows>>): Promise<Server> {
  const dir = mkdtempSync(path.join(tmpdir(), 'merak-bench-temporal-'));
  const args = serverArgs(kind, dir);
  const t0 = performance.now();
  const tenv = await createTestEnv({ extraArgs: args });
  const plugin = await startReferencePlugin({ port: 0 });
  const c = await createComputeWorker({
    connection: tenv.nativeConnection,
    workflowBundle: bundle,
    maxConcurrentWorkflowTaskExecutions: COMPUTE_WF_EXEC,
    maxConcurrentActivityTaskExecutions: COMPUTE_ACT_EXEC,
  });
  log(`dev server (${kind}) and compute worker up in ${Math.round(performance.now() - t0)} ms`);
  return { kind, args, env: tenv, plugin, compute: c.worker, computeRun: c.worker.run(), closeCompute: c.close, pid: devServerPid(), dir };
}

async function stopServer(s: Server): Promise<void> {
  s.compute.shutdown();
  await s.computeRun;
  s.closeCompute();
  await s.plugin.close();
  await s.env.teardown();
  rmSync(s.dir, { recursive: true, force: true });
}

interface CaseResult {
  case: string;
  dataplane: 'reference' | 'none';
  nodes: number;
  vmsPerNode: number;
  vms: number;
  server: string;
  agentPollsPerNode: number | 'sdk-default' | 'pool';
  batchSize: number;
  loadBefore: string;
  loadAfter: string;
  workersStartMs: number;
  /** Start until the first node workflow's VMs are counted (stage 1: plugin objects). */
  stage1Ms?: number;
  readyMs?: number;
  /** CPU used from workflow start to ready: this process (workers, plugin) and the dev server. */
  cpuMsToReady?: { bench: number; devServer: number };
  teardownMs?: number;
  error?: string;
  peakRssBytes: number;
  devServerPeakRssBytes: number;
  kernelSlabDeltaBytes?: number;
  kernelUsedDeltaBytes?: number;
  vmNamespacesAtReady?: number;
  tests?: { total: number; passed: number; negative: number; failed: string[] };
  history?: { scenarioBuildRun: number; scenarioLatestRunAtEnd?: number; continuedAsNew?: boolean; nodeRunsChecked: number; nodeRunMax: number; nodeRunMin: number; allBelow10k: boolean };
  leftInKernel?: string[];
  leftInPlugin?: number;
}

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

async function waitReady(handle: WorkflowHandle<typeof scenarioWorkflow>, timeoutMs: number, stage2: () => void): Promise<ScenarioStatus> {
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
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready after ${timeoutMs} ms; last status phase ${last?.phase}, progress ${JSON.stringify(last?.progress)}`);
}

/** History length of every node run (bounded concurrency) and of the scenario's first run. */
async function histories(s: Server, name: string, nodes: string[], firstRunId: string): Promise<NonNullable<CaseResult['history']>> {
  const client = s.env.client;
  const scenarioBuildRun = (await client.workflow.getHandle(scenarioWorkflowId(name), firstRunId).describe()).historyLength;
  const lengths: number[] = [];
  for (let i = 0; i < nodes.length; i += 20) {
    const part = nodes.slice(i, i + 20);
    lengths.push(...(await Promise.all(part.map(async (n) => (await client.workflow.getHandle(nodeWorkflowId(name, n)).describe()).historyLength))));
  }
  const nodeRunMax = Math.max(...lengths);
  return { scenarioBuildRun, nodeRunsChecked: lengths.length, nodeRunMax, nodeRunMin: Math.min(...lengths), allBelow10k: scenarioBuildRun < 10_000 && nodeRunMax < 10_000 };
}

async function scenarioCase(
  s: Server,
  stateDir: string,
  o: { label: string; name: string; nodes: number; vmsPerNode: number; dataplane: 'reference' | 'none'; polls?: number | 'pool'; vni: number; noTests?: boolean; atReady?: () => Promise<void> },
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
    ...(env.MERAK_BENCH_KERNEL_CONCURRENCY ? { kernelConcurrency: Number(env.MERAK_BENCH_KERNEL_CONCURRENCY) } : {}),
    stateDir,
    maxConcurrentActivityTaskExecutions: AGENT_EXEC,
    ...(typeof o.polls === 'number' ? { maxConcurrentActivityTaskPolls: o.polls } : {}),
    extraActivities: createTestingActivities({ stateDir }),
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
    const c0 = { bench: procCpuMs('self'), devServer: s.pid ? procCpuMs(s.pid) : 0 };
    const t0 = performance.now();
    const started = await s.env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', {
      taskQueue: COMPUTE_TASK_QUEUE,
      workflowId: scenarioWorkflowId(o.name),
      args: [input],
    });
    handle = started;
    firstRunId = started.firstExecutionRunId;
    await waitReady(handle, READY_TIMEOUT_MS, () => (result.stage1Ms ??= Math.round(performance.now() - t0)));
    result.readyMs = Math.round(performance.now() - t0);
    result.cpuMsToReady = { bench: procCpuMs('self') - c0.bench, devServer: s.pid ? procCpuMs(s.pid) - c0.devServer : 0 };
    log(`  ready in ${result.readyMs} ms`);
    const k1 = meminfo();
    result.kernelSlabDeltaBytes = k1.Slab! - k0.Slab!;
    result.kernelUsedDeltaBytes = k0.MemAvailable! - k1.MemAvailable!;
    if (o.dataplane === 'reference') {
      tag = await findTag(stateDir, o.name);
      result.vmNamespacesAtReady = [...netnsNames()].filter((n) => n.startsWith(`mk-${tag}-`) && n.includes('_')).length;
      const res = await handle.query(resultsQuery);
      result.tests = {
        total: res.length,
        passed: res.filter((r) => r.pass).length,
        negative: res.filter((r) => r.negative).length,
        failed: res.filter((r) => !r.pass).slice(0, 5).map((r) => `${r.kind} ${r.source} -> ${r.destination}: ${r.error ?? 'failed'}`),
      };
      log(`  tests: ${result.tests.passed}/${result.tests.total} passed (${result.tests.negative} negative)`);
    }
    result.history = await histories(s, o.name, nodeNames, firstRunId);
    await o.atReady?.();
    log(`  history: scenario build run ${result.history.scenarioBuildRun} events, node runs max ${result.history.nodeRunMax}`);
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`  FAILED: ${result.error}`);
  } finally {
    result.peakRssBytes = procMem('self', 'VmHWM');
    result.devServerPeakRssBytes = serverPeak.stop();
    result.loadAfter = load();
    if (handle) {
      const t1 = performance.now();
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
        log(`  torn down in ${result.teardownMs} ms`);
        const latest = await handle.describe();
        if (result.history) {
          // Teardown runs in the latest run: it must stay below the limit too.
          result.history.scenarioLatestRunAtEnd = latest.historyLength;
          result.history.continuedAsNew = latest.runId !== firstRunId;
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

interface OverheadResult {
  vms: number;
  batchSize: number;
  /** Workflow start to ready, from the history's own timestamps (start event to the workflow task that followed the last node). */
  workflowMs: number[];
  /** The same, as seen by polling the status query every 200 ms (includes the polling delay). */
  workflowQueryMs: number[];
  directMs: number[];
  overheadPct?: number;
  loadBefore: string;
  loadAfter: string;
  error?: string;
  activityCalls: number;
}

/**
 * Pause before each timed build of the overhead case: the kernel frees deleted namespaces
 * asynchronously for a while after their teardown returns, and whichever build came next paid
 * for it (the same direct calls took 2.9 to 4.0 s depending on what ran before them).
 */
const SETTLE_MS = Number(env.MERAK_BENCH_SETTLE_MS ?? 5000);
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

async function overheadCase(s: Server, stateDir: string): Promise<OverheadResult> {
  const out: OverheadResult = { vms: OVERHEAD_VMS, batchSize: BATCH, workflowMs: [], workflowQueryMs: [], directMs: [], loadBefore: load(), loadAfter: '', activityCalls: 0 };
  const records = new FileOwnerRecords(stateDir);
  const direct = createAgentActivities({ mode: 'local', runner: spawnRunner, records, plugins: createPluginRegistry({ runner: spawnRunner, dirs: pluginDirsFromEnv() }) }) as unknown as Record<
    string,
    (input: unknown) => Promise<unknown>
  >;
  let calls: Awaited<ReturnType<typeof recordedCalls>> = [];
  let readyMs = 0;
  try {
    for (let round = 0; round < OVERHEAD_ROUNDS; round++) {
      const name = `bo${round}`;
      await settle();
      const r = await scenarioCase(s, stateDir, {
        label: `overhead workflow round ${round + 1}`,
        name,
        nodes: 1,
        vmsPerNode: OVERHEAD_VMS,
        dataplane: 'reference',
        vni: 3900 + round * 2,
        noTests: true,
        // Read while the node's build run is still its latest run (teardown starts another).
        atReady: async () => {
          if (round === 0) calls = await buildCalls(s, name);
          readyMs = await readyFromHistory(s, name);
          if (env.MERAK_BENCH_TIMELINE === '1') {
            await timeline(s, scenarioWorkflowId(name));
            await timeline(s, nodeWorkflowId(name, `${name}-n0`));
          }
        },
      });
      if (r.readyMs === undefined || r.error) throw new Error(`workflow round ${round + 1}: ${r.error ?? 'not ready'}`);
      out.workflowMs.push(readyMs);
      out.workflowQueryMs.push(r.readyMs);
      if (calls.length === 0) throw new Error('no agent calls found in the node workflow history');
      const dname = `bd${round}`;
      await settle();
      const t0 = performance.now();
      for (const c of calls) await direct[c.name]!({ ...c.input, scenario: dname });
      out.directMs.push(Math.round(performance.now() - t0));
      log(`overhead round ${round + 1}: workflow ${r.readyMs} ms, direct ${out.directMs[round]} ms (${calls.length} activity calls)`);
      await cleanScenario({ runner: spawnRunner, records }, dname);
    }
    out.activityCalls = calls.length;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    out.overheadPct = +((mean(out.workflowMs) / mean(out.directMs) - 1) * 100).toFixed(1);
  } catch (err) {
    out.error = err instanceof Error ? err.message : String(err);
    log(`overhead FAILED: ${out.error}`);
  }
  out.loadAfter = load();
  return out;
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

interface Summary {
  date: string;
  machine: string;
  partial: boolean;
  settings: Record<string, unknown>;
  overhead?: OverheadResult;
  reference: CaseResult[];
  none: CaseResult[];
  targets: Record<string, string>;
}

function verdicts(sum: Summary): Record<string, string> {
  const t: Record<string, string> = {};
  const full = sum.reference.find((r) => r.nodes === 10 && r.vmsPerNode === 1000);
  t.reference10k = !full
    ? 'not measured'
    : full.readyMs === undefined
      ? `missed (did not reach ready: ${full.error})`
      : `${full.readyMs <= 30_000 ? 'met' : 'missed'} (${(full.readyMs / 1000).toFixed(1)} s vs 30 s)`;
  const big = sum.none.filter((r) => r.nodes === 1000 && r.vmsPerNode === 1000 && r.readyMs !== undefined);
  const best = big.sort((a, b) => a.readyMs! - b.readyMs!)[0];
  t.none1M = !best ? 'not reached (see cases)' : `${best.readyMs! <= 60_000 ? 'met' : 'missed'} (best ${(best.readyMs! / 1000).toFixed(1)} s vs 60 s)`;
  const all = sum.none.filter((r) => r.history);
  const worst = Math.max(0, ...all.map((r) => Math.max(r.history!.scenarioBuildRun, r.history!.scenarioLatestRunAtEnd ?? 0, r.history!.nodeRunMax)));
  t.historyBelow10k = all.length === 0 ? 'not measured' : `${worst < 10_000 ? 'met' : 'missed'} (largest run ${worst} events)`;
  const oh = sum.overhead?.overheadPct;
  t.overhead = oh === undefined ? 'not measured' : `${oh <= 10 ? 'met' : 'missed'} (${oh} % vs 10 %)`;
  return t;
}

function kb(n: number | undefined): string {
  return n === undefined ? '-' : `${mb(n)} MB`;
}

function row(r: CaseResult): string {
  const tests = r.tests ? `${r.tests.passed}/${r.tests.total} (${r.tests.negative} neg.)` : '-';
  const hist = r.history
    ? `${r.history.scenarioBuildRun} / ${r.history.nodeRunMax} / ${r.history.scenarioLatestRunAtEnd ?? '-'}${r.history.continuedAsNew ? ' (continued as new)' : ' (same run)'}`
    : '-';
  const left = r.leftInKernel === undefined ? '-' : `${r.leftInKernel.length} ns, ${r.leftInPlugin} plugin obj.`;
  return `| ${r.nodes}×${r.vmsPerNode} | ${r.vms} | ${r.server} | ${r.agentPollsPerNode} | ${r.workersStartMs} | ${r.stage1Ms ?? '-'} | ${r.readyMs ?? `failed: ${r.error}`} | ${r.cpuMsToReady ? `${r.cpuMsToReady.bench} / ${r.cpuMsToReady.devServer}` : '-'} | ${r.teardownMs ?? '-'} | ${tests} | ${hist} | ${kb(r.peakRssBytes)} | ${kb(r.devServerPeakRssBytes)} | ${kb(r.kernelSlabDeltaBytes)} | ${left} | ${r.loadBefore} → ${r.loadAfter} |`;
}

function markdown(sum: Summary): string {
  const head =
    '| nodes×VMs | VMs | server | agent polls/node | workers start ms | stage 1 ms (plugin objects) | start→ready ms | CPU ms to ready (bench process / dev server) | teardown ms | ping sample passed | history events (scenario build run / max node build run / scenario run at the end of teardown) | peak RSS (bench process: workers + plugin) | dev server peak RSS | kernel Slab Δ | left after teardown | load (1/5/15 min) before → after |\n' +
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | --- | --- | ---: | ---: | ---: | --- | --- |';
  const o = sum.overhead;
  return [
    '<!-- scenario:start -->',
    '## Scenario (end to end through Temporal)',
    '',
    `Measured by \`npm run bench:scenario\` on ${sum.machine}, ${sum.date}${sum.partial ? ' (PARTIAL run: cut short, only the rows below were measured)' : ''}.`,
    'Everything runs in one process: the real Temporal dev server (child process, from .tools/bin/temporal, with the dynamic settings of src/temporal/dev-server-config.ts: one partition per task queue, eager activities, 20000 polls), the reference network plugin on loopback, the compute worker and the agents: one Worker per node, or, where "agent polls/node" says pool, the spec sets agentPool and one pooled Worker on merak-agent-pool serves every node.',
    `Workers: compute maxConcurrentWorkflowTaskExecutions ${COMPUTE_WF_EXEC}, maxConcurrentActivityTaskExecutions ${COMPUTE_ACT_EXEC}; per-node agents maxConcurrentActivityTaskExecutions ${AGENT_EXEC}, SDK default pollers unless "agent polls/node" gives a number; pooled agent 64 activities at once; kernel batches take turns, as many at once as the machine has CPUs. Workflow fan-out (fixed in src/workflows/vm-stage.ts and plugin-stage.ts): 32 node workflows in flight (128 with agentPool), 16 plugin calls, more than 50 nodes created 50 per activity.`,
    'Time = workflow start → status query says `ready` (stage 1 plugin objects, every node workflow, and for reference the ring ping sample with negative checks). Teardown = `teardown` signal → workflow result. "left after teardown" counts namespaces the run made that still exist after the workflow ended (read before the owner-record cleanup) and the scenario\'s objects left in the plugin.',
    'Load averages are the whole machine\'s, before → after each case; wall-clock times move with them.',
    '',
    '### Reference dataplane (real namespaces, veths, VXLAN; ring ping sample of at most 50 pairs plus negative checks)',
    '',
    head,
    ...sum.reference.map(row),
    '',
    '### `none` dataplane (control plane only: nothing in the kernel)',
    '',
    head,
    ...sum.none.map(row),
    '',
    '### Temporal overhead (1 node, reference dataplane, no tests)',
    '',
    o
      ? `${o.vms} VMs, batch ${o.batchSize}: through the workflow (start → ready, from the history's timestamps) ${o.workflowMs.join(', ')} ms (${o.workflowQueryMs.join(', ')} ms by polling the status query every 200 ms); the same ${o.activityCalls} agent activity calls (inputs read from the node workflow's history) made directly in this process: ${o.directMs.join(', ')} ms; rounds alternate workflow, direct. Overhead ${o.overheadPct ?? '-'} %. Load ${o.loadBefore} → ${o.loadAfter}.${o.error ? ` Error: ${o.error}` : ''}`
      : 'not measured',
    '',
    `Targets: 10×1000 reference ≤ 30 s — ${sum.targets.reference10k}; 1000×1000 \`none\` ≤ 60 s — ${sum.targets.none1M}; every workflow run < 10,000 history events — ${sum.targets.historyBelow10k}; Temporal overhead ≤ 10 % — ${sum.targets.overhead}.`,
    'Raw numbers: bench/results/scenario.json.',
    '<!-- scenario:end -->',
  ].join('\n');
}

async function write(sum: Summary): Promise<void> {
  sum.targets = verdicts(sum);
  if (RESULTS_FILE !== undefined) {
    await fs.writeFile(RESULTS_FILE, JSON.stringify(sum, null, 2) + '\n');
    return;
  }
  await fs.mkdir(path.join(repoRoot, 'bench', 'results'), { recursive: true });
  await fs.writeFile(path.join(repoRoot, 'bench', 'results', 'scenario.json'), JSON.stringify(sum, null, 2) + '\n');
  const docs = path.join(repoRoot, 'docs', 'BENCHMARKS.md');
  let text = await fs.readFile(docs, 'utf8');
  const section = markdown(sum);
  const re = /<!-- scenario:start -->[\s\S]*?<!-- scenario:end -->/;
  text = re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`;
  await fs.writeFile(docs, text);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the scenario benchmark creates namespaces: run it as root');
  const stateDir = mkdtempSync(path.join(tmpdir(), 'merak-bench-scenario-'));
  const sum: Summary = {
    date: new Date().toISOString(),
    machine: `${cpus().length} CPU (${cpus()[0]?.model ?? 'unknown'})`,
    partial: true,
    settings: {
      devServer: { wal: serverArgs('wal', '<tmp>'), memory: serverArgs('memory', '<tmp>') },
      compute: { maxConcurrentWorkflowTaskExecutions: COMPUTE_WF_EXEC, maxConcurrentActivityTaskExecutions: COMPUTE_ACT_EXEC },
      agent: { maxConcurrentActivityTaskExecutions: AGENT_EXEC },
      referenceBatchSize: BATCH,
      noneBatchSize: NONE_BATCH,
    },
    reference: [],
    none: [],
    targets: {},
  };
  // One line per agent Worker at WARN ("no workflows registered") would bury the report.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const bundle = await bundleWorkflows(require.resolve('../src/workflows'));
  let server = await startServer('wal', bundle);
  try {
    if (CASES.has('overhead')) {
      sum.overhead = await overheadCase(server, stateDir);
      await write(sum);
    }
    if (CASES.has('reference')) {
      for (const [i, [n, v]] of REF_SIZES.entries()) {
        sum.reference.push(await scenarioCase(server, stateDir, { label: `reference ${n}x${v}`, name: `br${i}`, nodes: n, vmsPerNode: v, dataplane: 'reference', vni: 3000 + i * 2 }));
        await write(sum);
      }
    }
    if (CASES.has('none')) {
      for (const [k, c] of NONE_CASES.entries()) {
        if (c.server !== server.kind) {
          await stopServer(server);
          server = await startServer(c.server, bundle);
        }
        sum.none.push(
          await scenarioCase(server, stateDir, { label: `none ${c.nodes}x${c.vmsPerNode}`, name: `bn${k}`, nodes: c.nodes, vmsPerNode: c.vmsPerNode, dataplane: 'none', polls: c.polls, vni: 3500 + k * 2 }),
        );
        await write(sum);
      }
    }
    sum.partial = false;
    await write(sum);
    process.stdout.write(JSON.stringify(sum) + '\n');
  } finally {
    await stopServer(server).catch((e: unknown) => log(`stopping the server: ${String(e)}`));
    // Anything a failed case left is removed by its owner records, as `merak clean --all` does.
    await cleanAll({ runner: spawnRunner, records: new FileOwnerRecords(stateDir) }).catch((e: unknown) => log(`clean: ${String(e)}`));
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:scenario: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
