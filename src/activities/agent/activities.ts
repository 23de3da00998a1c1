/**
 * The node agent's activities, built by a factory from their dependencies. Each is idempotent
 * (running it twice, or again after a crash half-way, ends in the same state), heartbeats its
 * progress per chunk and resumes from the last heartbeat on retry, and returns counts only.
 * Without a Temporal activity context they are plain async functions (benchmark, CLI).
 *
 * Local mode: the node is namespace mk-<tag>-<node>, made by ensureNode; the agent runs in the
 * root namespace and only ever acts inside namespaces it made. Pod mode: the node is the
 * agent's own namespace; the same code runs without `-n`.
 *
 * Failures are mapped once, where each activity returns (../failure.ts, src/model/failures.ts):
 * - final (not retried): InvalidInputError (a payload field breaks a rule, before anything is
 *   made), PluginNotFoundError, NodeNotReadyError and other PreconditionErrors (what the call
 *   needs is not there), EndpointPluginError (the endpoint plugin refused or failed; createVms
 *   and createEndpoints first remove what the failed batch made);
 * - retried within the activity's window: CommandFailedError and NsConfigError (a kernel command
 *   failed), StateDirError, anything else.
 */
import { cpus } from 'node:os';
import type { CommandRunner } from '../../dataplane/command';
import { runChecked } from '../../dataplane/command';
import { cleanScenario, cleanWriter } from '../../dataplane/clean';
import { PreconditionError } from '../../dataplane/errors';
import { runBatch } from '../../dataplane/ip-batch';
import { applyNsConfig, type NsRequest } from '../../dataplane/ns-helper';
import { listLinks, listMountedNetns, listNetns, netnsAddLines, netnsPath } from '../../dataplane/netns';
import { hostVethPrefix, nodeNetns, parseVmNetns, underlayNodeEnd, vmNetns } from '../../dataplane/names';
import { ensureNodeNs, LOCAL_WRITER } from '../../dataplane/node-ns';
import type { OwnerRecordStore } from '../../dataplane/owner-records';
import { claimTag } from '../../dataplane/tags';
import { DEFAULT_UNDERLAY_CIDR, underlayAddress } from '../../dataplane/underlay';
import type { PluginRegistry } from '../../endpoint-plugins/registry';
import { DEFAULT_PLUGIN } from '../../endpoint-plugins/registry';
import { EndpointPluginError, type Endpoint, type EndpointPlugin, type PluginContext, type VmRef } from '../../endpoint-plugins/types';
import { withFailurePolicy } from '../failure';
import { expandBatch, validateSegments } from './expand';
import { beat, keepAlive, resumePhase, resumePoint } from './heartbeat';
import { createLimiter } from './limiter';
import { addRange, NodeStateFiles, removeRange, virtualEndpointCount, virtualVmCount } from './node-state';
import {
  CreateBatchSchema,
  EndpointBatchSchema,
  NodeRefSchema,
  NodeRequestSchema,
  PeerSyncSchema,
  VmBatchSchema,
  parsePayload,
  type BatchSummary,
  type CreateBatch,
  type CreateBatchSummary,
  type EndpointBatch,
  type NodeInfo,
  type NodeRef,
  type NodeRequest,
  type PeerSync,
  type VmBatch,
} from './types';

export type NodeMode = 'local' | 'pod';

export interface PeerQuery {
  scenario: string;
  node: string;
  vni: number;
}

export interface AgentDeps {
  /** Local mode: the node is a namespace Merak made; pod mode: the agent's own namespace. */
  mode: NodeMode;
  runner: CommandRunner;
  records: OwnerRecordStore;
  plugins: PluginRegistry;
  /** Milliseconds clock for the summaries. Default: Date.now. */
  clock?: () => number;
  /**
   * Underlay addresses of the nodes hosting a VNI (e.g. from the reference network plugin's
   * state service). Used when a segment carries no explicit `peers`. Default: in local mode, every
   * other node of the scenario known in the state directory; in pod mode, none.
   */
  peerSource?: (q: PeerQuery) => Promise<string[]>;
  /** VMs per kernel batch, which is also the heartbeat granularity. Default: 250. */
  chunkSize?: number;
  /** How long deleteVms waits for the kernel's asynchronous namespace cleanup. Default: 30000 ms. */
  cleanupWaitMs?: number;
  /**
   * Batch activities that create or delete kernel objects at once in this process, whatever
   * node they are for (the others wait their turn, heartbeating). Default: the number of CPUs.
   */
  kernelConcurrency?: number;
}

/** Raised when the node namespace does not exist yet in local mode. */
export class NodeNotReadyError extends PreconditionError {
  override readonly name = 'NodeNotReadyError';
  constructor(readonly scenario: string, readonly node: string) {
    super(`node ${node} of scenario ${scenario} has no namespace yet; run ensureNode (merak local up) first`);
  }
}

/**
 * Device group used only to delete many node-side veths in one call. Only links Merak is about
 * to delete are ever put in it, within the node's namespace.
 */
export const DELETE_GROUP = 0x6d6b0001;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether a batch resumes from an earlier attempt's heartbeat; a phase names its step in a multi-step activity. */
type Resume = boolean | { phase: string };
const phaseOf = (resume: Resume): string | undefined => (typeof resume === 'object' ? resume.phase : undefined);

export function createAgentActivities(deps: AgentDeps) {
  const clock = deps.clock ?? Date.now;
  const chunkSize = deps.chunkSize ?? 250;
  const stateDir = deps.records.stateDir;
  const files = new NodeStateFiles(stateDir);
  const tags = new Map<string, string>();
  const underlays = new Map<string, { address: string; device: string }>();

  async function tagOf(scenario: string): Promise<string> {
    let t = tags.get(scenario);
    if (!t) {
      t = await claimTag(stateDir, scenario);
      tags.set(scenario, t);
    }
    return t;
  }

  /** The node namespace name in local mode (must exist), undefined in pod mode. */
  async function nodeNs(scenario: string, node: string, tag: string): Promise<string | undefined> {
    if (deps.mode === 'pod') return undefined;
    const ns = nodeNetns(tag, node);
    if (!(await listMountedNetns()).has(ns)) throw new NodeNotReadyError(scenario, node);
    return ns;
  }

  async function podUnderlay(): Promise<{ address: string; device: string }> {
    const r = await runChecked(deps.runner, ['ip', '-j', '-4', 'route', 'show', 'default']);
    const dev = (JSON.parse(r.stdout || '[]') as Array<{ dev?: string }>)[0]?.dev;
    if (!dev) throw new PreconditionError(`pod mode: the agent's network namespace has no IPv4 default route (ip route show default); the pod network is the underlay, so the pod needs one`);
    const a = await runChecked(deps.runner, ['ip', '-j', '-4', 'addr', 'show', 'dev', dev]);
    const local = (JSON.parse(a.stdout) as Array<{ addr_info: Array<{ local: string }> }>)[0]?.addr_info[0]?.local;
    if (!local) throw new PreconditionError(`pod mode: device ${dev} of the default route has no IPv4 address (ip addr show dev ${dev}); the pod network is the underlay, so the pod needs one`);
    return { address: local, device: dev };
  }

  function pluginContext(scenario: string, node: string, tag: string, ns: string | undefined, slot?: number, underlayCidr?: string): PluginContext {
    return {
      scenario,
      node,
      tag,
      nodeNetns: ns,
      nodeNetnsPath: ns ? netnsPath(ns) : '',
      runner: deps.runner,
      record: (objects) => deps.records.intend(scenario, node, objects),
      underlay: async () => {
        const key = `${scenario}/${node}`;
        let u = underlays.get(key);
        if (!u) {
          const meta = await files.readMeta(scenario, node);
          if (meta) u = meta.underlay;
          else if (deps.mode === 'local' && slot !== undefined) {
            u = { address: underlayAddress(underlayCidr ?? DEFAULT_UNDERLAY_CIDR, slot).address, device: underlayNodeEnd(tag) };
          } else u = await podUnderlay();
          underlays.set(key, u);
        }
        return u;
      },
      peers: async (vni, explicit) => {
        if (explicit) return explicit;
        if (deps.peerSource) return deps.peerSource({ scenario, node, vni });
        if (deps.mode === 'pod') return [];
        return (await files.allMeta(scenario)).filter((m) => m.node !== node).map((m) => m.underlay.address);
      },
    };
  }

  function vmRefs(tag: string, node: string, from: number, count: number): VmRef[] {
    return Array.from({ length: count }, (_, k) => {
      const name = vmNetns(tag, node, from + k);
      return { vmIndex: from + k, name, netnsPath: netnsPath(name) };
    });
  }

  async function plugin(name: string | undefined): Promise<EndpointPlugin> {
    return deps.plugins.get(name ?? DEFAULT_PLUGIN);
  }

  /** Host-side veths still present in the node namespace for VMs in [from, from+count). */
  async function hostVethsOf(tag: string, ns: string | undefined, from: number, count: number): Promise<number> {
    const prefix = hostVethPrefix(tag);
    let n = 0;
    for (const l of await listLinks(deps.runner, ns)) {
      if (!l.ifname.startsWith(prefix)) continue;
      const vm = parseInt(l.ifname.slice(prefix.length).split('e')[0], 36);
      if (vm >= from && vm < from + count) n++;
    }
    return n;
  }

  // ---------------------------------------------------------------- node

  /**
   * Makes the node ready for VMs: checks its endpoint plugin answers VERSION, claims the
   * scenario's tag, makes the node namespace and its underlay (local mode, kernel plugins) and
   * writes the node's state file. Idempotent.
   * @throws InvalidInputError (final) when the payload breaks a rule.
   * @throws PluginNotFoundError (final) when the plugin is neither built in nor installed.
   * @throws EndpointPluginError (final) when the plugin's VERSION fails.
   * @throws PreconditionError (final) in pod mode when the pod has no IPv4 default route.
   * @throws CommandFailedError (retried) when a kernel command fails.
   */
  async function ensureNode(input: NodeRequest): Promise<{ created: boolean; underlay: string; tag: string }> {
    const req = parsePayload(NodeRequestSchema, input, 'node');
    const p = await plugin(req.plugin);
    // A broken or missing plugin fails here, clearly, before any VM is made for it.
    await p.version();
    const tag = await tagOf(req.scenario);
    if (!p.kernel) {
      await files.writeMeta(req.scenario, { node: req.node, nodeSlot: req.nodeSlot, mode: deps.mode, underlay: { address: '', device: '' }, plugin: p.name });
      return { created: false, underlay: '', tag };
    }
    if (deps.mode === 'pod') {
      const u = await podUnderlay();
      await files.writeMeta(req.scenario, { node: req.node, nodeSlot: req.nodeSlot, mode: 'pod', underlay: u, plugin: p.name });
      return { created: false, underlay: u.address, tag };
    }
    const r = await ensureNodeNs(deps, {
      scenario: req.scenario,
      tag,
      node: req.node,
      nodeSlot: req.nodeSlot,
      underlayCidr: req.underlayCidr ?? DEFAULT_UNDERLAY_CIDR,
    });
    await files.writeMeta(req.scenario, {
      node: req.node,
      nodeSlot: req.nodeSlot,
      mode: 'local',
      underlay: { address: r.underlay, device: underlayNodeEnd(tag) },
      plugin: p.name,
    });
    return { created: r.created, underlay: r.underlay, tag };
  }

  /**
   * Removes everything the node recorded (VM namespaces, the node namespace, pod-mode bridges)
   * and its state files; the scenario's last node also takes the shared fabric and the tag.
   * Idempotent: a node already gone is no error.
   * @throws InvalidInputError (final) when the payload breaks a rule.
   * @throws CommandFailedError, StateDirError (retried).
   */
  async function deleteNode(input: NodeRef): Promise<{ netns: number; links: number }> {
    const ref = parsePayload(NodeRefSchema, input, 'node');
    // Everything this node recorded, whatever the plugin: VM namespaces, the node namespace,
    // pod-mode bridges; then the node's state files.
    const r = await cleanWriter(deps, ref.scenario, ref.node);
    await files.removeNode(ref.scenario, ref.node);
    underlays.delete(`${ref.scenario}/${ref.node}`);
    // The last node of a scenario takes the shared local cloud (fabric) and the tag with it, so a
    // torn-down scenario leaves nothing behind without a separate `merak clean`.
    const live = await deps.records.live(ref.scenario);
    const others = [...live].filter(([writer, objects]) => writer !== LOCAL_WRITER && objects.length > 0);
    // Nodes of the `none` dataplane own no kernel object, only state files: they count as well,
    // or the first of them to go would take the others' state with the scenario's directory.
    const otherNodes = (await files.nodes(ref.scenario)).filter((n) => n !== ref.node);
    if (others.length === 0 && otherNodes.length === 0) {
      const rest = await cleanScenario(deps, ref.scenario);
      tags.delete(ref.scenario);
      return { netns: r.netns + rest.netns, links: r.links + rest.links };
    }
    return r;
  }

  /**
   * What exists of the node now: whether it is present, its VM and endpoint counts.
   * @throws InvalidInputError (final) when the payload breaks a rule.
   * @throws PluginNotFoundError (final) when the plugin is neither built in nor installed.
   * @throws CommandFailedError (retried) when listing the kernel's objects fails.
   */
  async function nodeInfo(input: NodeRef): Promise<NodeInfo> {
    const ref = parsePayload(NodeRefSchema, input, 'node');
    const meta = await files.readMeta(ref.scenario, ref.node);
    const pluginName = ref.plugin ?? meta?.plugin ?? DEFAULT_PLUGIN;
    const p = await plugin(pluginName);
    if (!p.kernel) {
      const v = await files.readVirtual(ref.scenario, ref.node);
      return { scenario: ref.scenario, node: ref.node, present: meta !== undefined, vms: virtualVmCount(v), endpoints: virtualEndpointCount(v), plugin: p.name };
    }
    const tag = await tagOf(ref.scenario);
    const all = await listMountedNetns();
    const ns = deps.mode === 'local' ? nodeNetns(tag, ref.node) : undefined;
    const present = ns === undefined || all.has(ns);
    let vms = 0;
    for (const name of all) if (parseVmNetns(tag, ref.node, name) !== undefined) vms++;
    let endpoints = 0;
    if (present) {
      // An endpoint is a veth on the node whose peer lives in another namespace (the VM);
      // the underlay veth is the one such link that is not an endpoint.
      const links = (await listLinks(deps.runner, ns)) as Array<{ ifname: string; link_netnsid?: number; link_type?: string }>;
      const ul = underlayNodeEnd(tag);
      endpoints = links.filter((l) => l.link_netnsid !== undefined && l.ifname !== ul && (deps.mode === 'local' || l.ifname.startsWith(hostVethPrefix(tag)))).length;
    }
    return { scenario: ref.scenario, node: ref.node, present, vms, endpoints, plugin: p.name };
  }

  /**
   * Brings the overlay's peer lists up to date on this node (call on every node hosting a VPC
   * when a node joins or leaves it). A no-op for plugins without an overlay.
   * @throws InvalidInputError, PluginNotFoundError, NodeNotReadyError (final).
   * @throws CommandFailedError (retried) when a kernel command fails.
   */
  async function syncPeers(input: PeerSync): Promise<{ changed: number }> {
    const q = parsePayload(PeerSyncSchema, input, 'peers');
    const p = await plugin(q.plugin);
    if (!p.kernel || !p.syncPeers) return { changed: 0 };
    const tag = await tagOf(q.scenario);
    const ns = await nodeNs(q.scenario, q.node, tag);
    return { changed: await p.syncPeers(pluginContext(q.scenario, q.node, tag, ns, q.nodeSlot, q.underlayCidr), q.vnis) };
  }

  // ---------------------------------------------------------------- VMs

  /**
   * Makes VMs [from, from+count) of the node: a namespace each with loopback up, then the
   * plugin's VM_ADD. Heartbeats per chunk ({ done }) and resumes from the last heartbeat.
   * @throws InvalidInputError, PluginNotFoundError (final).
   * @throws NodeNotReadyError (final) in local mode when ensureNode has not made the node.
   * @throws EndpointPluginError (final) when VM_ADD fails; the batch's VMs are removed first.
   * @throws CommandFailedError, NsConfigError (retried) when a kernel command fails.
   */
  async function createVms(input: VmBatch, resume: Resume = true): Promise<BatchSummary> {
    const b = parsePayload(VmBatchSchema, input, 'vms');
    const t0 = clock();
    const p = await plugin(b.plugin);
    if (!p.kernel) {
      const before = virtualVmCount(await files.readVirtual(b.scenario, b.node));
      const after = virtualVmCount(await files.updateVirtual(b.scenario, b.node, (v) => ({ ...v, vms: addRange(v.vms, b.from, b.count) })));
      return { requested: b.count, changed: after - before, unchanged: b.count - (after - before), ms: clock() - t0 };
    }
    const tag = await tagOf(b.scenario);
    const ns = await nodeNs(b.scenario, b.node, tag);
    const ctx = pluginContext(b.scenario, b.node, tag, ns);
    let changed = 0;
    const phase = phaseOf(resume);
    let done = resume ? Math.min(resumePoint(phase), b.count) : 0;
    // Two-stage pipeline: while the helper brings up loopback in chunk k (and the plugin sees it),
    // `ip` already makes the namespaces of chunk k+1; the machine's second core is not idle.
    let pending: Promise<void> | undefined;
    let pendingDone = done;
    const finish = async (): Promise<void> => {
      if (!pending) return;
      const p0 = pending;
      pending = undefined;
      await p0;
      if (resume) beat(pendingDone, phase);
    };
    try {
      while (done < b.count) {
        const n = Math.min(chunkSize, b.count - done);
        const vms = vmRefs(tag, b.node, b.from + done, n);
        const mounted = await listMountedNetns();
        const missing = vms.filter((v) => !mounted.has(v.name));
        await deps.records.intend(b.scenario, b.node, missing.map((v) => ({ kind: 'netns', name: v.name })));
        await runBatch(deps.runner, netnsAddLines(missing.map((v) => v.name), await listNetns(), mounted));
        await finish();
        const stage = (async () => {
          await applyNsConfig(deps.runner, vms.map((v): NsRequest => ({ ns: v.netnsPath, ops: [{ op: 'up', ifname: 'lo' }] })));
          await p.vmAdd(ctx, vms);
        })();
        stage.catch(() => undefined); // awaited in finish(); this only keeps it from counting as unhandled meanwhile
        pending = stage;
        changed += missing.length;
        done += n;
        pendingDone = done;
      }
      await finish();
    } catch (e) {
      await pending?.catch(() => undefined);
      if (e instanceof EndpointPluginError) await deleteVms({ ...b }, false).catch(() => undefined);
      throw e;
    }
    return { requested: b.count, changed, unchanged: b.count - changed, ms: clock() - t0 };
  }

  /**
   * Tells the plugin VMs [from, from+count) changed (VM_UPDATE).
   * @throws InvalidInputError, PluginNotFoundError, NodeNotReadyError, EndpointPluginError (final).
   */
  async function updateVms(input: VmBatch): Promise<BatchSummary> {
    const b = parsePayload(VmBatchSchema, input, 'vms');
    const t0 = clock();
    const p = await plugin(b.plugin);
    if (!p.kernel) return { requested: b.count, changed: 0, unchanged: b.count, ms: clock() - t0 };
    const tag = await tagOf(b.scenario);
    const ns = await nodeNs(b.scenario, b.node, tag);
    await p.vmUpdate(pluginContext(b.scenario, b.node, tag, ns), vmRefs(tag, b.node, b.from, b.count));
    return { requested: b.count, changed: b.count, unchanged: 0, ms: clock() - t0 };
  }

  /**
   * Removes VMs [from, from+count) of the node (VM_DEL, then their namespaces) and waits until
   * the kernel has torn their veths down. Heartbeats per chunk and resumes. A VM already gone is
   * no error.
   * @throws InvalidInputError, PluginNotFoundError, EndpointPluginError (final).
   * @throws CommandFailedError (retried) when a kernel command fails.
   */
  async function deleteVms(input: VmBatch, resume = true): Promise<BatchSummary> {
    const b = parsePayload(VmBatchSchema, input, 'vms');
    const t0 = clock();
    const p = await plugin(b.plugin);
    if (!p.kernel) {
      const before = virtualVmCount(await files.readVirtual(b.scenario, b.node));
      const after = virtualVmCount(
        await files.updateVirtual(b.scenario, b.node, (v) => ({
          vms: removeRange(v.vms, b.from, b.count),
          endpoints: Object.fromEntries(Object.entries(v.endpoints).map(([e, r]) => [e, removeRange(r, b.from, b.count)])),
        })),
      );
      return { requested: b.count, changed: before - after, unchanged: b.count - (before - after), ms: clock() - t0 };
    }
    const tag = await tagOf(b.scenario);
    const all = await listMountedNetns();
    const nodeName = nodeNetns(tag, b.node);
    const ns = deps.mode === 'local' ? (all.has(nodeName) ? nodeName : undefined) : undefined;
    const ctx = pluginContext(b.scenario, b.node, tag, ns);
    let changed = 0;
    let done = resume ? Math.min(resumePoint(), b.count) : 0;
    while (done < b.count) {
      const n = Math.min(chunkSize, b.count - done);
      const vms = vmRefs(tag, b.node, b.from + done, n);
      const present = await listNetns();
      const existing = vms.filter((v) => present.has(v.name));
      if (existing.length) await p.vmDel(ctx, existing);
      await runBatch(deps.runner, existing.map((v) => `netns del ${v.name}`));
      await deps.records.forget(b.scenario, b.node, vms.map((v) => ({ kind: 'netns', name: v.name })));
      changed += existing.length;
      done += n;
      if (resume) beat(done);
    }
    // Namespace teardown is asynchronous in the kernel; the batch is done when the node ends of
    // its veths are gone (a dead namespace takes its veth pairs with it).
    if (changed > 0 && (deps.mode === 'pod' || ns)) {
      const deadline = clock() + (deps.cleanupWaitMs ?? 30_000);
      while ((await hostVethsOf(tag, ns, b.from, b.count)) > 0 && clock() < deadline) await sleep(10);
    }
    return { requested: b.count, changed, unchanged: b.count - changed, ms: clock() - t0 };
  }

  // ---------------------------------------------------------------- endpoints

  function parseEndpoints(input: EndpointBatch): EndpointBatch {
    const b = parsePayload(EndpointBatchSchema, input, 'endpoints');
    validateSegments(b);
    return b;
  }

  /** VM-side configuration of agent-made veths: up, address, default route via endpoint 0. */
  function vmSideConfig(eps: readonly Endpoint[]): NsRequest[] {
    const byVm = new Map<string, NsRequest>();
    for (const ep of eps) {
      let q = byVm.get(ep.vm.netnsPath);
      if (!q) {
        q = { ns: ep.vm.netnsPath, ops: [] };
        byVm.set(ep.vm.netnsPath, q);
      }
      // The veth was made down: it comes up without an IPv6 link-local address (see the helper).
      q.ops.push({ op: 'no-ipv6-addrgen', ifname: ep.ifname }, { op: 'up', ifname: ep.ifname }, { op: 'addr', ifname: ep.ifname, cidr: ep.ip });
      if (ep.endpoint === 0) q.ops.push({ op: 'route', ifname: ep.ifname, gateway: ep.gateway });
    }
    return [...byVm.values()];
  }

  /**
   * Plugins without kernel devices (`none`) keep endpoints as ranges in the node's state file:
   * adding or removing a batch is a range update, counted like the kernel path.
   */
  async function virtualEndpoints(b: EndpointBatch, op: 'add' | 'remove', t0: number): Promise<BatchSummary> {
    let changed = 0;
    let requested = 0;
    await files.updateVirtual(b.scenario, b.node, (v) => {
      const endpoints = { ...v.endpoints };
      for (const s of b.segments) {
        const from = Math.max(s.vmFrom, b.from);
        const to = Math.min(s.vmFrom + s.vmCount, b.from + b.count);
        if (to <= from) continue;
        requested += to - from;
        const before = endpoints[s.endpoint] ?? [];
        endpoints[s.endpoint] = op === 'add' ? addRange(before, from, to - from) : removeRange(before, from, to - from);
        changed += Math.abs(virtualVmCount({ vms: endpoints[s.endpoint], endpoints: {} }) - virtualVmCount({ vms: before, endpoints: {} }));
      }
      return { ...v, endpoints };
    });
    return { requested, changed, unchanged: requested - changed, ms: clock() - t0 };
  }

  /**
   * Makes the endpoints of VMs [from, from+count) that the batch's segments cover: a veth per
   * endpoint (unless the plugin makes the interface), its VM side configured, the node side
   * wired by the plugin's EP_ADD. Heartbeats per chunk and resumes.
   * @throws InvalidInputError (final) when the payload or its segments break a rule.
   * @throws PluginNotFoundError, NodeNotReadyError (final).
   * @throws PreconditionError (final) when a VM of the batch does not exist.
   * @throws EndpointPluginError (final) when EP_ADD fails; the batch's endpoints are removed first.
   * @throws CommandFailedError, NsConfigError (retried) when a kernel command fails.
   */
  async function createEndpoints(input: EndpointBatch, resume: Resume = true): Promise<BatchSummary> {
    const b = parseEndpoints(input);
    const t0 = clock();
    const p = await plugin(b.plugin);
    const tag = await tagOf(b.scenario);
    if (!p.kernel) return virtualEndpoints(b, 'add', t0);
    const ns = await nodeNs(b.scenario, b.node, tag);
    const ctx = pluginContext(b.scenario, b.node, tag, ns, b.nodeSlot, b.underlayCidr);
    let requested = 0;
    let changed = 0;
    const phase = phaseOf(resume);
    let done = resume ? Math.min(resumePoint(phase), b.count) : 0;
    // The node's links are listed once per call, then kept up to date with what this call makes:
    // listing per chunk would cost O(links) per chunk, growing with the node.
    const have = p.createsInterface ? new Set<string>() : new Set((await listLinks(deps.runner, ns)).map((l) => l.ifname));
    ctx.knownLinks = p.createsInterface ? undefined : have;
    // Two-stage pipeline as in createVms: chunk k's VM-side configuration and plugin wiring run
    // while the veths of chunk k+1 are made.
    let pending: Promise<void> | undefined;
    let pendingDone = done;
    const finish = async (): Promise<void> => {
      if (!pending) return;
      const p0 = pending;
      pending = undefined;
      await p0;
      if (resume) beat(pendingDone, phase);
    };
    try {
      while (done < b.count) {
        const n = Math.min(chunkSize, b.count - done);
        const eps = [...expandBatch(b, tag, b.from + done, n)];
        requested += eps.length;
        let stage: Promise<void>;
        if (!p.createsInterface && eps.length) {
          const vmNs = await listMountedNetns();
          const missingVm = eps.find((ep) => !vmNs.has(ep.vm.name));
          if (missingVm) throw new PreconditionError(`VM ${missingVm.vmIndex} (${missingVm.vm.name}) of node ${b.node} does not exist; create the VMs (createVms) before their endpoints`);
          const todo = eps.filter((ep) => !have.has(ep.hostIfname));
          const peerNs = ns ? ` netns ${ns}` : '';
          // Both ends are created directly in their target namespaces: nothing is moved, nothing
          // ever appears in the namespace the agent runs in (local mode).
          await runBatch(
            deps.runner,
            todo.map((ep) => `link add ${ep.ifname} netns ${ep.vm.name} address ${ep.mac} type veth peer name ${ep.hostIfname}${peerNs}`),
          );
          for (const ep of todo) have.add(ep.hostIfname);
          changed += todo.length;
          await finish();
          stage = (async () => {
            if (!p.bringsHostEndUp) await runBatch(deps.runner, eps.map((ep) => `link set ${ep.hostIfname} up`), { netns: ns });
            // The VM side (inside the VM namespaces) and the node side (plugin, in the node
            // namespace) are independent: do them at once.
            await Promise.all([applyNsConfig(deps.runner, vmSideConfig(eps)), p.epAdd(ctx, eps)]);
          })();
        } else {
          await finish();
          stage = p.epAdd(ctx, eps);
        }
        stage.catch(() => undefined); // awaited in finish(); this only keeps it from counting as unhandled meanwhile
        pending = stage;
        if (p.createsInterface) changed += eps.length;
        done += n;
        pendingDone = done;
      }
      await finish();
    } catch (e) {
      await pending?.catch(() => undefined);
      if (e instanceof EndpointPluginError) await deleteEndpoints({ ...b }, false).catch(() => undefined);
      throw e;
    }
    return { requested, changed, unchanged: requested - changed, ms: clock() - t0 };
  }

  /**
   * Re-applies the endpoints' addresses, MACs and routes, then the plugin's EP_UPDATE.
   * @throws InvalidInputError, PluginNotFoundError, NodeNotReadyError, EndpointPluginError (final).
   * @throws CommandFailedError (retried) when a kernel command fails.
   */
  async function updateEndpoint(input: EndpointBatch): Promise<BatchSummary> {
    const b = parseEndpoints(input);
    const t0 = clock();
    const p = await plugin(b.plugin);
    if (!p.kernel) return { requested: b.count, changed: 0, unchanged: b.count, ms: clock() - t0 };
    const tag = await tagOf(b.scenario);
    const ns = await nodeNs(b.scenario, b.node, tag);
    const ctx = pluginContext(b.scenario, b.node, tag, ns, b.nodeSlot, b.underlayCidr);
    const eps = [...expandBatch(b, tag)];
    if (!p.createsInterface) {
      for (const ep of eps) {
        // Updates are rare and per endpoint: one batch inside the VM is clear and cheap enough.
        const lines = [`link set ${ep.ifname} address ${ep.mac} up`, `addr flush dev ${ep.ifname}`, `addr add ${ep.ip} dev ${ep.ifname}`];
        if (ep.endpoint === 0) lines.push(`route replace default via ${ep.gateway} dev ${ep.ifname}`);
        await runBatch(deps.runner, lines, { netns: ep.vm.name });
      }
    }
    await p.epUpdate(ctx, eps);
    return { requested: eps.length, changed: eps.length, unchanged: 0, ms: clock() - t0 };
  }

  /**
   * Removes the endpoints of VMs [from, from+count): the plugin's EP_DEL, then the node-side
   * veths in one kernel call per chunk. Heartbeats per chunk and resumes. Endpoints already
   * gone (or a node already gone) are no error.
   * @throws InvalidInputError, PluginNotFoundError, EndpointPluginError (final).
   * @throws CommandFailedError (retried) when a kernel command fails.
   */
  async function deleteEndpoints(input: EndpointBatch, resume = true): Promise<BatchSummary> {
    const b = parseEndpoints(input);
    const t0 = clock();
    const p = await plugin(b.plugin);
    const tag = await tagOf(b.scenario);
    if (!p.kernel) return virtualEndpoints(b, 'remove', t0);
    const all = await listMountedNetns();
    const nodeName = nodeNetns(tag, b.node);
    const ns = deps.mode === 'local' ? (all.has(nodeName) ? nodeName : undefined) : undefined;
    if (deps.mode === 'local' && !ns) return { requested: 0, changed: 0, unchanged: 0, ms: clock() - t0 }; // node gone: endpoints with it
    const ctx = pluginContext(b.scenario, b.node, tag, ns, b.nodeSlot, b.underlayCidr);
    let requested = 0;
    let changed = 0;
    let done = resume ? Math.min(resumePoint(), b.count) : 0;
    while (done < b.count) {
      const n = Math.min(chunkSize, b.count - done);
      const present = await listMountedNetns();
      const eps = [...expandBatch(b, tag, b.from + done, n)].filter((ep) => present.has(ep.vm.name));
      requested += eps.length;
      await p.epDel(ctx, eps);
      if (!p.createsInterface) {
        const have = new Set((await listLinks(deps.runner, ns)).map((l) => l.ifname));
        const doomed = eps.filter((ep) => have.has(ep.hostIfname));
        // One RTM_DELLINK per veth waits for an RCU grace period each (~10 ms); marking them with a
        // device group and deleting the group tears them all down in one kernel call.
        const lines = doomed.map((ep) => `link set ${ep.hostIfname} group ${DELETE_GROUP}`);
        if (lines.length) lines.push(`link del group ${DELETE_GROUP}`);
        await runBatch(deps.runner, lines, { netns: ns });
        changed += doomed.length;
      } else changed += eps.length;
      done += n;
      if (resume) beat(done);
    }
    return { requested, changed, unchanged: requested - changed, ms: clock() - t0 };
  }

  /**
   * One batch in one call: the node (first batch only), then the VMs, then their endpoints. Saves
   * the workflow a round trip through the server per step. A retry resumes in the step its last
   * heartbeat named: once the endpoints have started, the VMs are known to exist.
   * @throws what ensureNode, createVms and createEndpoints throw, mapped the same way.
   */
  async function createBatch(input: CreateBatch): Promise<CreateBatchSummary> {
    const b = parsePayload(CreateBatchSchema, input, 'batch');
    validateSegments(b);
    const node = b.ensureNode
      ? await ensureNode({ scenario: b.scenario, node: b.node, plugin: b.plugin, nodeSlot: b.nodeSlot, underlayCidr: b.underlayCidr })
      : undefined;
    const vmBatch: VmBatch = { scenario: b.scenario, node: b.node, plugin: b.plugin, from: b.from, count: b.count };
    const vms = resumePhase() === 'endpoints' ? { requested: b.count, changed: 0, unchanged: b.count, ms: 0 } : await createVms(vmBatch, { phase: 'vms' });
    const { ensureNode: _ensure, ...endpointBatch } = b;
    const endpoints = await createEndpoints(endpointBatch, { phase: 'endpoints' });
    return { ...(node ? { node } : {}), vms, endpoints };
  }

  /**
   * Kernel batches of all the nodes this process serves take turns: they all need the kernel's
   * rtnl lock, and ten nodes' batches at once on two cores made each VM cost several times what
   * it costs alone. `none` batches touch no kernel object and never wait.
   */
  const slots = createLimiter(deps.kernelConcurrency ?? Math.max(1, cpus().length));
  const kernelTurn =
    <T extends { plugin?: string }, R>(fn: (input: T) => Promise<R>) =>
    async (input: T): Promise<R> => {
      // An unknown or bad plugin name: the activity itself reports it, with the field.
      const kernel = await plugin(input?.plugin).then((p) => p.kernel, () => false);
      if (!kernel) return fn(input);
      return slots.run(() => fn(input), keepAlive);
    };

  // Activities take exactly one argument (the payload); the internal `resume` flag stays internal.
  // What they throw is mapped once, here, to retryable or final failures (../failure.ts).
  return withFailurePolicy({
    ensureNode,
    deleteNode,
    nodeInfo,
    syncPeers,
    createBatch: kernelTurn(createBatch),
    createVms: kernelTurn((b: VmBatch) => createVms(b)),
    updateVms,
    deleteVms: kernelTurn((b: VmBatch) => deleteVms(b)),
    createEndpoints: kernelTurn((b: EndpointBatch) => createEndpoints(b)),
    updateEndpoint,
    deleteEndpoints: kernelTurn((b: EndpointBatch) => deleteEndpoints(b)),
  });
}

export type AgentActivities = ReturnType<typeof createAgentActivities>;
