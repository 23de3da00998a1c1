/**
 * What the agent activities ask of a backend. activities.ts validates payloads, resolves the
 * endpoint plugin, pays for kernel turns and maps failures; a backend does the work for one kind
 * of plugin: none-backend.ts for `none` (state files only), kernel-backend.ts for every plugin
 * with kernel devices (reference, cni, executables) in local or pod mode.
 */
import type { CommandRunner } from '../../dataplane/command';
import type { OwnerRecordStore } from '../../dataplane/owner-records';
import type { PluginRegistry } from '../../endpoint-plugins/registry';
import type { EndpointPlugin } from '../../endpoint-plugins/types';
import type { NodeCollectors } from './collectors';
import type { NodeMeta } from './node-state';
import type { EndpointBatch, NodeInfo, NodeRef, NodeRequest, PeerSync, VmBatch } from './types';

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
  /** Milliseconds clock for the summaries and latencies; only differences are used. Default: performance.now (measure.ts, latencyClock). */
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
  /** The nodes' eBPF collectors (collectors.ts), started with each kernel node. Default: none. */
  collectors?: NodeCollectors;
}

/**
 * Whether a batch resumes from an earlier attempt's heartbeat: false for a compensation run
 * inside another activity; a phase names the step of a multi-step activity (createBatch).
 */
export type Resume = boolean | { phase: string };
export const phaseOf = (resume: Resume): string | undefined => (typeof resume === 'object' ? resume.phase : undefined);

/** What a batch did: items asked for, items this call created or removed. */
export interface Counts {
  requested: number;
  changed: number;
}

/** One backend; payloads arrive validated, `p` is the batch's plugin, `tag` the scenario's. */
export interface AgentBackend {
  ensureNode(req: NodeRequest, p: EndpointPlugin, tag: string): Promise<{ created: boolean; underlay: string }>;
  nodeInfo(ref: NodeRef, p: EndpointPlugin, meta: NodeMeta | undefined): Promise<NodeInfo>;
  syncPeers(q: PeerSync, p: EndpointPlugin): Promise<number>;
  /** `onChunk(done)`: told, in order, how many VMs of the batch are finished each time a chunk ends (metrics). */
  createVms(b: VmBatch, p: EndpointPlugin, resume: Resume, onChunk?: (done: number) => void): Promise<Counts>;
  updateVms(b: VmBatch, p: EndpointPlugin): Promise<Counts>;
  deleteVms(b: VmBatch, p: EndpointPlugin, resume: Resume): Promise<Counts>;
  /** `onChunk(done)`: told, in order, how many VMs of the batch have their endpoints each time a chunk ends. */
  createEndpoints(b: EndpointBatch, p: EndpointPlugin, resume: Resume, onChunk?: (done: number) => void): Promise<Counts>;
  updateEndpoint(b: EndpointBatch, p: EndpointPlugin): Promise<Counts>;
  deleteEndpoints(b: EndpointBatch, p: EndpointPlugin, resume: Resume): Promise<Counts>;
  /** Drops what the backend cached about a node that deleteNode removed. */
  forgetNode(scenario: string, node: string): void;
}
