/**
 * nodeGroupWorkflow: runs the node workflows of up to NODE_GROUP_SIZE nodes for the scenario
 * workflow (child of scenarioWorkflow, id `merak-<scenario>-group-<generation>-<n>`), so that a
 * scenario of thousands of nodes never holds thousands of children in one history: the scenario
 * starts one group per NODE_GROUP_SIZE nodes (src/workflows/vm-stage.ts), each group starts its
 * nodes' workflows (ids and inputs as the scenario would have given them) and answers with every
 * node's outcome once all have ended.
 *
 * The scenario does all the bookkeeping (address reservations, slots, counts) before and after;
 * the group only runs children, merges what they measured and reports each node's end, so it
 * holds no state a replay of the scenario would need.
 */
import { ChildWorkflowFailure, ParentClosePolicy, executeChild, isCancellation } from '@temporalio/workflow';
import { forEachBounded } from '../model/concurrency';
import { errorText } from '../model/error-text';
import { mergeMetrics, type Metrics } from '../model/metrics';
import type { NodeMeasurement } from '../model/measurements';
import { COMPUTE_TASK_QUEUE, nodeWorkflowId } from '../model/queues';
import { nodeWorkflow, type NodeWorkflowInput } from './node';

export interface NodeGroupInput {
  scenario: string;
  /** The node workflows' inputs, started in this order. Their `peers` are replaced by {@link peers} when it is given. */
  nodes: NodeWorkflowInput[];
  /**
   * Underlay address of every node the plugin holds, `[node, address]` in spec order, when the
   * dataplane needs peer lists: each node gets all of them but its own (one list per group, not
   * one per node, in the history).
   */
  peers?: Array<[string, string]>;
  /** Node workflows in flight at once: a whole number ≥ 1. */
  fanOut: number;
  /**
   * Start every node even after one failed (removals: each node that fails is reported). When
   * false (building), no node is started after the first failure, as the scenario's own fan-out
   * does; those not started are reported `started: false`.
   */
  keepGoing: boolean;
}

/** How one node of a group ended. */
export interface NodeGroupOutcome {
  node: string;
  /** False when the group stopped before this node's workflow was started (a failure before it). */
  started: boolean;
  /** The node workflow's result (its metrics are in the group's `metrics` instead). */
  result?: { vms: number; removed: boolean; measured?: Omit<NodeMeasurement, 'metrics'> };
  /** Why the node workflow failed (the cause of its ChildWorkflowFailure). */
  error?: string;
}

export interface NodeGroupResult {
  /** One per input node, in input order. */
  nodes: NodeGroupOutcome[];
  /** What every node's create batches measured, merged (absent when none ran). */
  metrics?: Metrics;
}

export async function nodeGroupWorkflow(input: NodeGroupInput): Promise<NodeGroupResult> {
  const outcomes: NodeGroupOutcome[] = input.nodes.map((n) => ({ node: n.node, started: false }));
  let metrics: Metrics | undefined;
  let failed = false;
  const peersOf = (node: string): string[] => (input.peers ?? []).filter(([n]) => n !== node).map(([, ip]) => ip);
  // Not forEachBounded's own stop: a node that fails is an outcome here, and the others in flight go on.
  await forEachBounded(input.nodes, input.fanOut, async (args, i) => {
    if (failed && !input.keepGoing) return;
    const out = outcomes[i]!;
    out.started = true;
    try {
      const r = await executeChild(nodeWorkflow, {
        workflowId: nodeWorkflowId(input.scenario, args.node),
        taskQueue: COMPUTE_TASK_QUEUE,
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        args: [input.peers ? { ...args, peers: peersOf(args.node) } : args],
      });
      const { metrics: m, ...rest } = r.measured ?? {};
      if (m) {
        try {
          metrics = mergeMetrics(metrics, m);
        } catch (err) {
          // Measuring never fails a build: the scenario's report names what was lost.
          rest.error = `merge of node ${args.node}'s metrics: ${errorText(err)}`;
        }
      }
      out.result = { vms: r.vms, removed: r.removed, ...(r.measured ? { measured: rest } : {}) };
    } catch (err) {
      // A cancelled group (its scenario cancelled) ends cancelled, once its children have.
      if (isCancellation(err)) throw err;
      out.error = errorText(err instanceof ChildWorkflowFailure && err.cause ? err.cause : err);
      failed = true;
    }
  });
  return { nodes: outcomes, ...(metrics ? { metrics } : {}) };
}
