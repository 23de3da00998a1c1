/**
 * The node agent's activities, built by a factory from their dependencies. Each is idempotent
 * (running it twice, or again after a crash half-way, ends in the same state), heartbeats its
 * progress per chunk and resumes from the last heartbeat on retry, and returns counts only.
 * Without a Temporal activity context they are plain async functions (benchmark, CLI).
 *
 * This file validates payloads, resolves the endpoint plugin, lets kernel batches take turns
 * and maps failures; the work is done by the batch plugin's backend: none-backend.ts for
 * `none` (state files only), kernel-backend.ts for plugins with kernel devices (local or pod
 * mode).
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
import { cleanScenario, cleanWriter } from '../../dataplane/clean';
import { InvalidInputError } from '../../dataplane/errors';
import { LOCAL_WRITER } from '../../dataplane/node-ns';
import { claimTag } from '../../dataplane/tags';
import { DEFAULT_PLUGIN } from '../../endpoint-plugins/registry';
import type { EndpointPlugin } from '../../endpoint-plugins/types';
import { withFailurePolicy } from '../failure';
import type { AgentBackend, AgentDeps, Counts, Resume } from './backend';
import { validateSegments } from './expand';
import { keepAlive, resumePhase, resumePoint } from './heartbeat';
import { createKernelBackend } from './kernel-backend';
import { createLimiter } from './limiter';
import { NodeStateFiles } from './node-state';
import { createNoneBackend } from './none-backend';
import { MetricsRecorder } from '../../model/metrics';
import { latencyClock, probeTargets, ReachabilityProber, socketEchoHelper, timedPlugin } from './measure';
import { expandBatch } from './expand';
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

export type { AgentDeps, NodeMode, PeerQuery } from './backend';
export { DELETE_GROUP, NodeNotReadyError } from './kernel-backend';

export function createAgentActivities(deps: AgentDeps) {
  const clock = deps.clock ?? latencyClock;
  const chunkSize = deps.chunkSize ?? 250;
  // Every batch loop advances by chunkSize: it must be a positive integer, or a loop never ends.
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new InvalidInputError('chunkSize', chunkSize, 'must be a positive integer');
  const stateDir = deps.records.stateDir;
  const files = new NodeStateFiles(stateDir);
  // The claim in flight, not only its answer: a pooled agent's first batch of a scenario starts
  // 16 nodes at once, and 16 claims queued on the machine-wide file lock took 2.6 s.
  const tags = new Map<string, Promise<string>>();

  function tagOf(scenario: string): Promise<string> {
    let t = tags.get(scenario);
    if (!t) {
      t = claimTag(stateDir, scenario);
      tags.set(scenario, t);
      // A failed claim is not kept: the next call tries again.
      t.catch(() => {
        if (tags.get(scenario) === t) tags.delete(scenario);
      });
    }
    return t;
  }

  const none = createNoneBackend({ files, mode: deps.mode });
  const kernel = createKernelBackend({ deps, files, tagOf, chunkSize, clock });
  const backendOf = (p: EndpointPlugin): AgentBackend => (p.kernel ? kernel : none);

  async function plugin(name: string | undefined): Promise<EndpointPlugin> {
    return deps.plugins.get(name ?? DEFAULT_PLUGIN);
  }

  /** How a createBatch call measures its steps (see measure.ts). */
  interface Measure {
    plugin(p: EndpointPlugin): EndpointPlugin;
    onChunk?(done: number): void;
  }

  const summary = (c: Counts, t0: number): BatchSummary => ({ requested: c.requested, changed: c.changed, unchanged: c.requested - c.changed, ms: clock() - t0 });

  function parseEndpoints(input: EndpointBatch): EndpointBatch {
    const b = parsePayload(EndpointBatchSchema, input, 'endpoints');
    validateSegments(b);
    return b;
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
    return { ...(await backendOf(p).ensureNode(req, p, tag)), tag };
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
    // What the plugin watches on the node (OVN's chassis daemons) must not come back while the clean stops it.
    (await deps.plugins.get(ref.plugin).catch(() => undefined))?.nodeSetup?.release?.(ref.scenario, ref.node);
    // Everything this node recorded, whatever the plugin: VM namespaces, the node namespace,
    // pod-mode bridges; then the node's state files.
    const r = await cleanWriter(deps, ref.scenario, ref.node);
    await files.removeNode(ref.scenario, ref.node);
    kernel.forgetNode(ref.scenario, ref.node);
    // The last node of a scenario takes the shared local cloud (fabric) and the tag with it, so a
    // torn-down scenario leaves nothing behind without a separate `merak clean`.
    // Nodes of the `none` dataplane own no kernel object, only state files: they count as well,
    // or the first of them to go would take the others' state with the scenario's directory.
    // Asked first, as it stops at the first other node: every node but the last skips the
    // records' listing, which reads the whole scenario directory (every node's state files too),
    // so asking it per node made a teardown quadratic in nodes (10,000 nodes: 208 s).
    if (await files.hasOtherNode(ref.scenario, ref.node)) return r;
    const live = await deps.records.live(ref.scenario);
    const others = [...live].filter(([writer, objects]) => writer !== LOCAL_WRITER && objects.length > 0);
    if (others.length === 0) {
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
    const p = await plugin(ref.plugin ?? meta?.plugin ?? DEFAULT_PLUGIN);
    return backendOf(p).nodeInfo(ref, p, meta);
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
    return { changed: await backendOf(p).syncPeers(q, p) };
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
  async function createVms(input: VmBatch, resume: Resume = true, measure?: Measure): Promise<BatchSummary> {
    const b = parsePayload(VmBatchSchema, input, 'vms');
    const t0 = clock();
    const p = await plugin(b.plugin);
    return summary(await backendOf(p).createVms(b, measure ? measure.plugin(p) : p, resume, measure?.onChunk), t0);
  }

  /**
   * Tells the plugin VMs [from, from+count) changed (VM_UPDATE).
   * @throws InvalidInputError, PluginNotFoundError, NodeNotReadyError, EndpointPluginError (final).
   */
  async function updateVms(input: VmBatch): Promise<BatchSummary> {
    const b = parsePayload(VmBatchSchema, input, 'vms');
    const t0 = clock();
    const p = await plugin(b.plugin);
    return summary(await backendOf(p).updateVms(b, p), t0);
  }

  /**
   * Removes VMs [from, from+count) of the node (VM_DEL, then their namespaces) and waits until
   * the kernel has torn their veths down. Heartbeats per chunk and resumes. A VM already gone is
   * no error.
   * @throws InvalidInputError, PluginNotFoundError, EndpointPluginError (final).
   * @throws CommandFailedError (retried) when a kernel command fails.
   */
  async function deleteVms(input: VmBatch): Promise<BatchSummary> {
    const b = parsePayload(VmBatchSchema, input, 'vms');
    const t0 = clock();
    const p = await plugin(b.plugin);
    return summary(await backendOf(p).deleteVms(b, p, true), t0);
  }

  // ---------------------------------------------------------------- endpoints

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
  async function createEndpoints(input: EndpointBatch, resume: Resume = true, measure?: Measure): Promise<BatchSummary> {
    const b = parseEndpoints(input);
    const t0 = clock();
    const p = await plugin(b.plugin);
    return summary(await backendOf(p).createEndpoints(b, measure ? measure.plugin(p) : p, resume, measure?.onChunk), t0);
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
    return summary(await backendOf(p).updateEndpoint(b, p), t0);
  }

  /**
   * Removes the endpoints of VMs [from, from+count): the plugin's EP_DEL, then the node-side
   * veths in one kernel call per chunk. Heartbeats per chunk and resumes. Endpoints already
   * gone (or a node already gone) are no error.
   * @throws InvalidInputError, PluginNotFoundError, EndpointPluginError (final).
   * @throws CommandFailedError (retried) when a kernel command fails.
   */
  async function deleteEndpoints(input: EndpointBatch): Promise<BatchSummary> {
    const b = parseEndpoints(input);
    const t0 = clock();
    const p = await plugin(b.plugin);
    return summary(await backendOf(p).deleteEndpoints(b, p, true), t0);
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
    // The batch's create request reached the agent now: VM and endpoint latencies and every
    // endpoint's time to reachable are counted from here.
    const requestedAt = clock();
    const rec = new MetricsRecorder();
    const node = b.ensureNode
      ? await ensureNode({ scenario: b.scenario, node: b.node, plugin: b.plugin, nodeSlot: b.nodeSlot, underlayCidr: b.underlayCidr, underlayIp: b.underlayIp, underlayMtu: b.underlayMtu, providerConfig: b.providerConfig })
      : undefined;
    const p = await plugin(b.plugin);
    const timed = (q: EndpointPlugin) => timedPlugin(q, rec, clock);
    // Items finished per chunk, each recorded with the time since `from` (chunks end in order).
    const chunkRecorder = (kind: string, from: number) => {
      let before = resumePoint(kind === 'vm.create' ? 'vms' : 'endpoints');
      return (done: number) => {
        rec.record(kind, clock() - from, true, Math.max(0, done - before));
        before = done;
      };
    };
    const vmBatch: VmBatch = { scenario: b.scenario, node: b.node, plugin: b.plugin, from: b.from, count: b.count };
    const vms =
      resumePhase() === 'endpoints'
        ? { requested: b.count, changed: 0, unchanged: b.count, ms: 0 }
        : await createVms(vmBatch, { phase: 'vms' }, { plugin: timed, onChunk: p.kernel ? chunkRecorder('vm.create', requestedAt) : undefined });
    if (!p.kernel) rec.record('vm.create', vms.ms, true, vms.requested);
    const { ensureNode: _ensure, providerConfig: _config, reachability, ...endpointBatch } = b;
    const endpointsFrom = clock();
    const epCreated = p.kernel ? chunkRecorder('endpoint.create', endpointsFrom) : undefined;
    let prober: ReachabilityProber | undefined;
    let onChunk = epCreated;
    if (reachability && p.kernel) {
      const pr = new ReachabilityProber({ runner: deps.runner, rec, clock, node: b.node, plan: reachability, endpointsPerVm: b.endpointsPerVm, requestedAt, helper: () => socketEchoHelper(deps.runner) });
      prober = pr;
      const tag = await tagOf(b.scenario);
      const targets = probeTargets(b.node, [...expandBatch(endpointBatch, tag)], (ep) => pr.probed(ep));
      let next = 0;
      onChunk = (done) => {
        epCreated?.(done);
        // Endpoints of the VMs this chunk finished: probe them now, while the next chunk is made.
        const upTo = b.from + done;
        let end = next;
        while (end < targets.length && targets[end]!.ep.vmIndex < upTo) end++;
        pr.start(targets.slice(next, end));
        next = end;
      };
    }
    let endpoints: BatchSummary;
    try {
      endpoints = await createEndpoints(endpointBatch, { phase: 'endpoints' }, { plugin: timed, onChunk });
      if (!p.kernel) rec.record('endpoint.create', endpoints.ms, true, endpoints.requested);
      await prober?.finish();
    } finally {
      await prober?.close(); // its socket helper goes whatever happened
    }
    return { ...(node ? { node } : {}), vms, endpoints, ms: clock() - requestedAt, metrics: rec.metrics() };
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
      const isKernel = await plugin(input?.plugin).then((p) => p.kernel, () => false);
      if (!isKernel) return fn(input);
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
    deleteVms: kernelTurn(deleteVms),
    createEndpoints: kernelTurn((b: EndpointBatch) => createEndpoints(b)),
    updateEndpoint,
    deleteEndpoints: kernelTurn(deleteEndpoints),
  });
}

export type AgentActivities = ReturnType<typeof createAgentActivities>;
