/**
 * What a scenario workflow keeps of its measurements (issue 12), pure: the merged metrics of every
 * build step since the scenario started (agent batches via the node workflows, plugin calls timed
 * by the compute activities) and each node's build time as its agent measured it. Kept compact —
 * one encoded histogram per operation kind, one entry per node — and carried over on
 * continue-as-new. The `report` query hands it out; the CLI turns it into the report.
 */
import { MetricsRecorder, mergeMetrics, type Metrics } from './metrics';
import type { SlaSpec } from './sla';

/** One node's build as its agent measured it. */
export interface NodeBuild {
  /** Milliseconds the agent spent in this node's create batches (VMs and endpoints, probes included). */
  buildMs: number;
  /** VMs those batches made. */
  vms: number;
  /** Batches. */
  batches: number;
}

/** What is carried from run to run and answered by the `report` query. */
export interface MeasuredState {
  metrics: Metrics;
  nodes: Record<string, NodeBuild>;
  /** Measurements that could not be kept (see Measurements.errors). */
  errors?: string[];
}

/**
 * Dropped packets over time, per kernel drop reason: the hook for the eBPF collector (issue 12,
 * built elsewhere). A `report` answer that carries it gets a drops chart in the report.
 */
export interface DropSeries {
  /** Seconds since the first sample. */
  t: number[];
  /** Kernel drop reason (e.g. NETFILTER_DROP) → drops in each interval, one per `t`. */
  byReason: Record<string, number[]>;
}

/** The `report` query's answer: the measurements and what the scenario says about them. */
export interface ReportData extends MeasuredState {
  /** The scenario's SLA gates (spec `sla`), if any. */
  sla?: SlaSpec;
  /** The spec's `tests.reachability` (undefined: the default, see model/sla.ts). */
  reachability?: string;
  /** Endpoint plugin the nodes use (an executable's name, or the dataplane's built-in). */
  endpointPlugin: string;
  /** host:port of the network plugin. */
  pluginAddress: string;
  /** Endpoints the spec asks for now. */
  endpoints: number;
  /** Drops over time, when a collector measured them (see {@link DropSeries}). */
  drops?: DropSeries;
}

/** What a node workflow run measured (its createBatch results, merged). */
export interface NodeMeasurement {
  metrics?: Metrics;
  /** Why the node workflow could not merge a batch's metrics, if it could not. */
  error?: string;
  buildMs?: number;
  vms?: number;
  batches?: number;
}

export class Measurements {
  private metrics: Metrics;
  private readonly nodes: Record<string, NodeBuild>;
  /** Plugin calls of this run, merged into `metrics` when asked for (saves a decode per call). */
  private live = new MetricsRecorder();
  private liveCount = 0;
  /**
   * Measurements that could not be kept (a malformed histogram in an activity result, say): the
   * build goes on without them, and the report says so. At most 10 are kept.
   */
  readonly errors: string[] = [];

  /** Runs a bookkeeping step; a failure is noted, never thrown: measuring must not fail a build. */
  private keep(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (this.errors.length < 10) this.errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  constructor(carried?: MeasuredState) {
    this.metrics = carried?.metrics ?? { ops: {} };
    this.nodes = carried?.nodes ?? {};
    this.errors.push(...(carried?.errors ?? []));
  }

  /**
   * One plugin call that succeeded, as the compute activity timed it (a result without `ms`, from
   * a history recorded before the activities timed their calls, is not counted).
   */
  pluginCall(kind: string, ms: number | undefined): void {
    if (typeof ms !== 'number') return;
    this.keep(kind, () => {
      this.live.record(kind, ms);
      this.liveCount++;
    });
  }

  /** One plugin call that failed after its retries: counted as failed; its time is not known to the workflow. */
  pluginFailure(kind: string): void {
    this.keep(kind, () => {
      this.live.fail(kind);
      this.liveCount++;
    });
  }

  /** Adds what a batch of plugin calls measured (createNodes, deleteNodes). */
  addMetrics(m: Metrics | undefined): void {
    if (!m) return;
    this.keep('merge', () => {
      this.metrics = mergeMetrics(this.metrics, m);
    });
  }

  /** Adds what a node workflow run measured. */
  addNode(node: string, m: NodeMeasurement | undefined): void {
    if (!m) return;
    this.addMetrics(m.metrics);
    if (m.error) this.keep(node, () => {
      throw new Error(m.error);
    });
    if (m.buildMs === undefined) return;
    const n = (this.nodes[node] ??= { buildMs: 0, vms: 0, batches: 0 });
    n.buildMs += m.buildMs;
    n.vms += m.vms ?? 0;
    n.batches += m.batches ?? 0;
  }

  /** Everything so far, without changing what is kept (the `report` query: a query must not change workflow state). */
  snapshot(): MeasuredState {
    let metrics = this.metrics;
    if (this.liveCount > 0) {
      try {
        metrics = mergeMetrics(this.metrics, this.live.metrics());
      } catch {
        // noted in errors when state() folds them in; the query answers what it has
      }
    }
    return { metrics, nodes: { ...this.nodes }, ...(this.errors.length ? { errors: [...this.errors] } : {}) };
  }

  /** Everything so far, the plugin calls of this run folded in (what is carried over). */
  state(): MeasuredState {
    if (this.liveCount > 0) {
      this.keep('merge', () => {
        this.metrics = mergeMetrics(this.metrics, this.live.metrics());
      });
      this.live = new MetricsRecorder();
      this.liveCount = 0;
    }
    return { metrics: this.metrics, nodes: { ...this.nodes }, ...(this.errors.length ? { errors: [...this.errors] } : {}) };
  }
}
