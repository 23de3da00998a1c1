/**
 * Stage 2 of the scenario workflow and what else runs on the nodes' agents: one child
 * nodeWorkflow per node brings it to its VM count (or deletes its dataplane), the peer list is
 * pushed to every node with VMs, and the connectivity tests run from each node's VMs.
 *
 * More than NODE_GROUP_SIZE nodes at once go through node group workflows (node-group.ts), each
 * starting the node workflows of NODE_GROUP_SIZE nodes: the scenario's history and each of its
 * activations then grow with the number of groups, not of nodes.
 *
 * The order of the child workflows and activities here is part of the workflow's history: replay
 * tests over test/histories guard it, and a change of order needs a `patched()` marker.
 */
import { ApplicationFailure, ParentClosePolicy, condition, executeChild, log, patched } from '@temporalio/workflow';
import { forEachBounded } from '../model/concurrency';
import { errorText } from '../model/error-text';
import { COMPUTE_TASK_QUEUE, agentQueueOf, nodeGroupWorkflowId, nodeWorkflowId } from '../model/queues';
import { endpointPluginOf, type ScenarioState } from '../model/scenario-state';
import type { NodeSpec, TestKind } from '../model/spec';
import { reachabilityPlan } from '../model/sla';
import { chunkPairs, testChunkPairs } from '../model/checks';
import type { TestResult } from '../model/status';
import { nodeWorkflow, type NodeWorkflowInput } from './node';
import { testFromNode } from './node-tests';
import { nodeGroupWorkflow } from './node-group';
import { AGENT_ACTIVITY_TIMEOUT_MS, agentActivities, noneNodesActivities, queueActivities } from './scenario-activities';
import type { NoneNodeJob } from '../model/node-steps';

/** Node workflows (and per-node activities) in flight at once. */
export const CHILD_FAN_OUT = 32;
/**
 * Node workflows in flight at once with `agentPool` (dataplane `none`): each is a few state-file
 * updates, so the server's round trips, not the agent, set the pace and more may overlap.
 */
export const POOL_CHILD_FAN_OUT = 128;
/** When a reconcile first checks its running nodes' queues for pollers, in milliseconds. */
export const POLLER_CHECK_FIRST_MS = 15_000;
/** Then how often, while the reconcile lasts: 8 history events each (timer, activity, workflow task), whatever the node count. */
export const POLLER_CHECK_EVERY_MS = 30_000;
/**
 * Patch marker: reconciles and dataplane removals check for pollers while they last (a timer and,
 * after 15 s, an activity every 30 s). Runs recorded before it replay without.
 */
export const POLLER_WATCH_PATCH = 'merak-poller-watch';
/**
/**
 * Patch marker: a check whose destination is on another node has its server side run by that
 * node's agent (node-tests.ts: startTestServers and stopTestServers around the source's
 * runTests calls). Runs recorded before it replay with runTests alone.
 */
export const CROSS_NODE_SERVERS_PATCH = 'merak-cross-node-test-servers';
/**
 * Nodes per node group workflow, and the most nodes one reconcile or removal runs as direct
 * children: a group's history holds about 5 events per node (start, started, completed and its
 * share of workflow tasks), ~600 for 100 nodes, and 10,000 nodes are 100 groups.
 */
export const NODE_GROUP_SIZE = 100;
/**
 * Node groups in flight at once; each runs its share of the scenario's child fan-out. Fewer
 * groups with more nodes each in flight make fewer workflow tasks: at 1000 nodes, 4 groups of 32
 * made 541 group tasks, 8 of 16 made 1064 (and the dev server spent 30 % more CPU). Like every
 * fan-out here, changing it changes the order of commands: it needs a patch marker.
 */
export const GROUP_FAN_OUT = 4;
/**
 * Patch marker: more than NODE_GROUP_SIZE nodes at once run through node group workflows instead
 * of one child each. Runs recorded before it (and every run of fewer nodes) replay without.
 */
export const NODE_GROUPS_PATCH = 'merak-node-groups';
/**
 * Patch marker: a node's test pairs go to its agent in chunks of bounded time (more than one
 * call when they do not fit one). Runs recorded before it made one call per node.
 */
export const TEST_CHUNKS_PATCH = 'merak-test-chunks';
/**
 * Patch marker: with `agentPool` (dataplane `none`), the node groups of a run of more than
 * NODE_GROUP_SIZE nodes are each one reconcileNoneNodes activity on the pool's queue, which runs
 * every node's agent calls in the agent, instead of a nodeGroupWorkflow starting a nodeWorkflow
 * per node (docs/scale.md says what that saves and gives up). Runs recorded before it replay
 * with node groups.
 */
export const NONE_POOL_BATCH_PATCH = 'merak-none-pool-batch';
/**
 * reconcileNoneNodes activities in flight at once: each is a group of nodes' state-file updates in
 * the pooled agent, whose Worker runs 64 activities at once by default.
 */
export const NONE_BATCH_FAN_OUT = 8;
/** How long one connectivity check waits for its answer, in milliseconds. */
const TEST_TIMEOUT_MS = 2_000;

/** One node's share of a reconcile or removal: the VMs it should have, and whether the node itself goes. */
interface NodeJob {
  node: NodeSpec;
  /** Read when the node's turn comes (a scale meanwhile is honoured). */
  want: () => number;
  remove: boolean;
}

export class VmStage {
  /** Node groups started by this run (their ids). */
  private groups = 0;

  constructor(private readonly state: ScenarioState) {}

  private childFanOut(): number {
    return this.state.spec.agentPool ? POOL_CHILD_FAN_OUT : CHILD_FAN_OUT;
  }

  /** Runs a nodeWorkflow to bring `node` to `want` VMs (0 + remove = delete the node's dataplane). */
  async reconcileNode(node: NodeSpec, want: number, remove = false): Promise<void> {
    const state = this.state;
    const { slot, have } = state.beginNode(node, want);
    let ok = false;
    try {
      await this.runNode(node, want, remove, slot, have);
      ok = true;
    } finally {
      state.settleNode(node.name, ok);
    }
  }

  private async runNode(node: NodeSpec, want: number, remove: boolean, slot: number, have: number): Promise<void> {
    const state = this.state;
    const result = await executeChild(nodeWorkflow, {
      workflowId: nodeWorkflowId(state.name, node.name),
      taskQueue: COMPUTE_TASK_QUEUE,
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      args: [this.nodeInput(node, want, remove, slot, have, endpointPluginOf(state.spec) === 'none' ? [] : state.peersOf(node.name))],
    });
    state.endNode(node.name, have, result);
    state.measured.addNode(node.name, result.measured);
  }

  /**
   * Ensures the given nodes without VMs (one nodeWorkflow each, which runs only ensureNode) when
   * the plugin handed out a node configuration: such a provider's node side starts with the node
   * (OVN: the node's chassis) and its CreateNode confirms what started (the chassis registered in
   * the southbound database), so it comes before CreateNode. The node then has dataplane state
   * and is removed like any other. A no-op without a node configuration.
   */
  async ensureNodes(list: readonly NodeSpec[]): Promise<void> {
    if (!this.state.providerConfig || list.length === 0) return;
    await this.watchPollers(this.runJobs(list.map((node) => ({ node, want: () => this.state.vms[node.name] ?? 0, remove: false }))));
  }

  /** The node workflow's input: bring `node` from `have` to `want` VMs (and remove it when `remove`). */
  private nodeInput(node: NodeSpec, want: number, remove: boolean, slot: number, have: number, peers: string[]): NodeWorkflowInput {
    const state = this.state;
    const spec = state.spec;
    // Time to reachable needs kernel endpoints: the none dataplane has nothing to ping.
    const reachability = endpointPluginOf(spec) === 'none' ? undefined : reachabilityPlan(spec.tests.reachability, state.endpointsInSpec(), slot, spec.tests.reachabilityTimeoutMs);
    return {
      scenario: state.name,
      node: node.name,
      ...(spec.agentPool ? { taskQueue: agentQueueOf(spec, node.name) } : {}),
      slot,
      plugin: endpointPluginOf(spec),
      underlayCidr: state.underlayCidr(),
      underlayMtu: spec.underlay.mtu,
      ...(spec.mtu !== undefined ? { mtu: spec.mtu } : {}),
      // A node's own address, when the spec gives one, is its underlay address (local mode).
      ...(node.ip !== undefined ? { underlayIp: node.ip } : {}),
      // The none dataplane has no overlay: a thousand-node peer list per child would only
      // swell the histories (about 15 KB per node at 1000 nodes).
      peers,
      current: have,
      desired: want,
      endpointsPerVm: node.endpointsPerVm,
      blockSize: state.book.blockSize,
      subnets: state.subnets(),
      ranges: state.rangesOf(node.name),
      batchSize: spec.batchSize,
      rate: spec.rate,
      removeNode: remove,
      activityTimeoutMs: AGENT_ACTIVITY_TIMEOUT_MS,
      ...(reachability && want > have ? { reachability } : {}),
      ...(state.providerConfig ? { providerConfig: state.providerConfig } : {}),
    };
  }

  /**
   * Runs `jobs` as node workflows, at most the child fan-out at once: directly as children, or,
   * for more than NODE_GROUP_SIZE, through node group workflows ({@link runGroup}), or with
   * `agentPool`, one reconcileNoneNodes activity per group (NONE_POOL_BATCH_PATCH).
   * @param onError with it, a node that fails is handed to it and the others go on; without, the
   *   first failure stops new nodes from starting and is thrown once those in flight have ended
   */
  private async runJobs(jobs: NodeJob[], onError?: (node: string, err: unknown) => void): Promise<void> {
    if (jobs.length > NODE_GROUP_SIZE && patched(NODE_GROUPS_PATCH)) {
      const spec = this.state.spec;
      const batched = spec.agentPool && endpointPluginOf(spec) === 'none' && patched(NONE_POOL_BATCH_PATCH);
      const groups: NodeJob[][] = [];
      for (let i = 0; i < jobs.length; i += NODE_GROUP_SIZE) groups.push(jobs.slice(i, i + NODE_GROUP_SIZE));
      return forEachBounded(groups, batched ? NONE_BATCH_FAN_OUT : GROUP_FAN_OUT, (group) => this.runGroup(group, batched, onError));
    }
    return forEachBounded(jobs, this.childFanOut(), async (job) => {
      try {
        await this.reconcileNode(job.node, job.want(), job.remove);
      } catch (err) {
        if (!onError) throw err;
        onError(job.node.name, err);
      }
    });
  }

  /**
   * Runs one group of nodes through a nodeGroupWorkflow (or, `batched`, one reconcileNoneNodes
   * activity): every node is begun here (its addresses reserved, marked as having state and
   * running), the group runs their workflows (the activity their agent calls), and its answer
   * settles each node as reconcileNode would. A group that fails as a whole (cancelled, say)
   * settles all of its nodes as failed, with their counts as they were.
   */
  private async runGroup(jobs: NodeJob[], batched: boolean, onError?: (node: string, err: unknown) => void): Promise<void> {
    const state = this.state;
    const none = endpointPluginOf(state.spec) === 'none';
    const begun: Array<{ job: NodeJob; have: number; input?: NodeWorkflowInput; none?: NoneNodeJob }> = [];
    let result;
    try {
      for (const job of jobs) {
        const want = job.want();
        const { slot, have } = state.beginNode(job.node, want);
        const n = job.node;
        begun.push(
          batched
            ? { job, have, none: { node: n.name, slot, current: have, desired: want, endpointsPerVm: n.endpointsPerVm, ranges: state.rangesOf(n.name), removeNode: job.remove, ...(n.ip !== undefined ? { underlayIp: n.ip } : {}) } }
            : { job, have, input: this.nodeInput(n, want, job.remove, slot, have, []) },
        );
      }
      if (batched) {
        const spec = state.spec;
        result = await noneNodesActivities().reconcileNoneNodes({
          scenario: state.name,
          plugin: endpointPluginOf(spec),
          underlayCidr: state.underlayCidr(),
          underlayMtu: spec.underlay.mtu,
          ...(spec.mtu !== undefined ? { mtu: spec.mtu } : {}),
          blockSize: state.book.blockSize,
          subnets: state.subnets(),
          batchSize: spec.batchSize,
          rate: spec.rate,
          nodes: begun.map((b) => b.none!),
          keepGoing: onError !== undefined,
        });
      } else {
        // Peers once per group (the group gives each node all but its own), not once per node.
        const peers = none ? undefined : state.spec.nodes.filter((n) => state.isRegistered(n.name)).map((n): [string, string] => [n.name, state.nodeIp(n)]);
        result = await executeChild(nodeGroupWorkflow, {
          workflowId: nodeGroupWorkflowId(state.name, state.generation, ++this.groups),
          taskQueue: COMPUTE_TASK_QUEUE,
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          args: [{ scenario: state.name, nodes: begun.map((b) => b.input!), ...(peers ? { peers } : {}), fanOut: Math.max(1, Math.ceil(this.childFanOut() / GROUP_FAN_OUT)), keepGoing: onError !== undefined }],
        });
      }
    } catch (err) {
      for (const b of begun) state.settleNode(b.job.node.name, false);
      if (!onError) throw err;
      for (const b of begun) onError(b.job.node.name, err);
      return;
    }
    state.measured.addMetrics(result.metrics);
    let failure: string | undefined;
    result.nodes.forEach((out, i) => {
      const { job, have } = begun[i]!;
      const name = job.node.name;
      if (out.result) {
        state.endNode(name, have, out.result);
        state.measured.addNode(name, out.result.measured);
      } else if (out.error !== undefined) {
        failure ??= `node ${name}: ${out.error}`;
        onError?.(name, new Error(out.error));
      }
      state.settleNode(name, out.result !== undefined);
    });
    if (failure !== undefined && !onError) throw ApplicationFailure.nonRetryable(failure, 'NodeFailed');
  }

  /** Brings every node to its desired count. */
  async reconcileAll(): Promise<void> {
    const todo = this.state.startReconcile();
    if (todo.length === 0) return;
    // The desired count is read when a node's turn comes: a scale signal meanwhile is honoured.
    await this.watchPollers(this.runJobs(todo.map((node) => ({ node, want: () => this.state.wantOf(node), remove: false }))));
  }

  /**
   * Waits for `work` (node workflows), checking meanwhile which running nodes' agent queues no
   * worker polls, so the status can say why a node makes no progress. The cost is bounded by
   * time, not by nodes or VMs: one check covers every running node (at most one fan-out).
   */
  private async watchPollers(work: Promise<void>): Promise<void> {
    if (!patched(POLLER_WATCH_PATCH)) return work;
    let done = false;
    const over = () => {
      done = true;
    };
    work.then(over, over);
    for (let wait = POLLER_CHECK_FIRST_MS; !(await condition(() => done, wait)); wait = POLLER_CHECK_EVERY_MS) await this.checkPollers();
    return work;
  }

  /** One poller check of the running nodes' queues; a failed check is logged and changes nothing. */
  private async checkPollers(): Promise<void> {
    const queues = this.state.queuesToCheck();
    if (queues.length === 0) return;
    try {
      const idle = await queueActivities().idleTaskQueues(queues);
      this.state.setIdleQueues(idle, new Date().toISOString());
      if (idle.length > 0) log.warn('no worker polls these agent queues: their nodes wait', { scenario: this.state.name, queues: idle.slice(0, 20) });
    } catch (err) {
      log.warn('poller check failed', { scenario: this.state.name, error: errorText(err) });
    }
  }

  /**
   * Removes the VMs and the dataplane of the given nodes (all that have any state by default).
   * A node that fails is logged and listed in cleanupErrors; the others go on.
   */
  async removeDataplane(names?: string[]): Promise<void> {
    const list = names ?? this.state.nodesWithState();
    if (list.length === 0) return;
    const jobs = list.map((name) => ({ node: this.state.nodeOrRemoved(name), want: () => 0, remove: true }));
    await this.watchPollers(this.runJobs(jobs, (node, err) => this.cleanupFailed(node, err)));
  }

  /**
   * Removes every VM of the nodes that have any, keeping their dataplane (teardown's first step).
   * A node that fails is logged and listed in cleanupErrors; the others go on.
   */
  async emptyNodes(): Promise<void> {
    const jobs = this.state.nodesWithVms().map((node) => ({ node, want: () => 0, remove: false }));
    await this.runJobs(jobs, (node, err) => this.cleanupFailed(node, err));
  }

  /** A node whose VMs could not be removed: logged and listed in cleanupErrors; the others go on. */
  private cleanupFailed(node: string, err: unknown): void {
    const text = `remove node ${node}'s VMs: ${errorText(err)}`;
    log.error('node cleanup failed', { scenario: this.state.name, node, error: text });
    this.state.cleanupErrors.push(text);
  }

  /** Tells every node with VMs the current peer list (VXLAN head-end replication). */
  async syncPeers(): Promise<void> {
    const state = this.state;
    const spec = state.spec;
    const vnis = [...new Set(state.subnets().map((s) => s.vni))];
    await forEachBounded(state.nodesWithVms(), CHILD_FAN_OUT, async (n) => {
      await agentActivities(spec, n.name).syncPeers({
        scenario: state.name,
        node: n.name,
        nodeSlot: state.slotOf(n.name),
        plugin: endpointPluginOf(spec),
        underlayCidr: state.underlayCidr(),
        ...(n.ip !== undefined ? { underlayIp: n.ip } : {}),
        vnis: vnis.map((vni) => ({ vni, peers: state.peersOf(n.name) })),
      });
    });
  }

  /**
   * Runs the given test kinds from every node with VMs (phase `testing`) and keeps the results.
   * A node's pairs go to its agent in chunks (src/model/checks.ts, testChunkPairs), one at a
   * time, each call bounded in time and resuming from its last heartbeat when retried; the
   * destinations on other nodes are served by those nodes' agents, started before the node's
   * first chunk and stopped after its last (node-tests.ts). A chunk whose call failed, and the
   * node's chunks after it, get one `not tested` result per check, saying why.
   */
  async runTests(kinds: TestKind[]): Promise<void> {
    const state = this.state;
    state.phase = 'testing';
    const { nodes, selection } = state.testPlan();
    const byName = new Map(nodes.map((n) => [n.name, n]));
    const out: TestResult[] = [];
    const serveAcross = patched(CROSS_NODE_SERVERS_PATCH);
    await forEachBounded(selection.byNode, CHILD_FAN_OUT, async ({ node, pairs }) => {
      const mine = byName.get(node);
      const nodeKinds = kinds.filter((k) => mine?.kinds.includes(k));
      if (nodeKinds.length === 0 || pairs.length === 0) return;
      const size = testChunkPairs(nodeKinds, TEST_TIMEOUT_MS);
      // One call per node before chunks; a history from then replays with its one call.
      const chunked = pairs.length > size ? patched(TEST_CHUNKS_PATCH) : true;
      const chunks = chunked ? chunkPairs(pairs, size) : [pairs];
      out.push(...(await testFromNode(state.spec, state.name, node, nodeKinds, TEST_TIMEOUT_MS, { chunks, chunked, serve: serveAcross })));
    });
    state.setResults(out);
  }
}
