/**
 * What a scenario reports and is asked: its phase, the plugin objects it built, per-node counts,
 * scale requests and connectivity results. Plain types shared by the workflows, activities, the
 * CLI, the Kubernetes controller and the report; no code.
 */
import type { TestKind } from './spec';

/**
 * Where a scenario is in its life: `building` (stage 1 and 2 of the first run), `testing`,
 * `ready` (waiting for messages), `scaling`, `applying`, `tearing-down`, then `deleted`; `failed`
 * when the build failed and everything it made was deleted. The spec is validated before the
 * first status can be asked, so there is no phase for it.
 */
export type ScenarioPhase = 'building' | 'testing' | 'ready' | 'scaling' | 'applying' | 'tearing-down' | 'deleted' | 'failed';

/**
 * Where one node is: `pending` until the plugin holds it, then `reconciling` while its VM count
 * differs from the desired one, `ready` when they match.
 */
export type NodePhase = 'pending' | 'reconciling' | 'ready';

/** What exists of one kind of plugin object. */
export interface BuiltObject {
  kind: 'vpc' | 'subnet' | 'node';
  /** VPC/subnet id, or node name. */
  id: string;
  /** The VNI the provider assigned (VPCs and subnets). */
  vni?: number;
  /** The VPC of a subnet. */
  vpc?: string;
}

export interface NodeStatus {
  name: string;
  /** VMs the spec asks for on this node. */
  desiredVms: number;
  /** VMs that exist on this node. */
  vms: number;
  endpoints: number;
  phase: NodePhase;
  /**
   * Present (true) while the node's child workflow runs: its VM count moves during the run, and
   * its own `progress` query (nodeProgressQuery) has the live count; `vms` here is updated when
   * the run ends. For more than 100 nodes at once the node runs in a node group workflow: then
   * it is running (and `vms` updated) from its group's start to its group's end.
   */
  running?: true;
  /**
   * The node's agent task queue, when the last check (see `ScenarioStatus.pollersCheckedAt`)
   * found no worker polling it: the node's activities wait for an agent that is not there.
   */
  noPoller?: string;
}

export interface ScenarioStatus {
  name: string;
  phase: ScenarioPhase;
  /** VPCs, subnets and nodes the plugin holds for this scenario, in creation order. */
  built: BuiltObject[];
  nodes: NodeStatus[];
  progress: { done: number; total: number; unit: string };
  /** The failure that stopped the build, if any. */
  error?: string;
  /** Compensations or deletes that failed (logged; the object may still exist in the plugin). */
  cleanupErrors: string[];
  /** Times the workflow continued as new. */
  generation: number;
  /**
   * When the queues of the running nodes were last checked for pollers (ISO 8601, workflow time);
   * absent before the first check. A reconcile checks after 15 s, then every 30 s while it lasts.
   */
  pollersCheckedAt?: string;
}

/** Plugin objects an `apply` created, updated and deleted, of one kind. */
export interface ApplyCounts {
  created: number;
  updated: number;
  deleted: number;
}

/** What the `apply` update answers once the scenario is ready again. */
export interface ApplyResult {
  vpcs: ApplyCounts;
  subnets: ApplyCounts;
  nodes: ApplyCounts;
  /** True when the set or order of subnets changed and every VM was rebuilt. */
  vmsRebuilt: boolean;
  /** Nodes and VMs after the apply (and after any scale that ran meanwhile). */
  nodeCount: number;
  vms: number;
  /**
   * Set when a later `apply` replaced this one before it ran: the result is the later one's and
   * the scenario runs the later spec, not the one this update sent.
   */
  supersededBy?: number;
}

export interface ScaleRequest {
  /** New VM count per node. */
  vmsPerNode: number;
  /** Only this node; all nodes when absent. */
  node?: string;
}

export interface ScaleResult {
  /** Nodes whose VM count changed. */
  nodes: string[];
  vmsPerNode: number;
}

export interface TestRequest {
  kinds?: TestKind[];
}

export interface TestResult {
  kind: TestKind;
  source: string;
  destination: string;
  /** True when the packet should have been refused (different VPCs): pass means it was. */
  negative: boolean;
  pass: boolean;
  latencyMs?: number;
  throughputBps?: number;
  error?: string;
}
