/**
 * Stage 1 of the scenario workflow: the network plugin's objects (VPCs, subnets, nodes) and their
 * compensation. Every object is recorded in the state *before* its Create is sent, so a Create that
 * timed out after the plugin acted is still undone (the plugin's Delete of a missing object
 * succeeds); {@link PluginStage.unwind} deletes recorded objects newest first, kind by kind, and
 * lists every delete that fails in `cleanupErrors` instead of stopping. A Create of unknown
 * outcome may still land after its delete; the unwind outlasts it (LATE_CREATE_PATCH,
 * src/model/compensation.ts).
 *
 * The order of the activities and patch markers here is part of the workflow's history: replay
 * tests over test/histories guard it, and a change of order needs a `patched()` marker.
 */
import { log, patched, sleep } from '@temporalio/workflow';
import { CreateAttempts, PARENT_DELETE_ROUNDS, PARENT_IN_USE_FAILURE, failureTypeOf, parentRetryDelayMs, settleDelayMs } from '../model/compensation';
import { forEachBounded } from '../model/concurrency';
import { errorText } from '../model/error-text';
import type { ScenarioState } from '../model/scenario-state';
import type { NodeSpec, SubnetSpec, VpcSpec } from '../model/spec';
import type { BuiltObject } from '../model/status';
import type { OpKind } from '../model/metrics';
import { nodeBatchActivities, pluginActivities, pluginTarget } from './scenario-activities';

/** Plugin calls in flight at once per stage. */
export const PLUGIN_FAN_OUT = 16;
/** Nodes per createNodes/deleteNodes activity when a scenario creates (deletes) more than this many at once. */
export const NODE_BATCH = 50;
/**
 * Patch marker: more than NODE_BATCH nodes are created NODE_BATCH per activity instead of one
 * activity each. Histories recorded before it replay the old way.
 */
export const NODE_BATCH_PATCH = 'merak-node-batch';
/** Patch marker: more than NODE_BATCH nodes are deleted NODE_BATCH per activity (teardown, apply). */
export const NODE_BATCH_DELETE_PATCH = 'merak-node-batch-delete';

/**
 * Patch marker: a scenario started from here on takes a scenario number and checks the plugin
 * (the preflightScenario activity) before its first Create, and from then on sends owners, names
 * its nodes `<node>.<scenario>` at the plugin and derives underlay and node MACs from the number
 * (model/identity.ts). Histories recorded before replay without it.
 */
export const IDENTITY_PATCH = 'merak-scenario-identity';

/**
 * Patch marker: a scenario started from here on reads the network plugin's node configuration
 * (GetState `node_config`, the pluginNodeConfig activity) once after the preflight and gives it
 * to every node's ensureNode as `providerConfig`; when there is one, each new node is ensured
 * before its CreateNode (VmStage.ensureNodes). Histories recorded before replay without it.
 */
export const NODE_CONFIG_PATCH = 'merak-provider-node-config';

/**
 * Patch marker: the compensation outlasts a Create of unknown outcome (one that failed, timed out
 * or was cancelled) that may still land in the plugin after its delete: it waits
 * settleDelayMs(deadline) before the first delete, a VPC delete refused FAILED_PRECONDITION
 * deletes that VPC's attempted subnets again and retries (PARENT_DELETE_ROUNDS, with timers),
 * and after the deletes the objects of unknown outcome are deleted once more
 * (src/model/compensation.ts). Histories recorded before it replay without the wait and retries.
 */
export const LATE_CREATE_PATCH = 'merak-late-create-compensation';

/**
 * Patch marker: the preflight (preflightScenario) and the read of the plugin's node configuration
 * (pluginNodeConfig) run at once instead of one after the other: neither needs the other's answer,
 * and each is a workflow task and an activity round trip (~40 ms) before the first Create, which a
 * one-node build pays in full. Histories recorded before it replay them in sequence.
 */
export const PARALLEL_PREFLIGHT_PATCH = 'merak-parallel-preflight';

/** A subnet with the VPC it belongs to. */
export interface SubnetOfVpc {
  vpc: string;
  subnet: SubnetSpec;
}

export class PluginStage {
  /** Creates this run sent and whether each answered (in memory: see CreateAttempts). */
  private readonly attempts = new CreateAttempts();
  /** Whether the compensation already waited for Creates of unknown outcome to settle. */
  private settled = false;

  constructor(private readonly state: ScenarioState) {}

  /** Sends one Create: noted as attempted (outcome unknown) before, settled once it answered with success. */
  private async attempt<T>(obj: BuiltObject, create: () => Promise<T>): Promise<T> {
    this.attempts.sent(obj);
    const out = await create();
    this.attempts.settle(obj.kind, obj.id);
    return out;
  }

  private plugin() {
    return pluginActivities(this.state.spec);
  }

  private target() {
    return pluginTarget(this.state.spec);
  }

  /**
   * Runs one plugin activity and keeps its latency as the compute activity measured it (`ms` in
   * its result), or counts it as failed. A batch activity's own histograms are added by the caller.
   */
  private async timed<T>(kind: OpKind, call: () => Promise<T>): Promise<T> {
    try {
      const out = await call();
      const ms = typeof out === 'object' && out !== null && 'ms' in out ? (out as { ms: unknown }).ms : undefined;
      this.state.measured.pluginCall(kind, typeof ms === 'number' ? ms : undefined);
      return out;
    } catch (err) {
      this.state.measured.pluginFailure(kind);
      throw err;
    }
  }

  private batch(size: number) {
    return nodeBatchActivities(this.state.spec, size, PLUGIN_FAN_OUT);
  }

  /**
   * Before the first Create: a scenario number on the compute worker's machine, and nothing that
   * collides with another scenario at the plugin (fails with ScenarioConflict, naming it).
   */
  async preflight(): Promise<void> {
    if (!patched(IDENTITY_PATCH)) return;
    this.state.identity = await this.plugin().preflightScenario(this.target(), { input: this.state.input, slots: this.state.slots });
  }

  /**
   * Reads the plugin's node configuration once (a scenario started before NODE_CONFIG_PATCH has
   * none). Kept only when the plugin hands one out: a provider with a node side (OVN).
   */
  async fetchNodeConfig(): Promise<void> {
    if (!patched(NODE_CONFIG_PATCH)) return;
    const config = await this.plugin().pluginNodeConfig(this.target());
    this.state.providerConfig = Object.keys(config).length > 0 ? config : undefined;
  }

  /**
   * The preflight and the node configuration read, at once since PARALLEL_PREFLIGHT_PATCH. Both
   * are waited for before a failure is thrown (the preflight's first): a read that fails must not
   * leave a preflight in flight whose scenario number the failure path would then not release.
   */
  async prepare(): Promise<void> {
    if (patched(PARALLEL_PREFLIGHT_PATCH)) {
      const [pre, config] = await Promise.allSettled([this.preflight(), this.fetchNodeConfig()]);
      if (pre.status === 'rejected') throw pre.reason;
      if (config.status === 'rejected') throw config.reason;
      return;
    }
    await this.preflight();
    await this.fetchNodeConfig();
  }

  /** Frees the scenario number once nothing of the scenario is left at the plugin; a failure goes to cleanupErrors. */
  async releaseNumber(): Promise<void> {
    if (!this.state.identity) return;
    try {
      await this.plugin().releaseScenarioNumber(this.state.name);
    } catch (err) {
      this.state.cleanupErrors.push(`release scenario number ${this.state.identity.number}: ${errorText(err)}`);
    }
  }

  /** Creates VPCs (recorded first), keeping the VNI the provider assigned. */
  async createVpcs(list: readonly VpcSpec[]): Promise<void> {
    return forEachBounded(list, PLUGIN_FAN_OUT, async (vpc) => {
      const entry = this.state.record({ kind: 'vpc', id: vpc.id });
      const got = await this.attempt(entry, () => this.timed('plugin.CreateVpc', () => this.plugin().createVpc(this.target(), this.state.vpcObject(vpc))));
      entry.vni = got.vni;
    });
  }

  /** Creates subnets (recorded first), keeping the VNI the provider assigned. */
  async createSubnets(list: readonly SubnetOfVpc[]): Promise<void> {
    return forEachBounded(list, PLUGIN_FAN_OUT, async ({ vpc, subnet }) => {
      const entry = this.state.record({ kind: 'subnet', id: subnet.id, vpc });
      const got = await this.attempt(entry, () => this.timed('plugin.CreateSubnet', () => this.plugin().createSubnet(this.target(), this.state.subnetObject(vpc, subnet))));
      entry.vni = got.vni;
    });
  }

  /** Creates nodes (recorded first): NODE_BATCH per createNodes activity when there are more than NODE_BATCH. */
  async createNodes(list: readonly NodeSpec[]): Promise<void> {
    if (list.length > NODE_BATCH && patched(NODE_BATCH_PATCH)) {
      // Many nodes: NODE_BATCH per activity. Each is recorded before its batch is sent.
      const batches: NodeSpec[][] = [];
      for (let i = 0; i < list.length; i += NODE_BATCH) batches.push(list.slice(i, i + NODE_BATCH));
      await forEachBounded(batches, PLUGIN_FAN_OUT, async (batch) => {
        const entries = batch.map((node) => this.state.record({ kind: 'node', id: node.name }));
        entries.forEach((e) => this.attempts.sent(e));
        const r = await this.timed('plugin.CreateNode', () => this.batch(batch.length).createNodes(this.target(), batch.map((n) => this.state.nodeObject(n)), PLUGIN_FAN_OUT));
        entries.forEach((e) => this.attempts.settle(e.kind, e.id));
        this.state.measured.addMetrics(typeof r === 'object' ? r.metrics : undefined);
      });
      return;
    }
    await forEachBounded(list, PLUGIN_FAN_OUT, async (node) => {
      const entry = this.state.record({ kind: 'node', id: node.name });
      await this.attempt(entry, () => this.timed('plugin.CreateNode', () => this.plugin().createNode(this.target(), this.state.nodeObject(node))));
    });
  }

  /** Sends the plugin's Update for VPCs whose fields changed (apply), keeping the VNI it answers. */
  async updateVpcs(list: readonly VpcSpec[]): Promise<void> {
    await forEachBounded(list, PLUGIN_FAN_OUT, async (vpc) => {
      const got = await this.timed('plugin.UpdateVpc', () => this.plugin().updateVpc(this.target(), this.state.vpcObject(vpc)));
      this.state.record({ kind: 'vpc', id: vpc.id }).vni = got.vni;
    });
  }

  /** Sends the plugin's Update for subnets whose fields changed (apply), keeping the VNI it answers. */
  async updateSubnets(list: readonly (SubnetSpec & { vpc: string })[]): Promise<void> {
    await forEachBounded(list, PLUGIN_FAN_OUT, async (s) => {
      const got = await this.timed('plugin.UpdateSubnet', () => this.plugin().updateSubnet(this.target(), this.state.subnetObject(s.vpc, s)));
      this.state.record({ kind: 'subnet', id: s.id }).vni = got.vni;
    });
  }

  /** Sends the plugin's Update for nodes whose fields changed (apply). */
  async updateNodes(list: readonly NodeSpec[]): Promise<void> {
    await forEachBounded(list, PLUGIN_FAN_OUT, async (n) => {
      await this.timed('plugin.UpdateNode', () => this.plugin().updateNode(this.target(), this.state.nodeObject(n)));
    });
  }

  /** Sends one object's Delete. @returns undefined when it is gone, else the error */
  private async tryDelete(obj: BuiltObject): Promise<unknown> {
    try {
      const owner = this.state.ownerName();
      if (obj.kind === 'node') await this.timed('plugin.DeleteNode', () => this.plugin().deleteNode(this.target(), this.state.pluginNodeName(obj.id), owner));
      else if (obj.kind === 'subnet') await this.timed('plugin.DeleteSubnet', () => this.plugin().deleteSubnet(this.target(), obj.id, owner));
      else await this.timed('plugin.DeleteVpc', () => this.plugin().deleteVpc(this.target(), obj.id, owner));
      return undefined;
    } catch (err) {
      return err ?? new Error('delete failed');
    }
  }

  /** Logs a delete that failed for good and lists it in cleanupErrors. */
  private deleteFailed(obj: BuiltObject, err: unknown): void {
    const text = `delete ${obj.kind} ${obj.id}: ${errorText(err)}`;
    log.error('plugin delete failed', { scenario: this.state.name, object: obj, error: text });
    this.state.cleanupErrors.push(text);
  }

  /**
   * Deletes one object; a failure is logged and listed in cleanupErrors. A VPC whose delete is
   * refused FAILED_PRECONDITION (subnets left: a late Create landed after its subnet's delete)
   * gets its attempted subnets deleted again and is retried, PARENT_DELETE_ROUNDS times at most
   * (LATE_CREATE_PATCH).
   * @param recorded - the scenario's record when the unwind began (subnets of a VPC are looked up in it)
   * @returns whether it is gone
   */
  private async deleteObject(obj: BuiltObject, recorded: readonly BuiltObject[]): Promise<boolean> {
    let err = await this.tryDelete(obj);
    if (err === undefined) return true;
    if (obj.kind === 'vpc' && failureTypeOf(err) === PARENT_IN_USE_FAILURE && patched(LATE_CREATE_PATCH)) {
      const deadlineMs = this.state.spec.plugin.deadlineMs;
      for (let round = 0; round < PARENT_DELETE_ROUNDS && err !== undefined; round++) {
        const wait = parentRetryDelayMs(round, deadlineMs);
        if (wait > 0) await sleep(wait);
        const children = this.attempts.subnetsOf(obj.id, recorded);
        log.warn('VPC delete refused with subnets left; deleting its subnets again', { scenario: this.state.name, vpc: obj.id, round, subnets: children, error: errorText(err) });
        await forEachBounded(children, PLUGIN_FAN_OUT, async (id) => {
          const child: BuiltObject = { kind: 'subnet', id, vpc: obj.id };
          const childErr = await this.tryDelete(child);
          if (childErr !== undefined) this.deleteFailed(child, childErr);
        });
        err = await this.tryDelete(obj);
      }
      if (err === undefined) return true;
    }
    this.deleteFailed(obj, err);
    return false;
  }

  /**
   * Deletes the recorded objects `which` selects (default: all), newest first, kind by kind, and
   * forgets each, deleted or not (a failed delete is in cleanupErrors).
   *
   * With Creates of unknown outcome (LATE_CREATE_PATCH): waits settleDelayMs(deadline) once
   * before the first delete, and after the deletes deletes once more each such object it deleted,
   * so a late Create that landed after its delete is undone too (src/model/compensation.ts).
   * @returns how many the plugin deleted
   */
  async unwind(which: (b: BuiltObject) => boolean = () => true): Promise<number> {
    const state = this.state;
    let deleted = 0;
    const recorded = [...state.built];
    const doomed = recorded.filter(which);
    if (doomed.length > 0 && !this.settled && this.attempts.anyUnknown && patched(LATE_CREATE_PATCH)) {
      const wait = settleDelayMs(state.spec.plugin.deadlineMs);
      log.warn('plugin Creates of unknown outcome: waiting for them to settle before deleting', { scenario: state.name, waitMs: wait, objects: this.attempts.unknownOutcomes() });
      await sleep(wait);
      this.settled = true;
    }
    const gone = new Set<BuiltObject>();
    for (let end = doomed.length; end > 0; ) {
      const kind = doomed[end - 1]!.kind;
      let start = end - 1;
      while (start > 0 && doomed[start - 1]!.kind === kind) start--;
      const group = doomed.slice(start, end).reverse();
      const forget = (obj: BuiltObject) => state.forget(obj);
      const one = async (obj: BuiltObject) => {
        if (await this.deleteObject(obj, recorded)) {
          deleted++;
          gone.add(obj);
        }
        forget(obj);
      };
      if (kind === 'node' && group.length > NODE_BATCH && patched(NODE_BATCH_DELETE_PATCH)) {
        // Many nodes: NODE_BATCH per activity; a batch that fails is retried node by node, so
        // every node that cannot be deleted is named in cleanupErrors.
        const batches: BuiltObject[][] = [];
        for (let i = 0; i < group.length; i += NODE_BATCH) batches.push(group.slice(i, i + NODE_BATCH));
        await forEachBounded(batches, PLUGIN_FAN_OUT, async (batch) => {
          try {
            const r = await this.batch(batch.length).deleteNodes(this.target(), batch.map((b) => state.pluginNodeName(b.id)), PLUGIN_FAN_OUT, state.ownerName());
            this.state.measured.addMetrics(typeof r === 'object' ? r.metrics : undefined);
            deleted += batch.length;
            batch.forEach((b) => gone.add(b));
            batch.forEach(forget);
          } catch {
            await forEachBounded(batch, PLUGIN_FAN_OUT, one);
          }
        });
      } else {
        await forEachBounded(group, PLUGIN_FAN_OUT, one);
      }
      end = start;
    }
    await this.deleteLateCreates(doomed.filter((b) => gone.has(b)), recorded);
    return deleted;
  }

  /**
   * Deletes once more the objects of unknown outcome among `deleted` (nodes, then subnets, then
   * VPCs): a Create that was still in flight when its object was deleted may have landed since.
   * Each is settled afterwards, so a later unwind does not send it again. A failure goes to cleanupErrors.
   */
  private async deleteLateCreates(deleted: readonly BuiltObject[], recorded: readonly BuiltObject[]): Promise<void> {
    const keys = new Set(deleted.map((b) => `${b.kind}/${b.id}`));
    const again = this.attempts.unknownOutcomes((b) => keys.has(`${b.kind}/${b.id}`));
    if (again.length === 0 || !patched(LATE_CREATE_PATCH)) return;
    log.warn('deleting again the objects whose Create had an unknown outcome', { scenario: this.state.name, objects: again });
    for (const kind of ['node', 'subnet', 'vpc'] as const) {
      await forEachBounded(
        again.filter((b) => b.kind === kind),
        PLUGIN_FAN_OUT,
        async (obj) => {
          await this.deleteObject(obj, recorded);
          this.attempts.settle(obj.kind, obj.id);
        },
      );
    }
  }
}
