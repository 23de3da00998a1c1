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

  constructor(carried?: MeasuredState) {
    this.metrics = carried?.metrics ?? { ops: {} };
    this.nodes = carried?.nodes ?? {};
  }

  /**
   * One plugin call that succeeded, as the compute activity timed it (a result without `ms`, from
   * a history recorded before the activities timed their calls, is not counted).
   */
  pluginCall(kind: string, ms: number | undefined): void {
    if (typeof ms !== 'number') return;
    this.liveCount++;
    this.live.record(kind, ms);
  }

  /** One plugin call that failed after its retries: counted as failed; its time is not known to the workflow. */
  pluginFailure(kind: string): void {
    this.liveCount++;
    this.live.fail(kind);
  }

  /** Adds what a batch of plugin calls measured (createNodes, deleteNodes). */
  addMetrics(m: Metrics | undefined): void {
    if (!m) return;
    this.metrics = mergeMetrics(this.metrics, m);
  }

  /** Adds what a node workflow run measured. */
  addNode(node: string, m: NodeMeasurement | undefined): void {
    if (!m) return;
    this.addMetrics(m.metrics);
    if (m.buildMs === undefined) return;
    const n = (this.nodes[node] ??= { buildMs: 0, vms: 0, batches: 0 });
    n.buildMs += m.buildMs;
    n.vms += m.vms ?? 0;
    n.batches += m.batches ?? 0;
  }

  /** Everything so far, without changing what is kept (the `report` query: a query must not change workflow state). */
  snapshot(): MeasuredState {
    return { metrics: this.liveCount > 0 ? mergeMetrics(this.metrics, this.live.metrics()) : this.metrics, nodes: { ...this.nodes } };
  }

  /** Everything so far, the plugin calls of this run folded in (what is carried over). */
  state(): MeasuredState {
    if (this.liveCount > 0) {
      this.metrics = mergeMetrics(this.metrics, this.live.metrics());
      this.live = new MetricsRecorder();
      this.liveCount = 0;
    }
    return { metrics: this.metrics, nodes: { ...this.nodes } };
  }
}
