/**
 * The agent calls that bring one `none` node from one VM count to another, in order: what a
 * nodeWorkflow run does (src/workflows/node.ts, with the merak-create-batch and merak-none-remove
 * patches), as data, so that the pooled agent's batched activity (reconcileNoneNodes,
 * src/activities/agent/none-nodes.ts) runs the same calls for many nodes without a workflow each.
 * Pure: no Node imports.
 */
import type { PlanSubnet, RangeList } from './plan';
import { segmentsFor } from './plan';
import type { ScenarioSpec } from './spec';

/** One agent call of a node's reconcile. */
export type NodeStep =
  /** ensureNode alone: the node is neither grown nor removed (a shrink, or a node already at its count). */
  | { op: 'ensure' }
  /** createBatch of VMs [from, from+count); `ensure` on the first (it makes the node too). */
  | { op: 'create'; from: number; count: number; ensure: boolean }
  /** deleteEndpoints then deleteVms of VMs [from, from+count) (highest first). */
  | { op: 'delete'; from: number; count: number }
  /** deleteNode: the node's state files, its VMs and endpoints with them. */
  | { op: 'remove' };

/**
 * The calls that take a `none` node from `current` to `desired` VMs, `batchSize` VMs per call,
 * and remove it after when `removeNode`. A removed node skips its VM deletes: deleteNode takes
 * its state files whole (what the merak-none-remove patch does in the node workflow).
 * @param current VMs the node has: a whole number ≥ 0
 * @param desired VMs wanted: a whole number ≥ 0
 * @param batchSize VMs per create or delete call: a whole number ≥ 1
 * @throws RangeError when a count is not a whole number in its range (every loop here is bounded by them)
 */
export function noneNodeSteps(current: number, desired: number, batchSize: number, removeNode: boolean): NodeStep[] {
  for (const [field, v, min] of [
    ['current', current, 0],
    ['desired', desired, 0],
    ['batchSize', batchSize, 1],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${field} ${v} must be a whole number ≥ ${min}`);
  }
  const steps: NodeStep[] = [];
  const growing = current < desired;
  if (!growing && (desired > 0 || !removeNode)) steps.push({ op: 'ensure' });
  for (let vms = current; vms < desired; ) {
    const count = Math.min(batchSize, desired - vms);
    steps.push({ op: 'create', from: vms, count, ensure: vms === current });
    vms += count;
  }
  if (!removeNode) {
    for (let vms = current; vms > desired; ) {
      const count = Math.min(batchSize, vms - desired);
      vms -= count;
      steps.push({ op: 'delete', from: vms, count });
    }
  }
  if (removeNode) steps.push({ op: 'remove' });
  return steps;
}

/** What every node of a reconcileNoneNodes call shares (sent once per call, not once per node). */
export interface NoneNodesShared {
  scenario: string;
  /** The endpoint plugin: `none` (the activity refuses any other). */
  plugin: string;
  underlayCidr: string;
  underlayMtu?: number;
  mtu?: number;
  blockSize: number;
  subnets: PlanSubnet[];
  /** VMs per createBatch call: a whole number ≥ 1. */
  batchSize: number;
  /** The spec's rate: the pause after each create batch of a node ({@link ratePauseMs}). */
  rate: ScenarioSpec['rate'];
}

/**
 * Pause after a create batch of `count` VMs, in milliseconds, as the spec's rate asks: none for
 * `sequential`, up to 200 ms for `random`, count / rps seconds for `{ rps }` (nodeWorkflow's rule).
 * @param random a number in [0, 1) (the workflow's seeded Math.random, or the activity's)
 */
export function ratePauseMs(rate: ScenarioSpec['rate'], count: number, random: number): number {
  if (rate === 'sequential') return 0;
  if (rate === 'random') return Math.floor(random * 200);
  return Math.ceil((count / rate.rps) * 1000);
}

/** One node of a reconcileNoneNodes call: bring it from `current` to `desired` VMs (and remove it when `removeNode`). */
export interface NoneNodeJob {
  node: string;
  slot: number;
  current: number;
  desired: number;
  endpointsPerVm: number;
  /** The node's host-index ranges per subnet (plan.ts). */
  ranges: RangeList[];
  removeNode: boolean;
  /** The node's own underlay address when the spec gives one. */
  underlayIp?: string;
}

/**
 * The endpoint batch of VMs [from, from+count) of a `none` node: what nodeWorkflow sends to
 * createBatch, deleteEndpoints (no peers and no VPC subnets: the `none` dataplane has no overlay
 * and no router).
 */
export function noneEndpointBatch(shared: NoneNodesShared, job: NoneNodeJob, from: number, count: number) {
  const segments = segmentsFor(shared.subnets, job.ranges, job.slot, from, count, job.endpointsPerVm, shared.blockSize);
  return {
    scenario: shared.scenario,
    node: job.node,
    plugin: shared.plugin,
    nodeSlot: job.slot,
    from,
    count,
    endpointsPerVm: job.endpointsPerVm,
    underlayCidr: shared.underlayCidr,
    ...(job.underlayIp !== undefined ? { underlayIp: job.underlayIp } : {}),
    ...(shared.underlayMtu !== undefined ? { underlayMtu: shared.underlayMtu } : {}),
    ...(shared.mtu !== undefined ? { mtu: shared.mtu } : {}),
    segments: segments.map((s) => ({
      vmFrom: s.vmFrom,
      vmCount: s.vmCount,
      endpoint: s.endpoint,
      subnet: { id: s.subnet.id, vpc: s.subnet.vpc, cidr: s.subnet.cidr, gateway: s.subnet.gateway, vni: s.subnet.vni },
      ipIndexFrom: s.ipIndexFrom,
      peers: [] as string[],
    })),
  };
}
