/**
 * The scenario workflow's public messages: one definition used by the workflow, the CLI, the
 * Kubernetes controller and tests, so names and payload types cannot drift apart.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ScenarioInput, TestKind } from './spec';

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

export const statusQuery = defineQuery<ScenarioStatus>('status');
export const resultsQuery = defineQuery<TestResult[]>('results');
/** Delete everything in reverse order and end the workflow. */
export const teardownSignal = defineSignal('teardown');
export const scaleSignal = defineSignal<[ScaleRequest]>('scale');
/** Like the signal, but validated first: bad values are refused with a message, nothing changes. */
export const scaleUpdate = defineUpdate<ScaleResult, [ScaleRequest]>('scale');
/** A whole new spec; the workflow reconciles by diff. */
export const applySignal = defineSignal<[ScenarioInput]>('apply');
export const testSignal = defineSignal<[TestRequest?]>('test');

/** Task queue of the scenario workflows and the network-plugin activities. */
export const COMPUTE_TASK_QUEUE = 'merak-compute';

/** Workflow id of a scenario. */
export function scenarioWorkflowId(name: string): string {
  return `merak-${name}`;
}

/** Workflow id of a node's child workflow. */
export function nodeWorkflowId(scenario: string, node: string): string {
  return `merak-${scenario}-node-${node}`;
}

/** Task queue of a node's agent. */
export function agentTaskQueue(node: string): string {
  return `merak-agent-${node}`;
}

/** The one queue of all nodes' agent activities when a scenario sets `agentPool` (dataplane `none`). */
export const AGENT_POOL_TASK_QUEUE = 'merak-agent-pool';

/** Where a node's agent activities go: the pool, or the node's own queue. */
export function agentQueueOf(spec: { agentPool?: boolean }, node: string): string {
  return spec.agentPool ? AGENT_POOL_TASK_QUEUE : agentTaskQueue(node);
}
