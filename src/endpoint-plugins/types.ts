/**
 * The endpoint-plugin interface. Executable plugins (exec-plugin.ts) and the built-ins
 * (reference, cni, none) implement the same interface; built-ins run in the agent's process
 * and take whole batches, which is what makes 2 ms per VM reachable (see docs/endpoint-plugin.md).
 */
import type { CommandRunner } from '../dataplane/command';
import type { OwnedObject } from '../dataplane/owner-record-format';
import type { OwnerRecordStore } from '../dataplane/owner-records';

/** Commands of the plugin protocol (MERAK_COMMAND). */
export const PLUGIN_COMMANDS = ['VM_ADD', 'VM_UPDATE', 'VM_DEL', 'EP_ADD', 'EP_UPDATE', 'EP_DEL', 'VERSION'] as const;
export type PluginCommand = (typeof PLUGIN_COMMANDS)[number];

/** Version of the environment-variable protocol (MERAK_PLUGIN_PROTOCOL). */
export const PLUGIN_PROTOCOL_VERSION = '1';

export interface VmRef {
  vmIndex: number;
  /** Namespace name, e.g. mk-ab12-node-0_7. */
  name: string;
  /** Namespace file, e.g. /run/netns/mk-ab12-node-0_7. */
  netnsPath: string;
}

/** A subnet as the agent passes it to plugins. */
export interface SubnetInfo {
  id: string;
  vpc: string;
  /** e.g. 10.0.1.0/24 */
  cidr: string;
  /** The address IPAM reserves for the subnet's gateway: network + 1. */
  gateway: string;
  vni: number;
}

/** One concrete endpoint, as expanded from a batch (src/activities/agent/expand.ts). */
export interface Endpoint {
  vmIndex: number;
  endpoint: number;
  /** Stable id: `<scenario>-<node>-<vmIndex>-<endpoint>`. */
  id: string;
  /** Interface name inside the VM. */
  ifname: string;
  /** Address with prefix, e.g. 10.0.0.5/24. */
  ip: string;
  mac: string;
  gateway: string;
  subnetId: string;
  subnetCidr: string;
  vpc: string;
  vni: number;
  /** Node-side end of the veth (in the node namespace). */
  hostIfname: string;
  vm: VmRef;
  /** Bridge chunk the reference plugin attaches the node end to (BRIDGE_CHUNK_PORTS endpoints per bridge). */
  chunk: number;
  /** Provider-specific extras, passed to exec plugins as MERAK_EXTRAS JSON. */
  extras: Record<string, string>;
  /** Underlay addresses of the other nodes hosting this VPC, when the caller passed them. */
  peers?: string[];
  /** MTU of the endpoint (both ends of its veth), bytes, when the agent derived it (model/limits.ts endpointMtu). */
  mtu?: number;
  /**
   * Every subnet of the batch's VPCs (the batch's `vpcSubnets`, one array shared by all its
   * endpoints), when the caller passed them: what a router of the endpoint's VPC must reach.
   */
  vpcSubnets?: readonly SubnetInfo[];
}

export interface PluginContext {
  scenario: string;
  node: string;
  tag: string;
  /** Node namespace name in local mode; undefined in pod mode (the agent's own namespace). */
  nodeNetns?: string;
  /** Node namespace file in local mode; '' in pod mode. */
  nodeNetnsPath: string;
  runner: CommandRunner;
  /** The agent's state directory (owner records, per-node files): where a plugin keeps per-node state. */
  stateDir?: string;
  /** Records objects the plugin creates outside any recorded namespace (pod mode). */
  record(objects: OwnedObject[]): Promise<void>;
  /** Underlay of this node: its address, the device carrying it and that device's MTU in bytes. */
  underlay(): Promise<{ address: string; device: string; mtu: number }>;
  /** Underlay addresses of the other nodes hosting VNI `vni`. */
  peers(vni: number, explicit?: string[]): Promise<string[]>;
  /**
   * Names of the node namespace's links, when the agent already knows them (kept up to date
   * within one activity call); a plugin adds what it creates. Undefined: list them.
   */
  knownLinks?: Set<string>;
  /**
   * The provider's node configuration given when the node was ensured (the network plugin's
   * GetState `node_config`, e.g. where the OVN central is); {} when none was given.
   */
  providerConfig(): Promise<Readonly<Record<string, string>>>;
}

/** What a plugin's node setup gets when the node is ensured (local mode). */
export interface NodeSetupInfo {
  /** The node's underlay address and prefix length. */
  underlay: string;
  prefix: number;
  underlayCidr: string;
  providerConfig: Readonly<Record<string, string>>;
  /** Where the setup records what it makes before making it. */
  records: OwnerRecordStore;
}

export interface EndpointPlugin {
  readonly name: string;
  /** False only for `none`: the agent then makes no namespace and no device at all. */
  readonly kernel: boolean;
  /** True when the plugin creates the VM-side interface itself (CNI); otherwise the agent makes the veth. */
  readonly createsInterface: boolean;
  /** True when the plugin brings the node end up itself (saves the agent a pass over the node's links). */
  readonly bringsHostEndUp?: boolean;
  /**
   * Bytes the plugin's encapsulation adds to each frame an endpoint sends (reference VXLAN: 50);
   * the endpoint MTU is the underlay device's minus this unless the scenario sets `mtu`. @default 0
   */
  readonly encapOverhead?: number;
  /**
   * Node-side daemons or devices the plugin needs before any VM (the `ovn` plugin: the node's
   * OVN chassis), run by ensureNode after the node namespace exists; idempotent.
   */
  readonly nodeSetup?: {
    /** Whether the underlay address goes on the node's veth (false: the setup puts it elsewhere). */
    readonly addressOnVeth: boolean;
    ensure(ctx: PluginContext, node: NodeSetupInfo): Promise<void>;
    /**
     * Stops watching what `ensure` started for the node (the `ovn` plugin's chassis supervisor),
     * before deleteNode removes it on purpose: a watcher would otherwise restart the daemons the
     * clean stops. Safe for a node never ensured.
     */
    release?(scenario: string, node: string): void;
  };
  version(): Promise<Record<string, unknown>>;
  vmAdd(ctx: PluginContext, vms: readonly VmRef[]): Promise<void>;
  vmUpdate(ctx: PluginContext, vms: readonly VmRef[]): Promise<void>;
  vmDel(ctx: PluginContext, vms: readonly VmRef[]): Promise<void>;
  epAdd(ctx: PluginContext, eps: readonly Endpoint[]): Promise<void>;
  epUpdate(ctx: PluginContext, eps: readonly Endpoint[]): Promise<void>;
  epDel(ctx: PluginContext, eps: readonly Endpoint[]): Promise<void>;
  /** Overlay plugins: bring the per-VNI peer lists up to date; returns how many entries changed. */
  syncPeers?(ctx: PluginContext, vnis: ReadonlyArray<{ vni: number; peers?: string[] }>): Promise<number>;
}

/**
 * An endpoint plugin reported failure (non-zero exit, a JSON error, or a timeout). Named apart
 * from the network plugin SDK's `PluginError` (src/plugin/errors.ts): a failure's Temporal type
 * is its class name, and the two must not be confused.
 */
export class EndpointPluginError extends Error {
  override readonly name = 'EndpointPluginError';
  constructor(
    readonly plugin: string,
    readonly command: string,
    readonly code: string,
    readonly detail: string,
    readonly details?: unknown,
  ) {
    super(`endpoint plugin ${plugin} ${command} failed [${code}]: ${detail}`);
  }
}
