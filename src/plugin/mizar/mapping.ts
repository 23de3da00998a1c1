import { PluginError } from '../errors';
import { cidrContains, formatCidr, formatIpv4, type Ipv4Cidr } from '../../model/ipv4';
import { checkCidr, checkIpv4, checkMac, checkOptional, checkVni, show } from '../reference/validate';

/**
 * How Merak's network plugin objects map onto Mizar's custom resources, and the field rules
 * checked before any resource is written. Pure (no I/O), unit-tested in
 * test/unit/plugin-mizar-mapping.test.ts.
 *
 * Facts from Mizar's source (CentaurusInfra/mizar @ 73965a6, `mizar/obj/*.py`,
 * `mizar/common/constants.py`, `mizar/dp/mizar/workflows/*`):
 * - group `mizar.com`, version `v1`, namespaced plurals vpcs, subnets, droplets, endpoints;
 * - everything the operator reads is under `spec`, including `spec.status` (no status
 *   subresource); it acts on objects whose `spec.status` is `Init` and writes `Provisioned`;
 * - `ip`, `prefix` and `vni` are written as strings (`prefix: "16"`, `vni: "15654902"`), counts
 *   (`dividers`, `bouncers`) as numbers; the operator overwrites a VPC's `vni` with its own
 *   allocation (`VpcOperator.allocate_vni`: a random 24-bit number) and copies it to the VPC's
 *   subnets and endpoints.
 */

export const MIZAR_GROUP = 'mizar.com';
export const MIZAR_VERSION = 'v1';
/** `spec.status` values of Mizar's OBJ_STATUS. */
export const STATUS_INIT = 'Init';
export const STATUS_PROVISIONED = 'Provisioned';
/** Label on every resource Merak writes, so GetState and cleanup find only Merak's. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'merak';
/** Annotation holding the proto object's `optional` map (JSON), which Mizar has no field for. */
export const OPTIONAL_ANNOTATION = 'meraksim.com/optional';

/** The Mizar kinds Merak writes. */
export type MizarKind = 'Vpc' | 'Subnet' | 'Droplet' | 'Endpoint';
export const PLURAL: Readonly<Record<MizarKind, string>> = { Vpc: 'vpcs', Subnet: 'subnets', Droplet: 'droplets', Endpoint: 'endpoints' };

/** A Mizar custom resource as read from the API server (only the parts Merak uses). */
export interface MizarResource {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  spec?: Record<string, unknown>;
}

/** Longest object name the API server takes (a DNS-1123 subdomain). */
export const MAX_NAME_LENGTH = 253;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * A key (VPC id, subnet id, node name) becomes the resource's `metadata.name`, so it must be a
 * DNS-1123 subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter
 * or digit, at most 253 characters (the API server's rule for custom resource names).
 * @throws PluginError INVALID_ARGUMENT naming the field, the value and the rule.
 */
export function checkName(field: string, value: unknown): string {
  if (typeof value !== 'string') throw PluginError.invalidArgument(`${field}: ${show(value)} is not a string`);
  if (value === '') throw PluginError.invalidArgument(`${field}: "" is empty; give a non-empty key`);
  if (value.length > MAX_NAME_LENGTH || !DNS_SUBDOMAIN.test(value)) {
    throw PluginError.invalidArgument(
      `${field}: ${show(value)} is not a Kubernetes object name (lower-case letters, digits, "-" and ".", starting and ending with a letter or digit, at most ${MAX_NAME_LENGTH} characters): it names Mizar's custom resource`,
    );
  }
  return value;
}

/** A VPC as Merak asks for it, checked. */
export interface VpcAsk {
  id: string;
  vni: number;
  cidr: Ipv4Cidr;
  optional: Record<string, string>;
}

/** A subnet as Merak asks for it, checked (the VNI asked is ignored: Mizar copies the VPC's). */
export interface SubnetAsk {
  id: string;
  vpc: string;
  cidr: Ipv4Cidr;
  optional: Record<string, string>;
}

/** A node (Mizar droplet) as Merak asks for it, checked. */
export interface NodeAsk {
  name: string;
  ip: string;
  mac: string;
  optional: Record<string, string>;
}

type Fields = Record<string, unknown> | null | undefined;

/** Checks a VPC request. @throws PluginError INVALID_ARGUMENT */
export function checkVpcAsk(vpc: Fields): VpcAsk {
  if (vpc == null) throw PluginError.invalidArgument('vpc: is missing; the request must carry the VPC');
  const id = checkName('vpc.id', vpc.id);
  // Mizar allocates its own VNI, but a value outside the proto's range is still a caller's bug.
  const vni = checkVni('vpc.vni', vpc.vni);
  const cidr = checkCidr('vpc', vpc.ip, vpc.prefix);
  return { id, vni, cidr, optional: checkOptional('vpc.optional', vpc.optional) };
}

/** Checks a subnet request. @throws PluginError INVALID_ARGUMENT */
export function checkSubnetAsk(subnet: Fields): SubnetAsk {
  if (subnet == null) throw PluginError.invalidArgument('subnet: is missing; the request must carry the subnet');
  const id = checkName('subnet.id', subnet.id);
  const vpc = checkName('subnet.vpc', subnet.vpc);
  const vni = subnet.vni;
  if (vni !== 0 && vni !== undefined) checkVni('subnet.vni', vni);
  const cidr = checkCidr('subnet', subnet.ip, subnet.prefix);
  return { id, vpc, cidr, optional: checkOptional('subnet.optional', subnet.optional) };
}

/** Checks a node request. @throws PluginError INVALID_ARGUMENT */
export function checkNodeAsk(node: Fields): NodeAsk {
  if (node == null) throw PluginError.invalidArgument('node: is missing; the request must carry the node');
  const name = checkName('node.name', node.name);
  const ip = checkIpv4('node.ip', node.ip);
  const mac = checkMac('node.mac', node.mac);
  return { name, ip, mac, optional: checkOptional('node.optional', node.optional) };
}

/** A subnet must lie inside its VPC. @throws PluginError INVALID_ARGUMENT */
export function checkSubnetInVpc(subnet: SubnetAsk, vpcId: string, vpcCidr: Ipv4Cidr): void {
  if (!cidrContains(vpcCidr, subnet.cidr)) {
    throw PluginError.invalidArgument(
      `subnet.ip/subnet.prefix: ${formatCidr(subnet.cidr)} is not inside VPC ${show(vpcId)} (${formatCidr(vpcCidr)}); a subnet lies within its VPC's CIDR`,
    );
  }
}

// ---- resources Merak writes ------------------------------------------------------------------

function metadata(name: string, optional: Record<string, string>): MizarResource['metadata'] {
  return {
    name,
    labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
    annotations: { [OPTIONAL_ANNOTATION]: JSON.stringify(optional) },
  };
}

/**
 * The Vpc resource for a request, in `Init`. `vni` carries the asked value the way Mizar's own
 * objects carry one; the operator replaces it. `dividers: 1` is Mizar's default.
 */
export function vpcResource(ask: VpcAsk): MizarResource {
  return {
    apiVersion: `${MIZAR_GROUP}/${MIZAR_VERSION}`,
    kind: 'Vpc',
    metadata: metadata(ask.id, ask.optional),
    spec: { ip: formatIpv4(ask.cidr.network), prefix: String(ask.cidr.prefix), vni: String(ask.vni), dividers: 1, status: STATUS_INIT },
  };
}

/** The Subnet resource for a request, in `Init`, with the VPC's VNI as held (the operator copies it again). */
export function subnetResource(ask: SubnetAsk, vpcVni: string): MizarResource {
  return {
    apiVersion: `${MIZAR_GROUP}/${MIZAR_VERSION}`,
    kind: 'Subnet',
    metadata: metadata(ask.id, ask.optional),
    spec: { ip: formatIpv4(ask.cidr.network), prefix: String(ask.cidr.prefix), vni: vpcVni, vpc: ask.vpc, bouncers: 1, status: STATUS_INIT },
  };
}

/**
 * The Droplet resource for a node, in `Init`: `ip` and `mac` are the node's underlay address and
 * MAC, `main_ip` the same address, `itf` the underlay device Merak's local nodes use (eth0).
 */
export function dropletResource(ask: NodeAsk): MizarResource {
  return {
    apiVersion: `${MIZAR_GROUP}/${MIZAR_VERSION}`,
    kind: 'Droplet',
    metadata: metadata(ask.name, ask.optional),
    spec: { ip: ask.ip, mac: ask.mac, main_ip: ask.ip, itf: 'eth0', status: STATUS_INIT },
  };
}

// ---- reading what Mizar holds ----------------------------------------------------------------

/** `spec.status` of a resource, '' when absent. */
export function statusOf(r: MizarResource): string {
  const s = r.spec?.status;
  return typeof s === 'string' ? s : '';
}

/** True when Merak wrote the resource (its label). */
export function isManaged(r: MizarResource): boolean {
  return r.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
}

function text(r: MizarResource, field: string): string {
  const v = r.spec?.[field];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  throw new MizarShapeError(r, field, v, 'is not a string or number');
}

function whole(r: MizarResource, field: string, min: number, max: number): number {
  const raw = text(r, field);
  const n = /^\d{1,10}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new MizarShapeError(r, field, raw, `is not a whole number ${min}..${max}`);
  return n;
}

/** A resource Mizar holds does not have the shape its source writes (hand-edited, another version). */
export class MizarShapeError extends Error {
  override readonly name = 'MizarShapeError';
  constructor(
    readonly resource: MizarResource,
    readonly field: string,
    readonly value: unknown,
    readonly rule: string,
  ) {
    super(`${resource.kind ?? 'resource'} ${resource.metadata.name}: spec.${field} ${show(value)} ${rule}`);
  }
}

function optionalOf(r: MizarResource): Record<string, string> {
  const raw = r.metadata.annotations?.[OPTIONAL_ANNOTATION];
  if (raw === undefined) return {};
  try {
    return checkOptional('optional', JSON.parse(raw));
  } catch {
    return {};
  }
}

/** A Vpc resource as the plugin's Vpc (vni = the operator's). @throws MizarShapeError */
export function vpcFromResource(r: MizarResource): { id: string; vni: number; ip: string; prefix: number; optional: Record<string, string> } {
  return { id: r.metadata.name, vni: whole(r, 'vni', 1, 0xffffff), ip: text(r, 'ip'), prefix: whole(r, 'prefix', 0, 32), optional: optionalOf(r) };
}

/** A Subnet resource as the plugin's Subnet (vni = the VPC's, as the operator copied it). @throws MizarShapeError */
export function subnetFromResource(r: MizarResource): { id: string; vpc: string; vni: number; ip: string; prefix: number; optional: Record<string, string> } {
  return {
    id: r.metadata.name,
    vpc: text(r, 'vpc'),
    vni: whole(r, 'vni', 1, 0xffffff),
    ip: text(r, 'ip'),
    prefix: whole(r, 'prefix', 0, 32),
    optional: optionalOf(r),
  };
}

/** A Droplet resource as the plugin's Node. @throws MizarShapeError */
export function nodeFromResource(r: MizarResource): { name: string; ip: string; mac: string; optional: Record<string, string> } {
  return { name: r.metadata.name, ip: text(r, 'ip'), mac: text(r, 'mac').toLowerCase(), optional: optionalOf(r) };
}

/** The CIDR a held Vpc or Subnet resource carries. @throws MizarShapeError */
export function cidrOf(r: MizarResource): { ip: string; prefix: number } {
  return { ip: text(r, 'ip'), prefix: whole(r, 'prefix', 0, 32) };
}

/** Fields in which a held resource differs from a request (for ALREADY_EXISTS), as text. */
export function differences(held: Record<string, unknown>, asked: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of Object.keys(asked)) {
    const a = held[key];
    const b = asked[key];
    const same = typeof b === 'object' && b !== null ? JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b)) : String(a) === String(b);
    if (!same) out.push(`${key} held ${show(a)}, asked ${show(b)}`);
  }
  return out;
}

function sortKeys(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
