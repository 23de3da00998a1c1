/**
 * Workflow ids and task-queue names: one definition used by the workflows, the workers, the CLI
 * and the Kubernetes controller, so that a scenario can never be started or served under two names.
 */

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

/**
 * Workflow id of a group of node workflows (src/workflows/node-group.ts): the scenario run's
 * generation and the group's number in that run, so no two groups of a scenario share an id. The
 * `.` is in no scenario or node name, so no scenario or node workflow can have a group's id.
 */
export function nodeGroupWorkflowId(scenario: string, generation: number, group: number): string {
  return `merak-${scenario}-group-${generation}.${group}`;
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
