/**
 * The scenario workflow's activity proxies, with every timeout and retry policy it uses in one
 * place. None of them retries a failure type listed in NON_RETRYABLE_FAILURE_TYPES
 * (src/model/failures.ts). Each is made where it is called (not once per run): the plugin's
 * deadline and the agent queue come from the spec, which an `apply` may replace.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { AgentActivities } from '../activities/agent/activities';
import type { NoneNodesActivities } from '../activities/agent/none-nodes';
import type { ComputeActivities, PluginTarget, QueueActivities } from '../activities/compute';
import type { TestingActivities } from '../activities/testing/activities';
import { TEST_CALL_ATTEMPTS } from '../model/checks';
import { NON_RETRYABLE_FAILURE_TYPES } from '../model/failures';
import { AGENT_POOL_TASK_QUEUE, COMPUTE_TASK_QUEUE, agentQueueOf } from '../model/queues';
import type { ScenarioSpec } from '../model/spec';

/** How long one agent activity may take, retries included, before its node counts as gone. */
export const AGENT_ACTIVITY_TIMEOUT_MS = 10 * 60_000;

/** Where the plugin is and how long one call may take. */
export function pluginTarget(spec: ScenarioSpec): PluginTarget {
  return { address: spec.plugin.address, deadlineMs: spec.plugin.deadlineMs };
}

/** Network-plugin activities (one RPC each) on the compute queue, retried for the spec's retry window. */
export function pluginActivities(spec: ScenarioSpec) {
  return proxyActivities<ComputeActivities>({
    taskQueue: COMPUTE_TASK_QUEUE,
    startToCloseTimeout: spec.plugin.deadlineMs + 5_000,
    scheduleToCloseTimeout: spec.plugin.retryWindowMs,
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURE_TYPES] },
  });
}

/**
 * Plugin activities for a batch of `size` nodes (createNodes, deleteNodes): their timeouts cover
 * the batch's rounds of `fanOut` calls.
 */
export function nodeBatchActivities(spec: ScenarioSpec, size: number, fanOut: number) {
  const rounds = Math.ceil(size / fanOut);
  return proxyActivities<ComputeActivities>({
    taskQueue: COMPUTE_TASK_QUEUE,
    startToCloseTimeout: rounds * spec.plugin.deadlineMs + 5_000,
    scheduleToCloseTimeout: Math.max(spec.plugin.retryWindowMs, rounds * spec.plugin.deadlineMs + 5_000),
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURE_TYPES] },
  });
}

/** Agent activities on one node's queue (or the pool's); a vanished node fails them after {@link AGENT_ACTIVITY_TIMEOUT_MS}. */
export function agentActivities(spec: ScenarioSpec, node: string) {
  return proxyActivities<AgentActivities>({
    taskQueue: agentQueueOf(spec, node),
    scheduleToCloseTimeout: AGENT_ACTIVITY_TIMEOUT_MS,
    startToCloseTimeout: AGENT_ACTIVITY_TIMEOUT_MS,
    retry: { initialInterval: '500ms', maximumInterval: '5s', nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURE_TYPES] },
  });
}

/**
 * reconcileNoneNodes on the pooled agent's queue (a group of `none` nodes in one activity): it
 * heartbeats per node, so a vanished agent is noticed in 30 s and the whole group retried (every
 * node's calls are idempotent); the group fails after {@link AGENT_ACTIVITY_TIMEOUT_MS}.
 */
export function noneNodesActivities() {
  return proxyActivities<NoneNodesActivities>({
    taskQueue: AGENT_POOL_TASK_QUEUE,
    scheduleToCloseTimeout: AGENT_ACTIVITY_TIMEOUT_MS,
    startToCloseTimeout: AGENT_ACTIVITY_TIMEOUT_MS,
    heartbeatTimeout: 30_000,
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '5s', nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURE_TYPES] },
  });
}

/** How long one node's connectivity tests may take, both attempts included, when they go in one call (runs from before test calls were split into chunks). */
export const TESTING_ACTIVITY_TIMEOUT_MS = 5 * 60_000;

/**
 * Connectivity tests from one node's VMs. Without `calls` (runs from before test calls were
 * split into chunks): {@link TESTING_ACTIVITY_TIMEOUT_MS}, at most two attempts. With it
 * (src/model/checks.ts, testCallTimeouts): the bounds of one chunk, and attempts that each
 * resume from the results the last heartbeat carried.
 */
export function testingActivities(spec: ScenarioSpec, node: string, calls?: { startToCloseMs: number; scheduleToCloseMs: number; heartbeatMs: number }) {
  return proxyActivities<TestingActivities>({
    taskQueue: agentQueueOf(spec, node),
    scheduleToCloseTimeout: calls?.scheduleToCloseMs ?? TESTING_ACTIVITY_TIMEOUT_MS,
    startToCloseTimeout: calls?.startToCloseMs ?? 5 * 60_000,
    heartbeatTimeout: calls?.heartbeatMs ?? 60_000,
    retry: { maximumAttempts: calls ? TEST_CALL_ATTEMPTS : 2, nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURE_TYPES] },
  });
}

/** How long starting a node's test servers may take, both attempts included (a node with no agent fails it after this). */
export const TEST_SERVERS_START_TIMEOUT_MS = 2 * 60_000;

/**
 * Test servers on the destination node for another node's checks (startTestServers,
 * stopTestServers): short calls, tried twice at most; a node with no agent fails the start
 * after {@link TEST_SERVERS_START_TIMEOUT_MS} and the stop after 30 s.
 */
export function testServerActivities(spec: ScenarioSpec, node: string, op: 'start' | 'stop') {
  const timeoutMs = op === 'start' ? TEST_SERVERS_START_TIMEOUT_MS : 30_000;
  return proxyActivities<TestingActivities>({
    taskQueue: agentQueueOf(spec, node),
    scheduleToCloseTimeout: timeoutMs,
    startToCloseTimeout: timeoutMs,
    retry: { maximumAttempts: 2, nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURE_TYPES] },
  });
}

/** The poller check (DescribeTaskQueue) on the compute queue: only a hint, so quick and tried twice at most. */
export function queueActivities() {
  return proxyActivities<QueueActivities>({
    taskQueue: COMPUTE_TASK_QUEUE,
    startToCloseTimeout: 30_000,
    retry: { maximumAttempts: 2 },
  });
}
