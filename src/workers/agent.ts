/**
 * The node-agent worker: one Temporal Worker per node, each polling `merak-agent-<node>`, all in
 * one process sharing one connection (a machine may host several local nodes). The activities
 * are the agent's (src/activities/agent) plus whatever node-side activities the caller adds
 * (the testing activities run from the node's VMs), and reconcileNoneNodes, which runs the agent's
 * activities for many `none` nodes in one (src/activities/agent/none-nodes.ts).
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createAgentActivities, type NodeMode } from '../activities/agent/activities';
import { createNoneNodesActivity, type NoneNodeCalls } from '../activities/agent/none-nodes';
import type { NodeCollectors } from '../activities/agent/collectors';
import { spawnRunner } from '../dataplane/command';
import { FileOwnerRecords, stateDirFromEnv } from '../dataplane/owner-records';
import { validateNode } from '../dataplane/names';
import { AGENT_POOL_TASK_QUEUE, agentTaskQueue } from '../model/queues';
import { createPluginRegistry, pluginDirsFromEnv } from '../endpoint-plugins/registry';

/** Task queue of a node's agent (one definition, shared with the workflows). */
export const agentQueue = agentTaskQueue;

export interface AgentWorkerOptions {
  connection: NativeConnection;
  /** Temporal namespace. @default "default" */
  namespace?: string;
  /** Nodes this process serves; one Worker each. May be empty with `pool`. */
  nodes: string[];
  /**
   * Also serve the shared queue merak-agent-pool, for scenarios with `agentPool: true` (the
   * `none` dataplane): one Worker for any number of emulated nodes. @default false
   */
  pool?: boolean;
  /** Activities run at once by the pool Worker. @default 64 */
  poolConcurrency?: number;
  /** Kernel batches run at once by this process, over all its nodes. @default the number of CPUs */
  kernelConcurrency?: number;
  /** local: nodes are namespaces Merak makes; pod: the node is this process's namespace. @default "local" */
  mode?: NodeMode;
  /** Owner records and node state. @default MERAK_STATE_DIR or /var/lib/merak */
  stateDir?: string;
  /** Where executable endpoint plugins are looked up. @default MERAK_PLUGIN_DIRS or the shipped plugins/ */
  pluginDirs?: string[];
  /** More activities for the same queues (e.g. the testing activities), keyed by name. */
  extraActivities?: Record<string, (...args: never[]) => Promise<unknown>>;
  /** Agent activities run at once per node; batches are already large. @default 4 */
  maxConcurrentActivityTaskExecutions?: number;
  /**
   * Long polls each node's Worker keeps open on its queue. Many emulated nodes in one process
   * (the `none` dataplane) multiply this by the node count, so lower it there.
   * @default the SDK's default (5)
   */
  maxConcurrentActivityTaskPolls?: number;
  /** The nodes' eBPF collectors (createNodeCollectors), started with each kernel node. @default none */
  collectors?: NodeCollectors;
}

export async function createAgentWorkers(o: AgentWorkerOptions): Promise<Worker[]> {
  if (o.nodes.length === 0 && !o.pool) throw new Error('no node given: pass --node NAME (repeatable) or --pool');
  const nodes = [...new Set(o.nodes.map((n, i) => validateNode(n, `nodes.${i}`)))];
  const records = new FileOwnerRecords(o.stateDir ?? stateDirFromEnv());
  const plugins = createPluginRegistry({ runner: spawnRunner, dirs: o.pluginDirs ?? pluginDirsFromEnv() });
  // One set of activities serves every node of this process: they are stateless per call.
  const agent = { ...createAgentActivities({ mode: o.mode ?? 'local', runner: spawnRunner, records, plugins, kernelConcurrency: o.kernelConcurrency, collectors: o.collectors }), ...o.extraActivities };
  // The batched `none` activity calls the activities as registered here (an override included).
  const activities = { ...agent, ...createNoneNodesActivity(agent as NoneNodeCalls) };
  const pool = o.pool
    ? [
        Worker.create({
          connection: o.connection,
          namespace: o.namespace ?? 'default',
          taskQueue: AGENT_POOL_TASK_QUEUE,
          activities,
          maxConcurrentActivityTaskExecutions: o.poolConcurrency ?? 64,
        }),
      ]
    : [];
  return Promise.all([
    ...pool,
    ...nodes.map((node) =>
      Worker.create({
        connection: o.connection,
        namespace: o.namespace ?? 'default',
        taskQueue: agentQueue(node),
        activities,
        maxConcurrentActivityTaskExecutions: o.maxConcurrentActivityTaskExecutions ?? 4,
        ...(o.maxConcurrentActivityTaskPolls !== undefined ? { maxConcurrentActivityTaskPolls: o.maxConcurrentActivityTaskPolls } : {}),
      }),
    ),
  ]);
}
