/**
 * The scenario report (issue 12): one versioned JSON document with what a build measured —
 * time to reachable, latency percentiles per operation kind, per-node build time, test results,
 * SLA gates — and where it was measured (Merak commit, Temporal and provider versions, machine).
 * `merak report` writes it and renders it as a self-contained HTML page (html.ts).
 *
 * Schema version {@link REPORT_SCHEMA_VERSION}: a field is only ever added in a minor change;
 * a change of meaning or a removal raises the major number.
 */
import type { DropSeries, ReportData } from '../model/measurements';

export type { DropSeries };
import { OP_KINDS, histogramBars, summarizeHistogram, type LatencySummary } from '../model/metrics';
import { evaluateSla, type SlaGate } from '../model/sla';
import type { ScenarioStatus, TestResult } from '../model/status';

export const REPORT_SCHEMA_VERSION = '1.0';

/** Where and with what the report was made. */
export interface ReportEnvironment {
  merak: { version: string; commit?: string };
  temporal: { cli?: string; server?: string; error?: string };
  node: string;
  provider: { networkPlugin: string; endpointPlugin: string; endpointPluginVersion?: unknown; error?: string };
  machine: { hostname: string; platform: string; kernel: string; cpus: number; cpuModel?: string; memoryBytes: number };
}

/** One operation kind's line: count, failed, percentiles (ms). */
export interface OperationLine extends LatencySummary {
  kind: string;
  /** Operations, failed ones included. */
  count: number;
  failed: number;
  /** Of `count`, those with a latency in the histogram (a failed plugin call's time is not known to the workflow). */
  timed: number;
}

export interface ScenarioReport {
  schemaVersion: string;
  generatedAt: string;
  scenario: { name: string; phase: string; nodes: number; vms: number; endpoints: number; endpointPlugin: string };
  environment: ReportEnvironment;
  reachability: {
    /** The spec's setting (`default` when left out). */
    setting: string;
    probed: number;
    reachable: number;
    unreachable: number;
    /** Names of unreachable endpoints (at most 200 are kept). */
    unreachableNames: string[];
    summary: LatencySummary;
    /** Distribution for the chart: equal-width bars, ms. */
    distribution: Array<{ fromMs: number; toMs: number; count: number }>;
  };
  operations: OperationLine[];
  nodes: Array<{ name: string; vms: number; buildMs: number; batches: number; msPerVm: number }>;
  tests: { total: number; passed: number; failed: number; failures: TestResult[] };
  sla: { gates: SlaGate[]; violated: string[]; pass: boolean };
  /** Measurements the workflow could not keep (the build went on without them). */
  measurementErrors?: string[];
  /** Present only when drop counters were collected (the scenario's report data carries them, or {@link withDrops}). */
  drops?: DropSeries;
}

export interface ReportInput {
  status: ScenarioStatus;
  results: TestResult[];
  /**
   * Results and failures of the last test run when `results` holds only some of them (a scenario
   * workflow keeps at most RESULTS_CARRY_BUDGET_BYTES of rows past continue-as-new,
   * src/model/result-pack.ts); counted from `results` when absent.
   */
  counts?: { total: number; failed: number };
  data: ReportData;
  environment: ReportEnvironment;
  now?: Date;
}

/** Builds the report from what the scenario workflow answers (status, results and report queries). */
export function buildReport(input: ReportInput): ScenarioReport {
  const { status, results, data } = input;
  const reach = data.metrics.reachability;
  const known = new Set<string>(OP_KINDS);
  const kinds = [...OP_KINDS.filter((k) => data.metrics.ops[k]), ...Object.keys(data.metrics.ops).filter((k) => !known.has(k)).sort()];
  const operations = kinds.map((kind): OperationLine => {
    const op = data.metrics.ops[kind]!;
    const s = summarizeHistogram(op.histogram);
    return { kind, ...s, count: op.count, failed: op.failed, timed: s.count };
  });
  const failedTests = results.filter((r) => !r.pass);
  const total = input.counts?.total ?? results.length;
  const failed = input.counts?.failed ?? failedTests.length;
  const gates = evaluateSla(data.sla, { metrics: data.metrics, failedTests: failed });
  const violated = gates.filter((g) => !g.pass).map((g) => g.gate);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: (input.now ?? new Date()).toISOString(),
    scenario: {
      name: status.name,
      phase: status.phase,
      nodes: status.nodes.length,
      vms: status.nodes.reduce((s, n) => s + n.vms, 0),
      endpoints: status.nodes.reduce((s, n) => s + n.endpoints, 0),
      endpointPlugin: data.endpointPlugin,
    },
    environment: input.environment,
    reachability: {
      setting: data.reachability ?? 'default',
      probed: reach?.probed ?? 0,
      reachable: reach?.reachable ?? 0,
      unreachable: reach ? reach.probed - reach.reachable : 0,
      unreachableNames: reach?.unreachable ?? [],
      summary: summarizeHistogram(reach?.histogram ?? ''),
      distribution: histogramBars(reach?.histogram ?? '', 20),
    },
    operations,
    nodes: Object.entries(data.nodes)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, n]) => ({ name, vms: n.vms, buildMs: n.buildMs, batches: n.batches, msPerVm: n.vms > 0 ? Math.round((n.buildMs / n.vms) * 1000) / 1000 : 0 })),
    tests: { total, passed: total - failed, failed, failures: failedTests },
    sla: { gates, violated, pass: violated.length === 0 },
    ...(data.drops && data.drops.t.length > 0 ? { drops: data.drops } : {}),
    ...(data.errors?.length ? { measurementErrors: data.errors } : {}),
  };
}

/** The report with drop counters added (the hook for the eBPF collector's data). */
export function withDrops(report: ScenarioReport, drops: DropSeries | undefined): ScenarioReport {
  if (!drops || drops.t.length === 0) return report;
  return { ...report, drops };
}

/** A few lines for a terminal: time to reachable, the slowest operations, the SLA verdict. */
export function reportText(r: ScenarioReport): string {
  const out: string[] = [];
  const s = r.reachability.summary;
  out.push(`scenario ${r.scenario.name} (${r.scenario.phase}): ${r.scenario.nodes} nodes, ${r.scenario.vms} VMs, ${r.scenario.endpoints} endpoints, endpoint plugin ${r.scenario.endpointPlugin}`);
  if (r.reachability.probed > 0) {
    out.push(`time to reachable (${r.reachability.reachable}/${r.reachability.probed} probed endpoints reached, reachability ${r.reachability.setting}): p50 ${s.p50} ms, p90 ${s.p90} ms, p99 ${s.p99} ms, max ${s.max} ms`);
    if (r.reachability.unreachable > 0) out.push(`never reachable (${r.reachability.unreachable}): ${r.reachability.unreachableNames.join(', ')}`);
  } else out.push(`time to reachable: nothing probed (reachability ${r.reachability.setting})`);
  out.push('operation                  count  failed      min      p50      p90      p99      max  (ms)');
  for (const o of r.operations) {
    out.push(`${o.kind.padEnd(24)} ${String(o.count).padStart(7)} ${String(o.failed).padStart(7)} ${[o.min, o.p50, o.p90, o.p99, o.max].map((v) => String(v).padStart(8)).join(' ')}`);
  }
  for (const g of r.sla.gates) out.push(`SLA ${g.text}`);
  return `${out.join('\n')}\n`;
}
