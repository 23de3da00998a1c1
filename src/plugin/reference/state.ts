import { PluginError } from '../errors';
import { cidrContains, cidrsOverlap, formatCidr, type Ipv4Cidr } from '../../model/ipv4';
import { checkCidr, checkIpv4, checkKey, checkMac, checkOptional, checkOwner, checkSubnetVni, checkVni, show } from './validate';

/**
 * The reference network plugin's state and rules: VPCs, subnets and nodes in memory. Pure and
 * synchronous (no I/O, no clock), so every rule is unit-tested without a server, and a gRPC
 * call's check-then-change cannot interleave with another call's.
 *
 * Rules, and the status each breach answers:
 * - fields: VNI 1..16777215, CIDRs with host bits zero, subnet inside its VPC, keys non-empty,
 *   node IP dotted IPv4, node MAC unicast → INVALID_ARGUMENT;
 * - same key with different fields; a VNI owned by another VPC (its own or one of its subnets');
 *   a subnet overlapping another of its VPC; a node IP or MAC held by another node → ALREADY_EXISTS;
 * - subnet of a missing VPC; VPC deleted while it has subnets; VPC VNI changed while it has
 *   subnets; VPC CIDR shrunk below one of its subnets → FAILED_PRECONDITION;
 * - Update of a missing object → NOT_FOUND. Delete of a missing object succeeds.
 *
 * Owners: every object holds the scenario that created it (`scenario`, "" for a client without
 * owners). A Create or Update of an object another scenario owns, or of a subnet in another
 * scenario's VPC, answers ALREADY_EXISTS naming that scenario, as do the unique-value rules above
 * when the holder belongs to another scenario. A Delete naming a scenario leaves another
 * scenario's object alone and succeeds; a Delete naming none deletes whatever it finds.
 */

/** A VPC as the plugin holds it. */
export interface VpcRecord {
  vni: number;
  id: string;
  ip: string;
  prefix: number;
  optional: Record<string, string>;
  /** The owning scenario; "" for none. */
  scenario: string;
}

/** A subnet as the plugin holds it; `vni` is the one in force (the VPC's when asked with 0). */
export interface SubnetRecord {
  vni: number;
  id: string;
  vpc: string;
  ip: string;
  prefix: number;
  optional: Record<string, string>;
  /** The owning scenario; "" for none. */
  scenario: string;
}

/** A node as the plugin holds it; `mac` in lower case. */
export interface NodeRecord {
  name: string;
  ip: string;
  mac: string;
  optional: Record<string, string>;
  /** The owning scenario; "" for none. */
  scenario: string;
}

/** Everything the plugin holds, sorted by key: what GetState answers and the state file stores. */
export interface ReferenceSnapshot {
  /** Format of the state file. */
  version: 1;
  /** Number of changes accepted so far. */
  revision: number;
  vpcs: VpcRecord[];
  subnets: SubnetRecord[];
  nodes: NodeRecord[];
}

/** The shape the handlers pass in: fields as decoded (possibly absent when read from a file). */
export type Input<R> = { [K in keyof R]?: unknown };

/** Lists the fields in which two records differ, for ALREADY_EXISTS messages. */
function differences<R extends object>(held: R, asked: R): string[] {
  const out: string[] = [];
  for (const key of Object.keys(held) as (keyof R & string)[]) {
    const a = held[key];
    const b = asked[key];
    const same = typeof a === 'object' && a !== null ? sameMap(a as Record<string, string>, b as Record<string, string>) : a === b;
    if (!same) out.push(`${key} held ${show(a)}, asked ${show(b)}`);
  }
  return out;
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}

/** Names an owner in a message. */
export function ownerText(scenario: string): string {
  return scenario === '' ? 'no scenario (a client without owners made it)' : `scenario ${show(scenario)}`;
}

/** " of scenario "x"" after an object in a message, or nothing for an object without owner. */
function ofOwner(scenario: string): string {
  return scenario === '' ? '' : ` of scenario ${show(scenario)}`;
}

/** A Create or Update by `asked` of an object held by another owner is refused, naming that owner. */
function checkSameOwner(kind: string, key: string, held: { scenario: string }, asked: { scenario: string }): void {
  if (held.scenario === asked.scenario) return;
  throw PluginError.alreadyExists(
    `${kind} ${show(key)} belongs to ${ownerText(held.scenario)}${asked.scenario ? `, not to scenario ${show(asked.scenario)}` : ''}; choose another ${kind === 'node' ? 'name' : 'id'} or remove that scenario first`,
  );
}

/** Whether a Delete asked by `scenario` may remove an object `held`: yes for its own, unowned, or when the caller names none. */
function mayDelete(held: { scenario: string }, scenario: string): boolean {
  return scenario === '' || held.scenario === '' || held.scenario === scenario;
}

function copyRecord<R extends { optional: Record<string, string> }>(r: R): R {
  return { ...r, optional: { ...r.optional } };
}

function byKey<R>(key: (r: R) => string): (a: R, b: R) => number {
  return (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

/** The plugin's state. Methods return copies; the caller cannot change the state behind its back. */
export class ReferencePluginState {
  private readonly vpcs = new Map<string, VpcRecord>();
  private readonly subnets = new Map<string, SubnetRecord>();
  private readonly nodes = new Map<string, NodeRecord>();
  // Indexes keep node creation O(1) when a scenario registers thousands of nodes.
  private readonly nodeByIp = new Map<string, string>();
  private readonly nodeByMac = new Map<string, string>();
  private revisionCount = 0;

  /** Number of changes accepted so far. */
  get revision(): number {
    return this.revisionCount;
  }

  // ---- VPCs -------------------------------------------------------------------------------

  /** Creates a VPC, or returns the identical one already held. */
  createVpc(input: Input<VpcRecord> | null | undefined): VpcRecord {
    const asked = this.checkVpc(input);
    const held = this.vpcs.get(asked.id);
    if (held !== undefined) {
      checkSameOwner('vpc', asked.id, held, asked);
      return copyRecord(this.sameOrConflict('vpc', asked.id, held, asked));
    }
    this.checkVniFree('vpc.vni', asked.vni, asked.id);
    this.vpcs.set(asked.id, asked);
    this.revisionCount += 1;
    return copyRecord(asked);
  }

  /** Replaces the VNI, CIDR and optional map of an existing VPC. */
  updateVpc(input: Input<VpcRecord> | null | undefined): VpcRecord {
    const asked = this.checkVpc(input);
    const held = this.vpcs.get(asked.id);
    if (held === undefined) throw PluginError.notFound(`vpc.id: ${show(asked.id)} names no VPC; create it first`);
    checkSameOwner('vpc', asked.id, held, asked);
    const subnets = this.subnetsOf(asked.id);
    if (asked.vni !== held.vni) {
      if (subnets.length > 0) {
        throw PluginError.failedPrecondition(
          `vpc.vni: cannot change VPC ${show(asked.id)} from VNI ${held.vni} to ${asked.vni} while it has subnets (${listKeys(subnets.map((s) => s.id))}); delete them first`,
        );
      }
      this.checkVniFree('vpc.vni', asked.vni, asked.id);
    }
    const cidr = checkCidr('vpc', asked.ip, asked.prefix);
    for (const subnet of subnets) {
      if (!cidrContains(cidr, checkCidr('subnet', subnet.ip, subnet.prefix))) {
        throw PluginError.failedPrecondition(
          `vpc.ip/vpc.prefix: ${formatCidr(cidr)} would no longer contain subnet ${show(subnet.id)} (${subnet.ip}/${subnet.prefix}); delete or change the subnet first`,
        );
      }
    }
    if (differences(held, asked).length > 0) {
      this.vpcs.set(asked.id, asked);
      this.revisionCount += 1;
    }
    return copyRecord(asked);
  }

  /** Deletes a VPC; true when it existed and was deleted. A VPC with subnets is refused; another scenario's is left alone. */
  deleteVpc(id: unknown, scenario: unknown = ''): boolean {
    const key = checkKey('id', id);
    const owner = checkOwner('scenario', scenario);
    const held = this.vpcs.get(key);
    if (held === undefined || !mayDelete(held, owner)) return false;
    const subnets = this.subnetsOf(key);
    if (subnets.length > 0) {
      throw PluginError.failedPrecondition(
        `id: VPC ${show(key)} still has ${subnets.length} subnet(s) (${listKeys(subnets.map((s) => s.id))}); delete them first`,
      );
    }
    this.vpcs.delete(key);
    this.revisionCount += 1;
    return true;
  }

  // ---- subnets ----------------------------------------------------------------------------

  /** Creates a subnet in an existing VPC, or returns the identical one already held. */
  createSubnet(input: Input<SubnetRecord> | null | undefined): SubnetRecord {
    const checked = this.checkSubnetFields(input);
    const vpc = this.vpcs.get(checked.subnet.vpc);
    const asked = { ...checked.subnet, vni: checked.subnet.vni === 0 && vpc !== undefined ? vpc.vni : checked.subnet.vni };
    const held = this.subnets.get(asked.id);
    if (held !== undefined) {
      checkSameOwner('subnet', asked.id, held, asked);
      return copyRecord(this.sameOrConflict('subnet', asked.id, held, asked));
    }
    if (vpc === undefined) {
      throw PluginError.failedPrecondition(`subnet.vpc: ${show(asked.vpc)} names no VPC; create the VPC before its subnets`);
    }
    if (vpc.scenario !== asked.scenario) {
      throw PluginError.alreadyExists(`subnet.vpc: VPC ${show(vpc.id)} belongs to ${ownerText(vpc.scenario)}; a subnet belongs to the scenario of its VPC`);
    }
    this.checkSubnetFits(asked, checked.cidr, vpc);
    this.subnets.set(asked.id, asked);
    this.revisionCount += 1;
    return copyRecord(asked);
  }

  /** Replaces the VNI, CIDR and optional map of an existing subnet; it cannot change VPC. */
  updateSubnet(input: Input<SubnetRecord> | null | undefined): SubnetRecord {
    const checked = this.checkSubnetFields(input);
    const held = this.subnets.get(checked.subnet.id);
    if (held === undefined) throw PluginError.notFound(`subnet.id: ${show(checked.subnet.id)} names no subnet; create it first`);
    checkSameOwner('subnet', held.id, held, checked.subnet);
    if (checked.subnet.vpc !== held.vpc) {
      throw PluginError.invalidArgument(
        `subnet.vpc: ${show(checked.subnet.vpc)} differs from the subnet's VPC ${show(held.vpc)}; a subnet cannot move between VPCs, delete it and create it in the other VPC`,
      );
    }
    const vpc = this.vpcs.get(held.vpc);
    if (vpc === undefined) throw new Error(`reference plugin state is inconsistent: subnet ${held.id} refers to missing VPC ${held.vpc}`);
    const asked = { ...checked.subnet, vni: checked.subnet.vni === 0 ? vpc.vni : checked.subnet.vni };
    this.checkSubnetFits(asked, checked.cidr, vpc);
    if (differences(held, asked).length > 0) {
      this.subnets.set(asked.id, asked);
      this.revisionCount += 1;
    }
    return copyRecord(asked);
  }

  /** Deletes a subnet; true when it existed and was deleted (another scenario's is left alone). */
  deleteSubnet(id: unknown, scenario: unknown = ''): boolean {
    const key = checkKey('id', id);
    const owner = checkOwner('scenario', scenario);
    const held = this.subnets.get(key);
    if (held === undefined || !mayDelete(held, owner)) return false;
    this.subnets.delete(key);
    this.revisionCount += 1;
    return true;
  }

  // ---- nodes ------------------------------------------------------------------------------

  /** Registers a node, or returns the identical one already held. */
  createNode(input: Input<NodeRecord> | null | undefined): NodeRecord {
    const asked = this.checkNode(input);
    const held = this.nodes.get(asked.name);
    if (held !== undefined) {
      checkSameOwner('node', asked.name, held, asked);
      return copyRecord(this.sameOrConflict('node', asked.name, held, asked));
    }
    this.checkNodeUnique(asked);
    this.putNode(asked);
    return copyRecord(asked);
  }

  /** Replaces the IP, MAC and optional map of an existing node. */
  updateNode(input: Input<NodeRecord> | null | undefined): NodeRecord {
    const asked = this.checkNode(input);
    const held = this.nodes.get(asked.name);
    if (held === undefined) throw PluginError.notFound(`node.name: ${show(asked.name)} names no node; create it first`);
    checkSameOwner('node', asked.name, held, asked);
    this.checkNodeUnique(asked);
    if (differences(held, asked).length > 0) {
      this.dropNode(held);
      this.putNode(asked);
    }
    return copyRecord(asked);
  }

  /** Removes a node; true when it existed and was removed (another scenario's is left alone). */
  deleteNode(name: unknown, scenario: unknown = ''): boolean {
    const key = checkKey('name', name);
    const owner = checkOwner('scenario', scenario);
    const held = this.nodes.get(key);
    if (held === undefined || !mayDelete(held, owner)) return false;
    this.dropNode(held);
    this.revisionCount += 1;
    return true;
  }

  /** The owner of an object ("" for none), or undefined when there is no such object. */
  ownerOf(kind: 'vpc' | 'subnet' | 'node', key: string): string | undefined {
    const map: Map<string, { scenario: string }> = kind === 'vpc' ? this.vpcs : kind === 'subnet' ? this.subnets : this.nodes;
    return map.get(key)?.scenario;
  }

  // ---- whole state ------------------------------------------------------------------------

  /** Everything held, sorted by key; a deep copy. */
  snapshot(): ReferenceSnapshot {
    return {
      version: 1,
      revision: this.revisionCount,
      vpcs: [...this.vpcs.values()].map(copyRecord).sort(byKey((v) => v.id)),
      subnets: [...this.subnets.values()].map(copyRecord).sort(byKey((s) => s.id)),
      nodes: [...this.nodes.values()].map(copyRecord).sort(byKey((n) => n.name)),
    };
  }

  /**
   * Rebuilds a state from a snapshot (a state file), applying every rule as if the objects were
   * created again, so a hand-edited or corrupt file is refused with the rule it breaks.
   */
  static fromSnapshot(data: unknown): ReferencePluginState {
    if (typeof data !== 'object' || data === null) throw new Error('state: is not a JSON object');
    const snap = data as Partial<Record<keyof ReferenceSnapshot, unknown>>;
    if (snap.version !== 1) throw new Error(`state.version: ${show(snap.version)} is not a known state format (expected 1)`);
    const state = new ReferencePluginState();
    const list = (field: 'vpcs' | 'subnets' | 'nodes'): unknown[] => {
      const value = snap[field];
      if (value === undefined) return [];
      if (!Array.isArray(value)) throw new Error(`state.${field}: is not a list`);
      return value;
    };
    const replay = (field: string, items: unknown[], create: (item: unknown) => void): void => {
      items.forEach((item, index) => {
        try {
          create(item);
        } catch (err) {
          throw new Error(`state.${field}[${index}]: ${err instanceof Error ? err.message : String(err)}`);
        }
      });
    };
    replay('vpcs', list('vpcs'), (item) => state.createVpc(item as Input<VpcRecord>));
    replay('subnets', list('subnets'), (item) => state.createSubnet(item as Input<SubnetRecord>));
    replay('nodes', list('nodes'), (item) => state.createNode(item as Input<NodeRecord>));
    const revision = snap.revision ?? 0;
    if (typeof revision !== 'number' || !Number.isInteger(revision) || revision < 0) {
      throw new Error(`state.revision: ${show(revision)} is not a whole number >= 0`);
    }
    state.revisionCount = Math.max(revision, state.revisionCount);
    return state;
  }

  // ---- rules ------------------------------------------------------------------------------

  private checkVpc(input: Input<VpcRecord> | null | undefined): VpcRecord {
    if (input == null) throw PluginError.invalidArgument('vpc: is missing; the request must carry the VPC');
    const id = checkKey('vpc.id', input.id);
    const vni = checkVni('vpc.vni', input.vni);
    const cidr = checkCidr('vpc', input.ip, input.prefix);
    const optional = checkOptional('vpc.optional', input.optional);
    const scenario = checkOwner('vpc.scenario', input.scenario);
    return { vni, id, ip: input.ip as string, prefix: cidr.prefix, optional, scenario };
  }

  private checkSubnetFields(input: Input<SubnetRecord> | null | undefined): { subnet: SubnetRecord; cidr: Ipv4Cidr } {
    if (input == null) throw PluginError.invalidArgument('subnet: is missing; the request must carry the subnet');
    const id = checkKey('subnet.id', input.id);
    const vpc = checkKey('subnet.vpc', input.vpc);
    const vni = checkSubnetVni('subnet.vni', input.vni);
    const cidr = checkCidr('subnet', input.ip, input.prefix);
    const optional = checkOptional('subnet.optional', input.optional);
    const scenario = checkOwner('subnet.scenario', input.scenario);
    return { subnet: { vni, id, vpc, ip: input.ip as string, prefix: cidr.prefix, optional, scenario }, cidr };
  }

  private checkNode(input: Input<NodeRecord> | null | undefined): NodeRecord {
    if (input == null) throw PluginError.invalidArgument('node: is missing; the request must carry the node');
    const name = checkKey('node.name', input.name);
    const ip = checkIpv4('node.ip', input.ip);
    const mac = checkMac('node.mac', input.mac);
    const optional = checkOptional('node.optional', input.optional);
    const scenario = checkOwner('node.scenario', input.scenario);
    return { name, ip, mac, optional, scenario };
  }

  /** Idempotent create: the held object when identical, ALREADY_EXISTS naming the differences otherwise. */
  private sameOrConflict<R extends object>(kind: string, key: string, held: R, asked: R): R {
    const diff = differences(held, asked);
    if (diff.length === 0) return held;
    throw PluginError.alreadyExists(`${kind} ${show(key)} already exists with other fields (${diff.join('; ')}); delete it first or ask for the same fields`);
  }

  /** A VNI belongs to at most one VPC: its own VNI and its subnets'. */
  private checkVniFree(field: string, vni: number, vpcId: string): void {
    for (const vpc of this.vpcs.values()) {
      if (vpc.id !== vpcId && vpc.vni === vni) {
        throw PluginError.alreadyExists(`${field}: ${vni} is already the VNI of VPC ${show(vpc.id)}${ofOwner(vpc.scenario)}; two VPCs cannot share a VNI`);
      }
    }
    for (const subnet of this.subnets.values()) {
      if (subnet.vpc !== vpcId && subnet.vni === vni) {
        throw PluginError.alreadyExists(
          `${field}: ${vni} is already the VNI of subnet ${show(subnet.id)} of VPC ${show(subnet.vpc)}${ofOwner(subnet.scenario)}; two VPCs cannot share a VNI`,
        );
      }
    }
  }

  private checkSubnetFits(subnet: SubnetRecord, cidr: Ipv4Cidr, vpc: VpcRecord): void {
    const vpcCidr = checkCidr('vpc', vpc.ip, vpc.prefix);
    if (!cidrContains(vpcCidr, cidr)) {
      throw PluginError.invalidArgument(
        `subnet.ip/subnet.prefix: ${formatCidr(cidr)} is not inside VPC ${show(vpc.id)} (${formatCidr(vpcCidr)}); a subnet lies within its VPC's CIDR`,
      );
    }
    if (subnet.vni !== vpc.vni) this.checkVniFree('subnet.vni', subnet.vni, vpc.id);
    for (const other of this.subnetsOf(vpc.id)) {
      if (other.id === subnet.id) continue;
      const otherCidr = checkCidr('subnet', other.ip, other.prefix);
      if (cidrsOverlap(cidr, otherCidr)) {
        throw PluginError.alreadyExists(
          `subnet.ip/subnet.prefix: ${formatCidr(cidr)} overlaps subnet ${show(other.id)} (${formatCidr(otherCidr)}) of VPC ${show(vpc.id)}; subnets of a VPC must not overlap`,
        );
      }
    }
  }

  private checkNodeUnique(node: NodeRecord): void {
    const ipHolder = this.nodeByIp.get(node.ip);
    if (ipHolder !== undefined && ipHolder !== node.name) {
      throw PluginError.alreadyExists(
        `node.ip: ${show(node.ip)} is already the address of node ${show(ipHolder)}${ofOwner(this.nodes.get(ipHolder)!.scenario)}; node addresses are unique`,
      );
    }
    const macHolder = this.nodeByMac.get(node.mac);
    if (macHolder !== undefined && macHolder !== node.name) {
      throw PluginError.alreadyExists(
        `node.mac: ${show(node.mac)} is already the MAC of node ${show(macHolder)}${ofOwner(this.nodes.get(macHolder)!.scenario)}; node MACs are unique`,
      );
    }
  }

  private putNode(node: NodeRecord): void {
    this.nodes.set(node.name, node);
    this.nodeByIp.set(node.ip, node.name);
    this.nodeByMac.set(node.mac, node.name);
    this.revisionCount += 1;
  }

  private dropNode(node: NodeRecord): void {
    this.nodes.delete(node.name);
    this.nodeByIp.delete(node.ip);
    this.nodeByMac.delete(node.mac);
  }

  private subnetsOf(vpcId: string): SubnetRecord[] {
    return [...this.subnets.values()].filter((s) => s.vpc === vpcId);
  }
}

function listKeys(keys: string[]): string {
  const shown = keys.slice(0, 5).map((k) => show(k)).join(', ');
  return keys.length > 5 ? `${shown} and ${keys.length - 5} more` : shown;
}
