/**
 * reconcileNoneNodes: the pooled agent's batched activity for the `none` dataplane. It brings
 * many nodes (a node group, up to NODE_GROUP_SIZE) to their VM counts in one activity, calling
 * per node the same agent activity functions, in the same order, that a nodeWorkflow run would
 * schedule one by one (src/model/node-steps.ts): the scenario saves a workflow, two workflow
 * tasks and the SDK's per-run cost per node (docs/scale.md), and gives up each node's own history,
 * `progress` query and Temporal retry boundary.
 *
 * Built from the agent's activities as the Worker registers them (createAgentWorkers), so an
 * activity a caller overrides there is the one this runs too.
 */
import { ApplicationFailure } from '@temporalio/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidInputError } from '../../dataplane/errors';
import { forEachBounded } from '../../model/concurrency';
import { errorText } from '../../model/error-text';
import { mergeMetrics, type Metrics } from '../../model/metrics';
import { noneEndpointBatch, noneNodeSteps, ratePauseMs, type NoneNodeJob, type NoneNodesShared } from '../../model/node-steps';
import type { NodeMeasurement } from '../../model/measurements';
import { withFailurePolicy } from '../failure';
import type { AgentActivities } from './activities';
import { beat } from './heartbeat';

/** Nodes one reconcileNoneNodes call works on at once (state-file reads and writes overlap). */
export const NONE_NODES_CONCURRENCY = 16;
/** Tries of one node's agent call that fails retryably, inside the activity (then the node fails). */
export const NONE_NODE_ATTEMPTS = 3;
/** Pause before a node's call is tried again, doubled per try, in milliseconds. */
const RETRY_PAUSE_MS = 500;

export interface NoneNodesInput extends NoneNodesShared {
  nodes: NoneNodeJob[];
  /**
   * Start every node even after one failed (removals). When false (building), no node is started
   * after the first failure; those not started are reported `started: false`.
   */
  keepGoing: boolean;
}

/** How one node ended: the shape of a node group's outcome (src/workflows/node-group.ts). */
export interface NoneNodeOutcome {
  node: string;
  started: boolean;
  result?: { vms: number; removed: boolean; measured?: Omit<NodeMeasurement, 'metrics'> };
  /** Why the node failed: its last call's error. */
  error?: string;
}

export interface NoneNodesResult {
  /** One per input node, in input order. */
  nodes: NoneNodeOutcome[];
  /** What every node's create batches measured, merged (absent when none ran). */
  metrics?: Metrics;
}

/** The agent activities a none node's reconcile calls. */
export type NoneNodeCalls = Pick<AgentActivities, 'ensureNode' | 'createBatch' | 'deleteEndpoints' | 'deleteVms' | 'deleteNode'>;

/** A failure worth trying again here: not one the failure policy made final. */
function retryable(err: unknown): boolean {
  return !(err instanceof ApplicationFailure && err.nonRetryable);
}

/**
 * The activity, over the given agent calls.
 * @param calls the agent's activity functions (as registered: overrides included)
 * @param random source of the `random` rate's pauses. @default Math.random
 */
export function createNoneNodesActivity(calls: NoneNodeCalls, random: () => number = Math.random) {
  /**
   * Brings each node of `input.nodes` from its `current` to its `desired` VM count (and removes
   * it when `removeNode`), NONE_NODES_CONCURRENCY nodes at once. A node's call that fails
   * retryably is tried NONE_NODE_ATTEMPTS times; a node that still fails is an outcome with its
   * error, not a failure of the activity. Heartbeats the count of nodes done; a retry of the whole
   * activity does every node again, which is idempotent (ranges in state files).
   * @throws InvalidInputError (final) when the plugin is not `none` (kernel nodes need their own agent and workflow).
   */
  async function reconcileNoneNodes(input: NoneNodesInput): Promise<NoneNodesResult> {
    if (input?.plugin !== 'none') throw new InvalidInputError('plugin', input?.plugin, 'must be "none": only nodes without kernel objects are reconciled in a batch');
    if (!Array.isArray(input.nodes)) throw new InvalidInputError('nodes', input.nodes, 'must be an array of nodes');
    const outcomes: NoneNodeOutcome[] = input.nodes.map((n) => ({ node: n.node, started: false }));
    /** Each node's measurements with what it reports: merged once, at the end. */
    const measuredNodes: Array<{ node: string; metrics: Metrics; rest: Omit<NodeMeasurement, 'metrics'> }> = [];
    let failed = false;
    let done = 0;
    await forEachBounded(input.nodes, NONE_NODES_CONCURRENCY, async (job, i) => {
      if (failed && !input.keepGoing) return;
      const out = outcomes[i]!;
      out.started = true;
      try {
        const { measured, vms, removed } = await reconcileOne(input, job);
        const { metrics: m, ...rest } = measured;
        if (m) measuredNodes.push({ node: job.node, metrics: m, rest });
        out.result = { vms, removed, ...(rest.batches ? { measured: rest } : {}) };
      } catch (err) {
        out.error = errorText(err);
        failed = true;
      }
      done++;
      // Throws when the activity was cancelled: the nodes not started stay untouched.
      beat(done, 'nodes');
    });
    const metrics = mergeNodes(measuredNodes);
    return { nodes: outcomes, ...(metrics ? { metrics } : {}) };
  }

  /**
   * The nodes' measurements merged in one pass (one encoding of the sum, not one per node). When
   * that fails they are merged one by one, so the report names each node whose measurements were
   * lost (in that node's `error`): measuring never fails a build.
   */
  function mergeNodes(nodes: Array<{ node: string; metrics: Metrics; rest: Omit<NodeMeasurement, 'metrics'> }>): Metrics | undefined {
    if (nodes.length === 0) return undefined;
    try {
      return mergeMetrics(...nodes.map((n) => n.metrics));
    } catch {
      let metrics: Metrics | undefined;
      for (const n of nodes) {
        try {
          metrics = mergeMetrics(metrics, n.metrics);
        } catch (err) {
          n.rest.error = `merge of node ${n.node}'s metrics: ${errorText(err)}`;
        }
      }
      return metrics;
    }
  }

  /** One call of a node, tried again while it fails retryably. */
  async function attempt<T>(fn: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await fn();
      } catch (err) {
        if (n >= NONE_NODE_ATTEMPTS || !retryable(err)) throw err;
        await sleep(RETRY_PAUSE_MS * 2 ** (n - 1));
      }
    }
  }

  /** One node's steps, in order; the first that fails ends the node. */
  async function reconcileOne(input: NoneNodesInput, job: NoneNodeJob): Promise<{ vms: number; removed: boolean; measured: NodeMeasurement }> {
    const ref = { scenario: input.scenario, node: job.node, plugin: input.plugin };
    const measured: NodeMeasurement = {};
    let vms = job.current;
    let removed = false;
    for (const step of noneNodeSteps(job.current, job.desired, input.batchSize, job.removeNode)) {
      switch (step.op) {
        case 'ensure':
          await attempt(() =>
            calls.ensureNode({
              ...ref,
              nodeSlot: job.slot,
              underlayCidr: input.underlayCidr,
              ...(job.underlayIp !== undefined ? { underlayIp: job.underlayIp } : {}),
              ...(input.underlayMtu !== undefined ? { underlayMtu: input.underlayMtu } : {}),
            }),
          );
          break;
        case 'create': {
          const r = await attempt(() => calls.createBatch({ ...noneEndpointBatch(input, job, step.from, step.count), ensureNode: step.ensure }));
          try {
            if (r.metrics) measured.metrics = mergeMetrics(measured.metrics, r.metrics);
          } catch (err) {
            // Measuring never fails a build: the report names what was lost.
            measured.error = `merge of batch ${step.from}..${step.from + step.count - 1}'s metrics: ${errorText(err)}`;
          }
          measured.buildMs = (measured.buildMs ?? 0) + (r.ms ?? r.vms.ms + r.endpoints.ms);
          measured.vms = (measured.vms ?? 0) + step.count;
          measured.batches = (measured.batches ?? 0) + 1;
          vms = step.from + step.count;
          const pause = ratePauseMs(input.rate, step.count, random());
          if (pause > 0 && vms < job.desired) await sleep(pause);
          break;
        }
        case 'delete':
          await attempt(() => calls.deleteEndpoints(noneEndpointBatch(input, job, step.from, step.count)));
          await attempt(() => calls.deleteVms({ ...ref, from: step.from, count: step.count }));
          vms = step.from;
          break;
        case 'remove':
          await attempt(() => calls.deleteNode(ref));
          vms = job.desired;
          removed = true;
          break;
      }
    }
    return { vms, removed, measured };
  }

  return withFailurePolicy({ reconcileNoneNodes });
}

export type NoneNodesActivities = ReturnType<typeof createNoneNodesActivity>;
