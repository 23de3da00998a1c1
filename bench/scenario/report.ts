/** What the benchmark measured: result records, the verdicts against the targets, and the docs section. */
import { writeDocsSection } from '../docs-section';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../../src/install/paths';
import { mb } from '../scenario-probe';
import { AGENT_EXEC, COMPUTE_ACT_EXEC, COMPUTE_WF_EXEC, DOCS_SECTION, RESULTS_FILE } from './config';

export interface CaseResult {
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
  /**
   * CPU used from workflow start to ready, ms: this process (workers, plugin), the dev server, the
   * compute worker's workflow thread (part of `bench`), and this process's exited children (the
   * agent's commands; absent in runs before it was measured).
   */
  cpuMsToReady?: { bench: number; devServer: number; workflowThread?: number; children?: number };
  teardownMs?: number;
  /** CPU used from the teardown signal to the workflow's result: this process and the dev server. */
  cpuMsTeardown?: { bench: number; devServer: number };
  error?: string;
  peakRssBytes: number;
  devServerPeakRssBytes: number;
  kernelSlabDeltaBytes?: number;
  kernelUsedDeltaBytes?: number;
  vmNamespacesAtReady?: number;
  tests?: { total: number; passed: number; negative: number; failed: string[] };
  /** Time to reachable of the probed endpoints (the report query; docs/report.md), ms. */
  reachability?: { probed: number; reachable: number; p50: number; p95: number; max: number };
  /** The nodes' eBPF collectors (MERAK_BENCH_COLLECTOR=on): running at ready, CPU ms from start to ready (sum, largest), largest as % of one core over start → ready. */
  collector?: { nodes: number; cpuMsSum: number; cpuMsMax: number; maxPctOfCore: number };
  history?: {
    scenarioBuildRun: number;
    scenarioLatestRunAtEnd?: number;
    continuedAsNew?: boolean;
    /** Node workflows found (none with agentPool beyond 100 nodes: reconcileNoneNodes instead). */
    nodeRunsChecked: number;
    /** reconcileNoneNodes activities the build run scheduled (agentPool: one per 100 nodes). */
    batchActivities?: number;
    nodeRunMax: number;
    nodeRunMin: number;
    /** Node group workflows the build run started, and the longest group history (events). */
    groupRuns?: number;
    groupRunMax?: number;
    allBelow10k: boolean;
    /** Workflow task durations (started → completed, server times), ms: the scenario's build run, every group, a sample of node runs. */
    workflowTasks?: { scenarioBuildRun: TaskTimes; groups: TaskTimes; nodeRunsTimed: number; nodes: TaskTimes };
  };
  leftInKernel?: string[];
  leftInPlugin?: number;
}

/** Workflow tasks of some runs: how many, the longest, all together (ms), and how many failed or timed out. */
export interface TaskTimes {
  tasks: number;
  maxMs: number;
  totalMs: number;
  failed: number;
}

export interface OverheadResult {
  vms: number;
  batchSize: number;
  /** Workflow/direct pairs, and the pause before each timed build, ms (absent in runs before them). */
  rounds?: number;
  settleMs?: number;
  /** Workflow start to ready, from the history's own timestamps (start event to the workflow task that followed the last node). */
  workflowMs: number[];
  /** The same, as seen by polling the status query (includes the polling delay). */
  workflowQueryMs: number[];
  directMs: number[];
  /** Each pair's workflow/direct − 1, %; which of the two ran first. */
  pairPct?: number[];
  order?: Array<'workflow-direct' | 'direct-workflow'>;
  /** In each workflow build: the agent activities' time (started → completed) and their dispatch (scheduled → started), summed, ms. */
  activityMs?: number[];
  dispatchMs?: number[];
  /** CPU ms of each pair: the workflow build (start → ready as polled) and the direct calls. */
  cpu?: Array<{ workflow: NonNullable<CaseResult['cpuMsToReady']>; direct: { bench: number; children: number } }>;
  /** History events of the last workflow build: the scenario's build run and the node's run. */
  historyEvents?: { scenario: number; node: number };
  /** The median of pairPct (since the pairs); before, mean(workflowMs) / mean(directMs) − 1. */
  overheadPct?: number;
  /** mean(workflowMs) / mean(directMs) − 1, %, the earlier method, kept beside the median. */
  overheadMeanPct?: number;
  /** Median of workflowMs − directMs per pair, and the median direct build, ms. */
  medianDiffMs?: number;
  medianDirectMs?: number;
  loadBefore: string;
  loadAfter: string;
  error?: string;
  activityCalls: number;
}

export interface Summary {
  date: string;
  machine: string;
  partial: boolean;
  settings: Record<string, unknown>;
  overhead?: OverheadResult;
  reference: CaseResult[];
  none: CaseResult[];
  targets: Record<string, string>;
  /**
   * Case groups this run did not run (MERAK_BENCH_CASES left them out) whose results are an
   * earlier run's, kept from the results file it replaces: when and on what each was measured.
   */
  carried?: Partial<Record<CaseGroup, { date: string; machine: string }>>;
}

/** The benchmark's case groups (MERAK_BENCH_CASES). */
export type CaseGroup = 'overhead' | 'reference' | 'none';
export const CASE_GROUPS: readonly CaseGroup[] = ['overhead', 'reference', 'none'];

/**
 * Copies into `sum` the results of each group of `skipped` from `previous` (the results file this
 * run replaces), with the date and machine they were measured on, so a run of some groups keeps
 * the others' last numbers, marked as such, instead of dropping them from the page.
 */
export function carryOver(sum: Summary, previous: Summary | undefined, skipped: readonly CaseGroup[]): void {
  if (!previous) return;
  for (const g of skipped) {
    const from = previous.carried?.[g] ?? { date: previous.date, machine: previous.machine };
    if (g === 'overhead') {
      if (!previous.overhead) continue;
      sum.overhead = previous.overhead;
    } else {
      if (previous[g].length === 0) continue;
      sum[g] = previous[g];
    }
    sum.carried = { ...sum.carried, [g]: from };
  }
}

/** The results file a run writes and replaces (MERAK_BENCH_RESULTS_FILE or bench/results/scenario.json). */
export function resultsFile(): string {
  return RESULTS_FILE ?? path.join(packageRoot(), 'bench', 'results', 'scenario.json');
}

/** The results file's summary, if there is a readable one. */
export async function readPrevious(): Promise<Summary | undefined> {
  try {
    return JSON.parse(await fs.readFile(resultsFile(), 'utf8')) as Summary;
  } catch {
    return undefined;
  }
}

export function verdicts(sum: Summary): Record<string, string> {
  const t: Record<string, string> = {};
  const full = sum.reference.find((r) => r.nodes === 10 && r.vmsPerNode === 1000);
  t.reference10k = !full
    ? 'not measured'
    : full.readyMs === undefined
      ? `missed (did not reach ready: ${full.error})`
      : `${full.readyMs <= 20_000 ? 'met' : 'missed'} (${(full.readyMs / 1000).toFixed(1)} s vs 20 s)`;
  const big = sum.none.filter((r) => r.nodes === 1000 && r.vmsPerNode === 1000 && r.readyMs !== undefined);
  const best = big.sort((a, b) => a.readyMs! - b.readyMs!)[0];
  t.none1M = !best ? 'not reached (see cases)' : `${best.readyMs! <= 10_000 ? 'met' : 'missed'} (best ${(best.readyMs! / 1000).toFixed(1)} s vs 10 s)`;
  const huge = sum.none.find((r) => r.nodes === 10_000 && r.vmsPerNode === 100);
  const hugeTask = huge?.history?.workflowTasks ? Math.max(huge.history.workflowTasks.scenarioBuildRun.maxMs, huge.history.workflowTasks.groups.maxMs, huge.history.workflowTasks.nodes.maxMs) : undefined;
  t.none10kNodes = !huge
    ? 'not measured'
    : huge.readyMs === undefined
      ? `missed (did not reach ready: ${huge.error})`
      : `${huge.readyMs <= 60_000 && hugeTask !== undefined && hugeTask <= 1000 && huge.history?.allBelow10k && huge.teardownMs !== undefined ? 'met' : 'missed'} (${(huge.readyMs / 1000).toFixed(1)} s vs 60 s; longest workflow task ${hugeTask ?? '-'} ms vs 1000 ms; teardown ${huge.teardownMs === undefined ? 'not complete' : `complete in ${(huge.teardownMs / 1000).toFixed(1)} s`})`;
  const all = sum.none.filter((r) => r.history);
  const worst = Math.max(0, ...all.map((r) => Math.max(r.history!.scenarioBuildRun, r.history!.scenarioLatestRunAtEnd ?? 0, r.history!.nodeRunMax, r.history!.groupRunMax ?? 0)));
  t.historyBelow10k = all.length === 0 ? 'not measured' : `${worst < 10_000 ? 'met' : 'missed'} (largest run ${worst} events)`;
  const oh = sum.overhead?.overheadPct;
  t.overhead = oh === undefined ? 'not measured' : `${oh <= 10 ? 'met' : 'missed'} (${oh} % vs 10 %${sum.overhead?.pairPct ? `, median of ${sum.overhead.pairPct.length} pairs` : ''})`;
  return t;
}

function kb(n: number | undefined): string {
  return n === undefined ? '-' : `${mb(n)} MB`;
}

function row(r: CaseResult): string {
  const reach = r.reachability ? `${r.reachability.p50} / ${r.reachability.p95} / ${r.reachability.max} (${r.reachability.reachable}/${r.reachability.probed})` : '-';
  const col = r.collector ? `${r.collector.cpuMsSum} (${r.collector.nodes} nodes; ${r.collector.maxPctOfCore} %)` : '-';
  const tests = r.tests ? `${r.tests.passed}/${r.tests.total} (${r.tests.negative} neg.)` : '-';
  const hist = r.history
    ? `${r.history.scenarioBuildRun} / ${r.history.groupRuns ? `${r.history.groupRunMax} (${r.history.groupRuns} groups)` : r.history.batchActivities ? `${r.history.batchActivities} reconcileNoneNodes, no group run` : '-'} / ${r.history.nodeRunsChecked ? r.history.nodeRunMax : 'no node run'} / ${r.history.scenarioLatestRunAtEnd ?? '-'}${r.history.continuedAsNew ? ' (continued as new)' : ' (same run)'}`
    : '-';
  const wt = r.history?.workflowTasks;
  const tasks = wt ? `${wt.scenarioBuildRun.maxMs} / ${wt.groups.tasks ? wt.groups.maxMs : '-'} / ${wt.nodes.maxMs} (${wt.scenarioBuildRun.tasks} tasks, ${wt.scenarioBuildRun.totalMs} ms)` : '-';
  const left = r.leftInKernel === undefined ? '-' : `${r.leftInKernel.length} ns, ${r.leftInPlugin} plugin obj.`;
  return `| ${r.nodes}×${r.vmsPerNode} | ${r.vms} | ${r.server} | ${r.agentPollsPerNode} | ${r.workersStartMs} | ${r.stage1Ms ?? '-'} | ${r.readyMs ?? `failed: ${r.error}`} | ${r.cpuMsToReady ? `${r.cpuMsToReady.bench} / ${r.cpuMsToReady.devServer}${r.cpuMsToReady.workflowThread !== undefined ? ` (workflow thread ${r.cpuMsToReady.workflowThread})` : ''}` : '-'} | ${r.teardownMs ?? '-'}${r.cpuMsTeardown ? ` (CPU ${r.cpuMsTeardown.bench} / ${r.cpuMsTeardown.devServer})` : ''} | ${tests} | ${reach} | ${col} | ${hist} | ${tasks} | ${kb(r.peakRssBytes)} | ${kb(r.devServerPeakRssBytes)} | ${kb(r.kernelSlabDeltaBytes)} | ${left} | ${r.loadBefore} → ${r.loadAfter} |`;
}

/**
 * The middle value of `xs` (the mean of the two middle ones for an even count).
 * @throws Error for an empty list: there is no middle to report
 */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no values');
  const v = [...xs].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** The overhead case's paragraph: every pair, the median that is the figure, and where the time and CPU went. */
export function overheadText(o: OverheadResult): string {
  if (!o.pairPct) {
    // A results file from before the pairs.
    return `${o.vms} VMs, batch ${o.batchSize}: through the workflow ${o.workflowMs.join(', ')} ms; the same ${o.activityCalls} agent activity calls made directly: ${o.directMs.join(', ')} ms. Overhead (ratio of means) ${o.overheadPct ?? '-'} %. Load ${o.loadBefore} → ${o.loadAfter}.${o.error ? ` Error: ${o.error}` : ''}`;
  }
  const med = (xs: number[]): number | string => (xs.length === 0 ? '-' : Math.round(median(xs)));
  const cpu = o.cpu ?? [];
  const wTotal = cpu.map((c) => c.workflow.bench + (c.workflow.children ?? 0) + c.workflow.devServer);
  const dTotal = cpu.map((c) => c.direct.bench + c.direct.children);
  const pairs = o.workflowMs.map((w, i) => `${w}/${o.directMs[i]} (${o.pairPct![i]} %)`).join(', ');
  return [
    `${o.vms} VMs, batch ${o.batchSize}, ${o.pairPct.length} pairs (workflow/direct ms, each pair's overhead; the order alternates, workflow first in odd pairs; ${o.settleMs ?? '-'} ms pause before every build): ${pairs}.`,
    `**Overhead: median of the pairs ${o.overheadPct ?? '-'} %** (ratio of the means ${o.overheadMeanPct ?? '-'} %; median difference ${o.medianDiffMs ?? '-'} ms on a median direct build of ${o.medianDirectMs ?? '-'} ms).`,
    `Workflow time is start → ready from the history's timestamps (${o.workflowQueryMs.join(', ')} ms as the status query polled it); direct is the same ${o.activityCalls} agent activity calls (inputs read from the node workflow's history) made in this process.`,
    `Inside the workflow builds, the agent activities themselves took ${o.activityMs?.join(', ')} ms (started → completed) and waited ${o.dispatchMs?.join(', ')} ms for dispatch (scheduled → started).`,
    `CPU ms, medians: workflow build ${med(wTotal)} (bench process ${med(cpu.map((c) => c.workflow.bench))}, of which the workflow thread ${med(cpu.map((c) => c.workflow.workflowThread ?? 0))}; its commands ${med(cpu.map((c) => c.workflow.children ?? 0))}; dev server ${med(cpu.map((c) => c.workflow.devServer))}), direct ${med(dTotal)} (process ${med(cpu.map((c) => c.direct.bench))}, commands ${med(cpu.map((c) => c.direct.children))}).`,
    o.historyEvents ? `History: scenario build run ${o.historyEvents.scenario} events, node run ${o.historyEvents.node}.` : '',
    `Load ${o.loadBefore} → ${o.loadAfter}.${o.error ? ` Error: ${o.error}` : ''}`,
  ]
    .filter((x) => x !== '')
    .join(' ');
}

/**
 * The section's text.
 * @param section its marker name: `scenario` for the full run, DOCS_SECTION for a partial run kept beside it
 */
export function markdown(sum: Summary, section = 'scenario'): string {
  const head =
    '| nodes×VMs | VMs | server | agent polls/node | workers start ms | stage 1 ms (plugin objects) | start→ready ms | CPU ms to ready (bench process / dev server; the workflow thread, part of the bench process) | teardown ms (CPU ms bench / dev server) | ping sample passed | time to reachable ms p50 / p95 / max (reached/probed) | collectors\' CPU ms, start → ready (nodes; largest as % of one core) | history events (scenario build run / max node group run / max node build run / scenario run at the end of teardown) | longest workflow task ms (scenario build run / node groups / 100 node runs; the scenario\'s task count and time) | peak RSS (bench process: workers + plugin) | dev server peak RSS | kernel Slab Δ | left after teardown | load (1/5/15 min) before → after |\n' +
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | --- | --- | --- | --- | --- | ---: | ---: | ---: | --- | --- |';
  const carried = (g: CaseGroup): string[] => {
    const c = sum.carried?.[g];
    return c ? [`Not run this time (MERAK_BENCH_CASES): the rows of the run of ${c.date} on ${c.machine}.`, ''] : [];
  };
  const o = sum.overhead;
  return [
    `<!-- ${section}:start -->`,
    section === 'scenario' ? '## Scenario (end to end through Temporal)' : `## Scenario: ${section} (some cases only, written with MERAK_BENCH_DOCS_SECTION=${section})`,
    '',
    `Measured by \`npm run bench:scenario\` on ${sum.machine}, ${sum.date}${sum.partial ? ' (PARTIAL run: cut short, only the rows below were measured)' : ''}.`,
    'Everything runs in one process: the real Temporal dev server (child process, from .tools/bin/temporal, with the dynamic settings of src/temporal/dev-server-config.ts: one partition per task queue, eager activities, 20000 polls), the reference network plugin on loopback, the compute worker and the agents: one Worker per node, or, where "agent polls/node" says pool, the spec sets agentPool and one pooled Worker on merak-agent-pool serves every node.',
    `Workers: compute maxConcurrentWorkflowTaskExecutions ${COMPUTE_WF_EXEC}, maxConcurrentActivityTaskExecutions ${COMPUTE_ACT_EXEC}; per-node agents maxConcurrentActivityTaskExecutions ${AGENT_EXEC}, SDK default pollers unless "agent polls/node" gives a number; pooled agent 64 activities at once; kernel batches take turns, as many at once as the machine has CPUs. Workflow fan-out (fixed in src/workflows/vm-stage.ts and plugin-stage.ts): 32 node workflows in flight (128 with agentPool), 16 plugin calls, more than 50 nodes created 50 per activity; more than 100 nodes at once run through node group workflows of 100 nodes, 4 groups in flight, each with a quarter of the node fan-out, or, with agentPool (since the merak-none-pool-batch patch), one reconcileNoneNodes activity per 100 nodes on the pool's queue, 8 in flight, and no node workflow. The status query is polled every 200 ms, every 0.2 ms × nodes above 1000 nodes.`,
    'Time = workflow start → status query says `ready` (stage 1 plugin objects, every node workflow, and for reference the ring ping sample with negative checks). Teardown = `teardown` signal → workflow result. "left after teardown" counts namespaces the run made that still exist after the workflow ended (read before the owner-record cleanup) and the scenario\'s objects left in the plugin.',
    'Load averages are the whole machine\'s, before → after each case; wall-clock times move with them.',
    '',
    '### Reference dataplane (real namespaces, veths, VXLAN; ring ping sample of at most 50 pairs plus negative checks)',
    '',
    ...carried('reference'),
    'Time to reachable: every endpoint up to 1000 per scenario, else a sample of 1000 (the spec\'s default `tests.reachability`), from its batch\'s create request to the first echo reply from its nearest peer (docs/report.md), merged over the nodes. Collectors (`MERAK_BENCH_COLLECTOR=on`, "-" where off): one eBPF collector per node, started by the node\'s ensureNode, its CPU time (/proc/<pid>/stat) at ready summed over the nodes; the % is the busiest one\'s over start → ready.',
    '',
    head,
    ...sum.reference.map(row),
    '',
    '### `none` dataplane (control plane only: nothing in the kernel)',
    '',
    ...carried('none'),
    head,
    ...sum.none.map(row),
    '',
    '### Temporal overhead (1 node, reference dataplane, no tests)',
    '',
    ...carried('overhead'),
    o ? overheadText(o) : 'not measured',
    '',
    `Targets (issue 15): 10×1000 reference ≤ 20 s — ${sum.targets.reference10k}; 1000×1000 \`none\` ≤ 10 s — ${sum.targets.none1M}; 10,000×100 \`none\` ≤ 60 s with no workflow task over 1 s and teardown complete — ${sum.targets.none10kNodes}; every workflow run < 10,000 history events — ${sum.targets.historyBelow10k}; Temporal overhead ≤ 10 % — ${sum.targets.overhead}.`,
    `Raw numbers: ${section === 'scenario' ? 'bench/results/scenario.json' : path.relative(packageRoot(), RESULTS_FILE ?? '')}.`,
    `<!-- ${section}:end -->`,
  ].join('\n');
}

/** Writes the results file and, unless MERAK_BENCH_RESULTS_FILE is set, the Scenario section of docs/BENCHMARKS.md. */
export async function write(sum: Summary): Promise<void> {
  sum.targets = verdicts(sum);
  await fs.mkdir(path.dirname(resultsFile()), { recursive: true });
  await fs.writeFile(resultsFile(), JSON.stringify(sum, null, 2) + '\n');
  if (RESULTS_FILE !== undefined) {
    if (DOCS_SECTION !== undefined) await writeDocsSection(path.join(packageRoot(), 'docs', 'BENCHMARKS.md'), DOCS_SECTION, markdown(sum, DOCS_SECTION));
    return;
  }
  const docs = path.join(packageRoot(), 'docs', 'BENCHMARKS.md');
  await writeDocsSection(docs, 'scenario', markdown(sum));
}

