/**
 * Time-to-reachable sampling and SLA gates (pure).
 *
 * `tests.reachability` in a scenario says which new endpoints are probed: `all`, `off`, or
 * `sample N` (about N of them, spread over every node). Left out, it is `all` up to
 * {@link REACHABILITY_ALL_UP_TO} endpoints and `sample` {@link REACHABILITY_DEFAULT_SAMPLE} above.
 *
 * `sla` gates are limits on what the report measures; {@link evaluateSla} names each one a build
 * or test run broke.
 */
import { OP_KINDS, summarizeHistogram, type LatencySummary, type Metrics } from './metrics';

/** Scenarios with at most this many endpoints probe every one by default. */
export const REACHABILITY_ALL_UP_TO = 1000;
/** Endpoints probed by default in larger scenarios. */
export const REACHABILITY_DEFAULT_SAMPLE = 1000;
/** How long a probe waits for the first reply by default, in ms. */
export const REACHABILITY_DEFAULT_TIMEOUT_MS = 10_000;
/** Gap between a probe's echo requests, in ms (the issue asks for at most 50). */
export const REACHABILITY_PROBE_INTERVAL_MS = 50;

/** As written in a scenario: `all`, `off`, or `sample N`. */
export type ReachabilitySetting = 'all' | 'off' | `sample ${number}`;
export const REACHABILITY_SETTING_RE = /^(all|off|sample [1-9][0-9]{0,8})$/;
export const REACHABILITY_SETTING_RULE = 'must be "all", "off" or "sample N" (N a whole number ≥ 1)';

/** What a node's agent is told: probe the endpoints whose ordinal is ≡ offset (mod every). */
export interface ReachabilityPlan {
  /** Probe one endpoint in `every` (1 = all). */
  every: number;
  /** Which residue is probed on this node (spreads the sample over nodes). */
  offset: number;
  /** How long a probe waits for its first reply, in ms. */
  timeoutMs: number;
}

/**
 * Which endpoints to probe, for a scenario of `total` endpoints, on the node in slot `slot`.
 * @returns undefined when nothing is probed (`off`, or no endpoint).
 */
export function reachabilityPlan(setting: ReachabilitySetting | undefined, total: number, slot: number, timeoutMs = REACHABILITY_DEFAULT_TIMEOUT_MS): ReachabilityPlan | undefined {
  if (setting === 'off' || total <= 0) return undefined;
  let sample: number;
  if (setting === 'all') sample = total;
  else if (setting === undefined) sample = total <= REACHABILITY_ALL_UP_TO ? total : REACHABILITY_DEFAULT_SAMPLE;
  else sample = Number(setting.slice('sample '.length));
  const every = Math.max(1, Math.floor(total / Math.max(1, sample)));
  return { every, offset: slot % every, timeoutMs };
}

/** Whether the endpoint with ordinal `ordinal` on its node (vmIndex × endpointsPerVm + endpoint) is probed. */
export function isProbed(plan: ReachabilityPlan, ordinal: number): boolean {
  return ordinal % plan.every === plan.offset;
}

/** Limits a scenario's results must keep; each one left out is not checked. */
export interface SlaSpec {
  /** Median time to reachable, in ms. */
  reachableP50Ms?: number;
  /** 99th percentile of time to reachable, in ms. */
  reachableP99Ms?: number;
  /** Longest time to reachable, in ms. */
  reachableMaxMs?: number;
  /** Probed endpoints that never became reachable. */
  unreachableEndpoints?: number;
  /** Failed operations of any kind (plugin calls, VM and endpoint creation, endpoint-plugin calls). */
  failedOperations?: number;
  /** Connectivity test results that did not pass. */
  failedTests?: number;
  /** 99th percentile per operation kind, in ms, e.g. { "endpoint.create": 500 }. */
  operationP99Ms?: Partial<Record<string, number>>;
}

export const SLA_NUMBER_FIELDS = ['reachableP50Ms', 'reachableP99Ms', 'reachableMaxMs', 'unreachableEndpoints', 'failedOperations', 'failedTests'] as const;

/** One gate and how the results stand against it. */
export interface SlaGate {
  /** The gate as written in the scenario, e.g. `reachableP99Ms` or `operationP99Ms.endpoint.create`. */
  gate: string;
  limit: number;
  /** The measured value (undefined when nothing was measured: such a gate is not judged). */
  actual?: number;
  /** True when actual ≤ limit (or nothing was measured). */
  pass: boolean;
  /** One line for a person, naming the gate, the limit and the value. */
  text: string;
}

/** What the gates are judged on. */
export interface SlaInput {
  metrics: Metrics;
  failedTests: number;
}

/**
 * Judges every gate of `sla` against the results.
 * @returns every gate, in the order of SLA_NUMBER_FIELDS then operationP99Ms; `pass` false for each violated one
 */
export function evaluateSla(sla: SlaSpec | undefined, input: SlaInput): SlaGate[] {
  if (!sla) return [];
  const reach = input.metrics.reachability;
  const reachSummary = reach ? summarizeHistogram(reach.histogram) : undefined;
  const reachable = reachSummary && reachSummary.count > 0 ? reachSummary : undefined;
  const failedOps = Object.values(input.metrics.ops).reduce((s, o) => s + (o?.failed ?? 0), 0);
  const actuals: Record<(typeof SLA_NUMBER_FIELDS)[number], number | undefined> = {
    reachableP50Ms: reachable?.p50,
    reachableP99Ms: reachable?.p99,
    reachableMaxMs: reachable?.max,
    unreachableEndpoints: reach ? reach.probed - reach.reachable : undefined,
    failedOperations: failedOps,
    failedTests: input.failedTests,
  };
  const unit = (gate: string) => (gate.endsWith('Ms') || gate.startsWith('operationP99Ms') ? ' ms' : '');
  const judge = (gate: string, limit: number, actual: number | undefined): SlaGate => {
    if (actual === undefined) return { gate, limit, pass: true, text: `${gate} ≤ ${limit}${unit(gate)}: not measured (nothing probed or run)` };
    const pass = actual <= limit;
    return { gate, limit, actual, pass, text: `${gate} ≤ ${limit}${unit(gate)}: ${pass ? 'kept' : 'VIOLATED'}, measured ${actual}${unit(gate)}` };
  };
  const out: SlaGate[] = [];
  for (const field of SLA_NUMBER_FIELDS) {
    const limit = sla[field];
    if (limit !== undefined) out.push(judge(field, limit, actuals[field]));
  }
  for (const [kind, limit] of Object.entries(sla.operationP99Ms ?? {})) {
    if (limit === undefined) continue;
    const op = input.metrics.ops[kind];
    const s: LatencySummary | undefined = op && op.count > 0 ? summarizeHistogram(op.histogram) : undefined;
    out.push(judge(`operationP99Ms.${kind}`, limit, s?.p99));
  }
  return out;
}

/** The operation kinds an `sla.operationP99Ms` may name. */
export const SLA_OPERATION_KINDS: readonly string[] = OP_KINDS;
