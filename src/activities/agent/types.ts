/**
 * Payloads of the agent activities: counts and ranges, never per-VM lists. VM i of node N in
 * scenario S is (S, N, i). Validated on entry: bad input fails with InvalidInputError naming
 * the field, the value and the rule, before anything is built.
 */
import { z } from 'zod';
import { InvalidInputError } from '../../dataplane/errors';
import { VETH_NAME_MAX_VM_INDEX as MAX_VM_INDEX, MAX_VNI } from '../../dataplane/names';
import { NODE_RE, OBJECT_ID_RE, SCENARIO_RE } from '../../model/names';
import { MAX_ENDPOINTS_PER_VM } from '../../model/mac';
import { MAX_MTU, MIN_ENDPOINT_MTU, MIN_UNDERLAY_MTU } from '../../model/limits';
import { PLUGIN_NAME_RE } from '../../endpoint-plugins/exec-plugin';
import type { Metrics } from '../../model/metrics';

/** Largest batch one activity call takes; larger counts are split by the workflow. */
export const MAX_BATCH = 100_000;

const scenario = z.string().regex(SCENARIO_RE, `must match ${SCENARIO_RE}`);
const node = z.string().regex(NODE_RE, `must match ${NODE_RE}`);
const plugin = z.string().regex(PLUGIN_NAME_RE, `must match ${PLUGIN_NAME_RE} (a plugin name, never a path)`).optional();
const index = z.number().int().min(0).max(MAX_VM_INDEX);
const ipv4 = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'must be a dotted IPv4 address');
const underlayMtu = z.number().int().min(MIN_UNDERLAY_MTU).max(MAX_MTU);
const cidr = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'must be an IPv4 CIDR a.b.c.d/len');

export const NodeRequestSchema = z.object({
  scenario,
  node,
  nodeSlot: z.number().int().min(0).max(0xffff),
  /** Endpoint plugin of this node. Default: reference. */
  plugin,
  /** Underlay of the local cloud. Default: 100.64.0.0/16. */
  underlayCidr: cidr.optional(),
  /** The node's underlay address when the scenario gives one (else the slot's); in pod mode it must be the pod's. */
  underlayIp: ipv4.optional(),
  /** MTU of the node's underlay link in local mode, bytes (the spec's underlay.mtu). Default 1500; pod mode: the pod's device's. */
  underlayMtu: underlayMtu.optional(),
  /**
   * The provider's node configuration (the network plugin's GetState node_config), kept with the
   * node for its endpoint plugin. Default: none.
   */
  providerConfig: z.record(z.string().max(64), z.string().max(4096)).optional(),
});
export type NodeRequest = z.infer<typeof NodeRequestSchema>;

export const NodeRefSchema = z.object({ scenario, node, plugin });
export type NodeRef = z.infer<typeof NodeRefSchema>;

export const VmBatchSchema = z.object({
  scenario,
  node,
  from: index,
  count: z.number().int().min(0).max(MAX_BATCH),
  /** Endpoint plugin of this node. Default: reference. */
  plugin,
});
export type VmBatch = z.infer<typeof VmBatchSchema>;

export const SubnetSchema = z.object({
  id: z.string().min(1).max(128),
  /** Part of the VPC's router namespace name on the node (reference plugin). */
  vpc: z.string().regex(OBJECT_ID_RE, `must match ${OBJECT_ID_RE}`),
  cidr,
  gateway: ipv4,
  vni: z.number().int().min(1).max(MAX_VNI),
});
export type SubnetRef = z.infer<typeof SubnetSchema>;

export const SegmentSchema = z.object({
  vmFrom: index,
  vmCount: z.number().int().min(0).max(MAX_BATCH),
  endpoint: z.number().int().min(0).max(MAX_ENDPOINTS_PER_VM - 1),
  subnet: SubnetSchema,
  ipIndexFrom: z.number().int().min(0),
  /** Underlay addresses of the other nodes hosting this VPC; default: asked from the peer source. */
  peers: z.array(ipv4).max(65536).optional(),
  /** Provider extras, passed to exec plugins as MERAK_EXTRAS. */
  extras: z.record(z.string(), z.string()).optional(),
});
export type Segment = z.infer<typeof SegmentSchema>;

export const EndpointBatchSchema = z.object({
  scenario,
  node,
  nodeSlot: z.number().int().min(0).max(0xffff),
  from: index,
  count: z.number().int().min(0).max(MAX_BATCH),
  endpointsPerVm: z.number().int().min(1).max(MAX_ENDPOINTS_PER_VM),
  /** Interface name prefix inside the VM; endpoint e is `${ifnamePrefix}${e}`. Default: eth. */
  ifnamePrefix: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,12}$/, 'must be a letter then up to 12 of [A-Za-z0-9_-]').optional(),
  segments: z.array(SegmentSchema).max(4096),
  /** Endpoint plugin of this node. Default: reference. */
  plugin,
  /** Underlay of the local cloud (for the reference plugin). Default: 100.64.0.0/16. */
  underlayCidr: cidr.optional(),
  /** The node's underlay address when the scenario gives one (else the slot's). */
  underlayIp: ipv4.optional(),
  /** As NodeRequest's (used when this batch ensures the node). */
  underlayMtu: underlayMtu.optional(),
  /** MTU of the endpoints, bytes; default: the underlay device's MTU minus the plugin's encapsulation (model/limits.ts endpointMtu). */
  mtu: z.number().int().min(MIN_ENDPOINT_MTU).max(MAX_MTU).optional(),
  /**
   * Every subnet of the VPCs the segments belong to, also those with no endpoint on this node:
   * the reference plugin's VPC router on the node needs a port in each of them. Default: only the
   * segments' own subnets.
   */
  vpcSubnets: z.array(SubnetSchema).max(4096).optional(),
});
export type EndpointBatch = z.infer<typeof EndpointBatchSchema>;

/** createBatch: a batch's VMs and their endpoints in one call, optionally ensuring the node first. */
export const CreateBatchSchema = EndpointBatchSchema.extend({
  /** Run ensureNode first (the first batch of a node workflow run). */
  ensureNode: z.boolean().optional(),
  /** With ensureNode: the provider's node configuration (NodeRequest.providerConfig). */
  providerConfig: NodeRequestSchema.shape.providerConfig,
  /**
   * Probe the time to reachable of the endpoints whose ordinal on the node (vmIndex ×
   * endpointsPerVm + endpoint) is ≡ offset (mod every), each for at most timeoutMs (model/sla.ts).
   * Left out: none is probed.
   */
  reachability: z
    .strictObject({
      every: z.number().int().min(1),
      offset: z.number().int().min(0),
      timeoutMs: z.number().int().min(1).max(600_000),
    })
    .optional(),
});
export type CreateBatch = z.infer<typeof CreateBatchSchema>;

export const PeerSyncSchema = z.object({
  scenario,
  node,
  nodeSlot: z.number().int().min(0).max(0xffff),
  plugin,
  underlayCidr: cidr.optional(),
  underlayIp: ipv4.optional(),
  /** VNIs to bring up to date; `peers` omitted = ask the peer source. */
  vnis: z.array(z.object({ vni: z.number().int().min(1).max(MAX_VNI), peers: z.array(ipv4).max(65536).optional() })).max(65536),
});
export type PeerSync = z.infer<typeof PeerSyncSchema>;

/** Parses with a schema, turning the first problem into InvalidInputError(field, value, rule). */
export function parsePayload<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = [what, ...issue.path.map(String)].join('.');
  let value: unknown = input;
  for (const p of issue.path) value = value && typeof value === 'object' ? (value as Record<string | number, unknown>)[p as string | number] : undefined;
  throw new InvalidInputError(field, value, issue.message);
}

/** Summary of a batch activity: counts only. */
export interface BatchSummary {
  /** Items the batch asked for. */
  requested: number;
  /** Items this call created or removed. */
  changed: number;
  /** Items that were already in the requested state. */
  unchanged: number;
  /** Milliseconds this call spent. */
  ms: number;
}

export interface CreateBatchSummary {
  /** ensureNode's answer, when it ran. */
  node?: { created: boolean; underlay: string; tag: string };
  vms: BatchSummary;
  endpoints: BatchSummary;
  /** Milliseconds the whole call took (node, VMs, endpoints, reachability probes). */
  ms?: number;
  /**
   * Latencies measured by this call (vm.create, endpoint.create, endpointPlugin.*) and the time to
   * reachable of its probed endpoints, as encoded HDR histograms (src/model/metrics.ts).
   */
  metrics?: Metrics;
}

export interface NodeInfo {
  scenario: string;
  node: string;
  /** Whether the node's namespace exists (local mode) or the agent runs (pod mode). */
  present: boolean;
  vms: number;
  endpoints: number;
  plugin: string;
}
