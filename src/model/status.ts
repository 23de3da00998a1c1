/**
 * What a scenario reports and is asked: its phase, the plugin objects it built, per-node counts,
 * scale requests and connectivity results. Plain types shared by the workflows, activities, the
 * CLI, the Kubernetes controller and the report; no code.
 */
import type { TestKind } from './spec';

export type ScenarioPhase = 'validating' | 'building' | 'testing' | 'ready' | 'scaling' | 'applying' | 'tearing-down' | 'deleted' | 'failed';

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
  phase: string;
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
