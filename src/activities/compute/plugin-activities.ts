/**
 * Compute activities: the scenario's calls to the network plugin under test. Each one is a single
 * idempotent plugin RPC (the plugin contract makes Create of an identical object and Delete of a
 * missing one succeed), so Temporal may retry it freely.
 *
 * Failures (mapped where each activity returns, ../failure.ts): every activity here fails with
 * type `Plugin<STATUS>` (e.g. `PluginINVALID_ARGUMENT`), the gRPC status the plugin answered.
 * Input and conflict refusals are final (FINAL_PLUGIN_STATUSES in src/model/failures.ts);
 * outages, overload, timeouts and crashes inside the plugin are retried (RETRYABLE_BY_STATUS in
 * src/plugin/errors.ts, docs/network-plugin.md).
 */
import { performance } from 'node:perf_hooks';
import { forEachBounded } from '../../model/concurrency';

/** Plugin call latencies in ms, sub-microsecond (Date.now counts whole ms: a 0.4 ms call read as 0 or 1). */
const now = (): number => performance.now();
import { MetricsRecorder, type Metrics } from '../../model/metrics';
import { pluginCallFailure, withFailurePolicy } from '../failure';
import { classifyPluginError } from '../../plugin/errors';
import type { NetworkPluginClient } from '../../plugin/client';
import type { Node__Output, Subnet__Output, Vpc__Output } from '../../plugin/types';
import { createPreflightActivities, type PreflightDeps } from './preflight';

/** Where the plugin is and how long one call may take. */
export interface PluginTarget {
  address: string;
  deadlineMs: number;
}

export interface VpcObject {
  id: string;
  vni: number;
  /** Network address of the VPC CIDR. */
  ip: string;
  prefix: number;
  optional?: Record<string, string>;
  /** The owning scenario, sent to the plugin (absent for workflows started before owners existed). */
  scenario?: string;
}

export interface SubnetObject {
  id: string;
  vpc: string;
  vni: number;
  ip: string;
  prefix: number;
  optional?: Record<string, string>;
  /** The owning scenario (see VpcObject). */
  scenario?: string;
}

export interface NodeObject {
  name: string;
  ip: string;
  mac: string;
  optional?: Record<string, string>;
  /** The owning scenario (see VpcObject). */
  scenario?: string;
}

/** A plugin call's answer with how long the call took, in ms, measured around the RPC (retries not included). */
export type Timed<T> = T & { ms: number };

/** A batch of plugin calls: how many, and each call's latency (src/model/metrics.ts). */
export interface BatchTimed {
  count: number;
  metrics: Metrics;
}

export interface ComputeActivityDeps extends Omit<PreflightDeps, 'pluginClient'> {
  /** Returns a client for a plugin address; the factory may cache clients. */
  pluginClient(target: PluginTarget): NetworkPluginClient;
}

/** Failure type names the workflow can match on (`ApplicationFailure.type`): `Plugin<STATUS>`. */
export { PLUGIN_FAILURE_TYPE_PREFIX } from '../../model/failures';

/** One plugin RPC; its error becomes a `Plugin<STATUS>` failure whose message starts with `what`. */
async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw pluginCallFailure(what, err);
  }
}

// The owner is passed on only when set: an answer of a plugin that ignores the field leaves it out.
const owner = (scenario: string) => (scenario ? { scenario } : {});
const vpcOut = (v: Vpc__Output): VpcObject => ({ id: v.id, vni: v.vni, ip: v.ip, prefix: v.prefix, optional: v.optional, ...owner(v.scenario) });
const subnetOut = (s: Subnet__Output): SubnetObject => ({ id: s.id, vpc: s.vpc, vni: s.vni, ip: s.ip, prefix: s.prefix, optional: s.optional, ...owner(s.scenario) });
const nodeOut = (n: Node__Output): NodeObject => ({ name: n.name, ip: n.ip, mac: n.mac, optional: n.optional, ...owner(n.scenario) });

/**
 * The compute activities. Each one fails with a `Plugin<STATUS>` failure, final or retried by
 * the status (see the top of this file).
 */
export function createComputeActivities(deps: ComputeActivityDeps) {
  const client = deps.pluginClient;
  return withFailurePolicy({
    ...createPreflightActivities(deps),
    /** Creates a VPC; returns it as the provider holds it (its VNI may differ from the one asked). */
    async createVpc(target: PluginTarget, vpc: VpcObject): Promise<Timed<VpcObject>> {
      const t0 = now();
      const res = await call(`create VPC ${vpc.id}`, () => client(target).createVpc({ vpc }));
      return { ...vpcOut(res.vpc), ms: now() - t0 };
    },
    async updateVpc(target: PluginTarget, vpc: VpcObject): Promise<Timed<VpcObject>> {
      const t0 = now();
      const res = await call(`update VPC ${vpc.id}`, () => client(target).updateVpc({ vpc }));
      return { ...vpcOut(res.vpc), ms: now() - t0 };
    },
    /** Deletes a VPC; with `scenario`, one owned by another scenario is left alone (the plugin answers success). */
    async deleteVpc(target: PluginTarget, id: string, scenario?: string): Promise<{ ms: number }> {
      const t0 = now();
      await call(`delete VPC ${id}`, () => client(target).deleteVpc({ id, ...owner(scenario ?? '') }));
      return { ms: now() - t0 };
    },
    async createSubnet(target: PluginTarget, subnet: SubnetObject): Promise<Timed<SubnetObject>> {
      const t0 = now();
      const res = await call(`create subnet ${subnet.id}`, () => client(target).createSubnet({ subnet }));
      return { ...subnetOut(res.subnet), ms: now() - t0 };
    },
    async updateSubnet(target: PluginTarget, subnet: SubnetObject): Promise<Timed<SubnetObject>> {
      const t0 = now();
      const res = await call(`update subnet ${subnet.id}`, () => client(target).updateSubnet({ subnet }));
      return { ...subnetOut(res.subnet), ms: now() - t0 };
    },
    async deleteSubnet(target: PluginTarget, id: string, scenario?: string): Promise<{ ms: number }> {
      const t0 = now();
      await call(`delete subnet ${id}`, () => client(target).deleteSubnet({ id, ...owner(scenario ?? '') }));
      return { ms: now() - t0 };
    },
    async createNode(target: PluginTarget, node: NodeObject): Promise<Timed<NodeObject>> {
      const t0 = now();
      const res = await call(`create node ${node.name}`, () => client(target).createNode({ node }));
      return { ...nodeOut(res.node), ms: now() - t0 };
    },
    /**
     * Creates many nodes in one activity, `concurrency` calls at a time: a thousand-node scenario
     * makes a few activities instead of a thousand round trips through the server. Idempotent
     * like createNode (a retry re-sends the ones already made, which the plugin accepts).
     * The calls run through `forEachBounded`: after a failure no new node is started, and the
     * failure is thrown once the calls in flight have answered, so a retry never overlaps them.
     * @throws ApplicationFailure of the first failed call, classified like createNode's.
     * @throws RangeError when `concurrency` is not a whole number ≥ 1.
     */
    async createNodes(target: PluginTarget, nodes: NodeObject[], concurrency = 16): Promise<BatchTimed> {
      const rec = new MetricsRecorder();
      await forEachBounded(nodes, concurrency, (node) => rec.time('plugin.CreateNode', now, () => call(`create node ${node.name}`, () => client(target).createNode({ node }))));
      return { count: nodes.length, metrics: rec.metrics() };
    },
    /** Deletes many nodes in one activity, like createNodes; a missing node is fine. */
    async deleteNodes(target: PluginTarget, names: string[], concurrency = 16, scenario?: string): Promise<BatchTimed> {
      const rec = new MetricsRecorder();
      await forEachBounded(names, concurrency, (name) => rec.time('plugin.DeleteNode', now, () => call(`delete node ${name}`, () => client(target).deleteNode({ name, ...owner(scenario ?? '') }))));
      return { count: names.length, metrics: rec.metrics() };
    },
    async updateNode(target: PluginTarget, node: NodeObject): Promise<Timed<NodeObject>> {
      const t0 = now();
      const res = await call(`update node ${node.name}`, () => client(target).updateNode({ node }));
      return { ...nodeOut(res.node), ms: now() - t0 };
    },
    async deleteNode(target: PluginTarget, name: string, scenario?: string): Promise<{ ms: number }> {
      const t0 = now();
      await call(`delete node ${name}`, () => client(target).deleteNode({ name, ...owner(scenario ?? '') }));
      return { ms: now() - t0 };
    },
    /**
     * The provider's node configuration: GetState's `node_config` (proto field 5), what every node
     * agent needs to make the node's side of the provider (the OVN plugin: where its central is).
     * Only that map is returned, so the workflow's history does not carry the plugin's objects.
     * @returns the map; `{}` when the plugin has none or does not implement the state service
     *   (UNIMPLEMENTED)
     * @throws ApplicationFailure `Plugin<STATUS>` for any other error, retried as the status says.
     */
    async pluginNodeConfig(target: PluginTarget): Promise<Record<string, string>> {
      try {
        const state = await client(target).getState();
        return { ...(state.node_config ?? {}) };
      } catch (err) {
        if (classifyPluginError(err).code === 'UNIMPLEMENTED') return {};
        throw pluginCallFailure(`read the node configuration of the network plugin at ${target.address}`, err);
      }
    },
  });
}

export type ComputeActivities = ReturnType<typeof createComputeActivities>;
