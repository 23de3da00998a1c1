/**
 * Stage 2 of the scenario workflow and what else runs on the nodes' agents: one child
 * nodeWorkflow per node brings it to its VM count (or deletes its dataplane), the peer list is
 * pushed to every node with VMs, and the connectivity tests run from each node's VMs.
 *
 * The order of the child workflows and activities here is part of the workflow's history: replay
 * tests over test/histories guard it, and a change of order needs a `patched()` marker.
 */
import { ParentClosePolicy, condition, executeChild, log, patched } from '@temporalio/workflow';
import { forEachBounded } from '../model/concurrency';
import { errorText } from '../model/error-text';
import { COMPUTE_TASK_QUEUE, agentQueueOf, nodeWorkflowId } from '../model/queues';
import { endpointPluginOf, type ScenarioState } from '../model/scenario-state';
import { totalEndpoints, type NodeSpec, type TestKind } from '../model/spec';
import { reachabilityPlan } from '../model/sla';
import type { TestResult } from '../model/status';
import { nodeWorkflow } from './node';
import { testFromNode } from './node-tests';
import { AGENT_ACTIVITY_TIMEOUT_MS, agentActivities, queueActivities, testingActivities } from './scenario-activities';

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
 * Patch marker: a check whose destination is on another node has its server side run by that
 * node's agent (node-tests.ts: startTestServers and stopTestServers around the source's
 * runTests). Runs recorded before it replay with runTests alone.
 */
export const CROSS_NODE_SERVERS_PATCH = 'merak-cross-node-test-servers';
/** How long one connectivity check waits for its answer, in milliseconds. */
const TEST_TIMEOUT_MS = 2_000;

export class VmStage {
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
    const spec = state.spec;
    const subnets = state.subnets();
    // Time to reachable needs kernel endpoints: the none dataplane has nothing to ping.
    const reachability = endpointPluginOf(spec) === 'none' ? undefined : reachabilityPlan(spec.tests.reachability, totalEndpoints(spec), slot, spec.tests.reachabilityTimeoutMs);
    const result = await executeChild(nodeWorkflow, {
      workflowId: nodeWorkflowId(state.name, node.name),
      taskQueue: COMPUTE_TASK_QUEUE,
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      args: [
        {
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
          peers: endpointPluginOf(spec) === 'none' ? [] : state.peersOf(node.name),
          current: have,
          desired: want,
          endpointsPerVm: node.endpointsPerVm,
          blockSize: state.book.blockSize,
          subnets,
          ranges: state.rangesOf(node.name),
          batchSize: spec.batchSize,
          rate: spec.rate,
          removeNode: remove,
          activityTimeoutMs: AGENT_ACTIVITY_TIMEOUT_MS,
          ...(reachability && want > have ? { reachability } : {}),
          ...(state.providerConfig ? { providerConfig: state.providerConfig } : {}),
        },
      ],
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
    await this.watchPollers(forEachBounded(list, this.childFanOut(), (n) => this.reconcileNode(n, this.state.vms[n.name] ?? 0)));
  }

  /** Brings every node to its desired count. */
  async reconcileAll(): Promise<void> {
    const todo = this.state.startReconcile();
    if (todo.length === 0) return;
    // The desired count is read when a node's turn comes: a scale signal meanwhile is honoured.
    await this.watchPollers(forEachBounded(todo, this.childFanOut(), (n) => this.reconcileNode(n, this.state.wantOf(n))));
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
    const work = forEachBounded(list, this.childFanOut(), async (nodeName) => {
      const node = this.state.nodeOrRemoved(nodeName);
      try {
        await this.reconcileNode(node, 0, true);
      } catch (err) {
        const text = `remove node ${nodeName}'s VMs: ${errorText(err)}`;
        log.error('node cleanup failed', { scenario: this.state.name, node: nodeName, error: text });
        this.state.cleanupErrors.push(text);
      }
    });
    await this.watchPollers(work);
  }

  /**
   * Removes every VM of the nodes that have any, keeping their dataplane (teardown's first step).
   * A node that fails is logged and listed in cleanupErrors; the others go on.
   */
  async emptyNodes(): Promise<void> {
    await forEachBounded(this.state.nodesWithVms(), this.childFanOut(), async (node) => {
      try {
        await this.reconcileNode(node, 0, false);
      } catch (err) {
        const text = `remove node ${node.name}'s VMs: ${errorText(err)}`;
        log.error('node cleanup failed', { scenario: this.state.name, node: node.name, error: text });
        this.state.cleanupErrors.push(text);
      }
    });
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
   * A node whose tests cannot run gets one failed result saying why.
   */
  async runTests(kinds: TestKind[]): Promise<void> {
    const state = this.state;
    state.phase = 'testing';
    const { nodes, selection } = state.testPlan();
    const out: TestResult[] = [];
    const serveAcross = patched(CROSS_NODE_SERVERS_PATCH);
    await forEachBounded(selection.byNode, CHILD_FAN_OUT, async ({ node, pairs }) => {
      const mine = nodes.find((n) => n.name === node);
      const nodeKinds = kinds.filter((k) => mine?.kinds.includes(k));
      if (nodeKinds.length === 0 || pairs.length === 0) return;
      try {
        out.push(
          ...(serveAcross
            ? await testFromNode(state.spec, state.name, node, nodeKinds, pairs, TEST_TIMEOUT_MS)
            : await testingActivities(state.spec, node).runTests({ scenario: state.name, node, kinds: nodeKinds, pairs, timeoutMs: TEST_TIMEOUT_MS })),
        );
      } catch (err) {
        out.push({ kind: nodeKinds[0]!, source: node, destination: '*', negative: false, pass: false, error: `tests on node ${node} could not run: ${errorText(err)}` });
      }
    });
    state.setResults(out);
  }
}
