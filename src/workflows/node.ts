/**
 * nodeWorkflow: brings one node to a VM count (child of scenarioWorkflow, id
 * `merak-<scenario>-node-<node>`). Its activities run on the node's own task queue
 * `merak-agent-<node>`, in batches of ranges: the history grows with the number of batches, never
 * with the number of VMs. Each run is one reconcile step (grow, shrink, or delete the node); the
 * parent starts a new run when the desired count changes again.
 */
import { defineQuery, patched, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { AgentActivities } from '../activities/agent/activities';
import { NON_RETRYABLE_FAILURE_TYPES } from '../model/failures';
import { agentTaskQueue } from '../model/queues';
import { segmentsFor, type PlanSubnet, type RangeList } from '../model/plan';
import type { ScenarioSpec } from '../model/spec';
import { mergeMetrics } from '../model/metrics';
import type { NodeMeasurement } from '../model/measurements';
import type { ReachabilityPlan } from '../model/sla';

/**
 * Patch marker: from here on a batch is one createBatch activity (node, VMs, endpoints) instead
 * of ensureNode + createVms + createEndpoints. Histories recorded before it replay the old way.
 */
export const CREATE_BATCH_PATCH = 'merak-create-batch';

/**
 * Patch marker: a `none` node that is removed goes straight to deleteNode, which removes its
 * state files (the VM and endpoint ranges with them), instead of deleting its VMs batch by batch
 * first: a teardown of thousands of `none` nodes is one agent activity per node, not three.
 */
export const NONE_REMOVE_PATCH = 'merak-none-remove';

export interface NodeWorkflowInput {
  scenario: string;
  node: string;
  /** Task queue of this node's agent activities. @default agentTaskQueue(node) (merak-agent-<node>) */
  taskQueue?: string;
  slot: number;
  /** Endpoint plugin name: reference | cni | none | an executable's name. */
  plugin: string;
  underlayCidr: string;
  /** The node's underlay address when the spec gives one; the agent uses the slot's otherwise. */
  underlayIp?: string;
  /** MTU of the node's underlay link in local mode, bytes (spec underlay.mtu); absent in runs started before it existed. */
  underlayMtu?: number;
  /** The spec's endpoint MTU, bytes, when it sets one; otherwise the agent derives it from the underlay. */
  mtu?: number;
  /** Underlay addresses of the scenario's other nodes (VXLAN head-end replication). */
  peers: string[];
  /** VMs that exist now. */
  current: number;
  /** VMs wanted at the end of this run. */
  desired: number;
  endpointsPerVm: number;
  blockSize: number;
  subnets: PlanSubnet[];
  /** This node's host-index ranges per subnet (see plan.ts). */
  ranges: RangeList[];
  batchSize: number;
  rate: ScenarioSpec['rate'];
  /** Delete the node itself after its VMs (teardown). */
  removeNode: boolean;
  /** How long one agent activity may take, retries included, before the node counts as gone. */
  activityTimeoutMs: number;
  /** The network plugin's node configuration for ensureNode (GetState node_config); absent when it has none. */
  providerConfig?: Record<string, string>;
  /** Which new endpoints the agent probes for time to reachable (model/sla.ts); none when absent. */
  reachability?: ReachabilityPlan;
}

export interface NodeWorkflowResult {
  node: string;
  vms: number;
  removed: boolean;
  /** What the agent measured in this run's create batches, merged (absent when none ran). */
  measured?: NodeMeasurement;
}

export interface NodeProgress {
  node: string;
  phase: 'ensuring' | 'creating' | 'deleting' | 'removing' | 'done';
  vms: number;
  desired: number;
}

export const nodeProgressQuery = defineQuery<NodeProgress>('progress');

/** Pause after a batch of `count` VMs, as the rate asks. */
function pauseMs(rate: ScenarioSpec['rate'], count: number): number {
  if (rate === 'sequential') return 0;
  if (rate === 'random') return Math.floor(Math.random() * 200); // workflow Math.random is seeded and replay-safe
  return Math.ceil((count / rate.rps) * 1000);
}

export async function nodeWorkflow(input: NodeWorkflowInput): Promise<NodeWorkflowResult> {
  const agent = proxyActivities<AgentActivities>({
    taskQueue: input.taskQueue ?? agentTaskQueue(input.node),
    // A vanished node must not stall the scenario forever.
    scheduleToCloseTimeout: input.activityTimeoutMs,
    startToCloseTimeout: Math.min(input.activityTimeoutMs, 10 * 60_000),
    heartbeatTimeout: 30_000,
    retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '5s', nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURE_TYPES] },
  });
  let vms = input.current;
  let phase: NodeProgress['phase'] = 'ensuring';
  setHandler(nodeProgressQuery, () => ({ node: input.node, phase, vms, desired: input.desired }));

  const ref = { scenario: input.scenario, node: input.node, plugin: input.plugin };
  const subnetRef = (s: PlanSubnet) => ({ id: s.id, vpc: s.vpc, cidr: s.cidr, gateway: s.gateway, vni: s.vni });
  const endpointBatch = (from: number, count: number) => {
    const segments = segmentsFor(input.subnets, input.ranges, input.slot, from, count, input.endpointsPerVm, input.blockSize);
    const vpcs = new Set(segments.map((s) => s.subnet.vpc));
    return {
      ...ref,
      nodeSlot: input.slot,
      from,
      count,
      endpointsPerVm: input.endpointsPerVm,
      underlayCidr: input.underlayCidr,
      ...(input.underlayIp !== undefined ? { underlayIp: input.underlayIp } : {}),
      ...(input.underlayMtu !== undefined ? { underlayMtu: input.underlayMtu } : {}),
      ...(input.mtu !== undefined ? { mtu: input.mtu } : {}),
      segments: segments.map((s) => ({
        vmFrom: s.vmFrom,
        vmCount: s.vmCount,
        endpoint: s.endpoint,
        subnet: subnetRef(s.subnet),
        ipIndexFrom: s.ipIndexFrom,
        peers: input.peers,
      })),
      // The whole of each VPC, for the reference plugin's router on this node (the none dataplane
      // has none: its histories stay small at thousands of nodes).
      ...(input.plugin === 'none' ? {} : { vpcSubnets: input.subnets.filter((s) => vpcs.has(s.vpc)).map(subnetRef) }),
    };
  };

  const measured: NodeMeasurement = {};
  const growing = vms < input.desired;
  // The first createBatch ensures the node itself; otherwise ensureNode runs on its own.
  const batched = growing && patched(CREATE_BATCH_PATCH);
  if (!batched && (input.desired > 0 || !input.removeNode)) {
    await agent.ensureNode({
      ...ref,
      nodeSlot: input.slot,
      underlayCidr: input.underlayCidr,
      ...(input.underlayIp !== undefined ? { underlayIp: input.underlayIp } : {}),
      ...(input.underlayMtu !== undefined ? { underlayMtu: input.underlayMtu } : {}),
      ...(input.providerConfig ? { providerConfig: input.providerConfig } : {}),
    });
  }
  phase = input.desired >= vms ? 'creating' : 'deleting';
  while (vms < input.desired) {
    const count = Math.min(input.batchSize, input.desired - vms);
    if (batched) {
      const ensure = vms === input.current;
      const r = await agent.createBatch({
        ...endpointBatch(vms, count),
        ensureNode: ensure,
        ...(ensure && input.providerConfig ? { providerConfig: input.providerConfig } : {}),
        ...(input.reachability ? { reachability: input.reachability } : {}),
      });
      // Histories recorded before issue 12 have no metrics in their results.
      if (r?.metrics) {
        try {
          measured.metrics = mergeMetrics(measured.metrics, r.metrics);
        } catch (err) {
          // Measuring must never fail a build: the report names what was lost.
          measured.error = `merge of batch ${vms}..${vms + count - 1}'s metrics: ${err instanceof Error ? err.message : String(err)}`;
        }
        measured.buildMs = (measured.buildMs ?? 0) + (r.ms ?? r.vms.ms + r.endpoints.ms);
        measured.vms = (measured.vms ?? 0) + count;
        measured.batches = (measured.batches ?? 0) + 1;
      }
    } else {
      await agent.createVms({ ...ref, from: vms, count });
      await agent.createEndpoints(endpointBatch(vms, count));
    }
    vms += count;
    const pause = pauseMs(input.rate, count);
    if (pause > 0 && vms < input.desired) await sleep(pause);
  }
  // A none node owns nothing but its state files, which deleteNode removes whole.
  if (input.removeNode && input.plugin === 'none' && vms > input.desired && patched(NONE_REMOVE_PATCH)) vms = input.desired;
  while (vms > input.desired) {
    // Shrinking deletes the highest-index VMs first.
    const count = Math.min(input.batchSize, vms - input.desired);
    const from = vms - count;
    await agent.deleteEndpoints(endpointBatch(from, count));
    await agent.deleteVms({ ...ref, from, count });
    vms = from;
  }
  let removed = false;
  if (input.removeNode) {
    phase = 'removing';
    await agent.deleteNode(ref);
    removed = true;
  }
  phase = 'done';
  return { node: input.node, vms, removed, ...(measured.batches ? { measured } : {}) };
}
