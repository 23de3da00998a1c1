/**
 * The network plugin conformance suite's rules (`merak plugin conformance`): what to send a
 * provider's plugin and how to judge each answer, for every rule that
 * proto/merak/plugin/v1/network_plugin.proto and docs/network-plugin.md state. Pure: a runner
 * (src/plugin/conformance.ts) sends the calls and hands back each outcome.
 *
 * Every object the suite makes is keyed `<prefix>-…` and owned by scenario `<prefix>`, so it
 * never touches anyone else's objects; values that must be unique at the provider (VNIs, node
 * addresses and MACs) are drawn at random, avoiding those GetState shows held. Where the proto
 * lets a provider choose a value itself (its own VNI, address or MAC), the rules that depend on
 * the asked value are skipped, saying so, when the first answer shows the provider chose its own.
 */
import type { Vpc, Vpc__Output } from '../gen/merak/plugin/v1/Vpc';
import type { Subnet, Subnet__Output } from '../gen/merak/plugin/v1/Subnet';
import type { Node, Node__Output } from '../gen/merak/plugin/v1/Node';
import { canonicalJson } from './diff';
import { cidrContains, cidrFrom, formatIpv4, Ipv4FormatError, parseIpv4, type Ipv4Cidr } from './ipv4';

/** The RPCs the suite calls. */
export type ConformanceMethod =
  | 'CreateVpc'
  | 'UpdateVpc'
  | 'DeleteVpc'
  | 'CreateSubnet'
  | 'UpdateSubnet'
  | 'DeleteSubnet'
  | 'CreateNode'
  | 'UpdateNode'
  | 'DeleteNode'
  | 'GetState';

/** One call: the RPC and its request message as sent (proto field names). */
export interface ConformanceCall {
  readonly method: ConformanceMethod;
  readonly request: Record<string, unknown>;
  /** Set on a CreateNode of the suite's valid node: the runner runs the node hook first (once per name). */
  readonly prepareNode?: { readonly name: string; readonly ip: string; readonly mac: string; readonly scenario: string };
}

/** What a call came back with: the answer, or the gRPC status name and the plugin's message. */
export type ConformanceOutcome =
  | { readonly ok: true; readonly answer: Record<string, unknown> }
  | { readonly ok: false; readonly code: string; readonly details: string };

/** The judgement of one call, or of a rule. */
export type ConformanceVerdict =
  | { readonly status: 'pass' }
  | { readonly status: 'fail'; readonly reason: string }
  | { readonly status: 'skip'; readonly reason: string };

/** A rule of the plugin interface. */
export interface ConformanceRule {
  /** Stable id, e.g. "vpc.create.idempotent". */
  readonly id: string;
  /** The rule in one line. */
  readonly title: string;
  /** Where the rule is written. */
  readonly source: string;
}

export { canonicalJson };

const PROTO = 'network_plugin.proto';
const STATE_PROTO = 'network_plugin_state.proto';
const DOCS = 'docs/network-plugin.md';

/** Invalid-field cases of one object: id suffix, the bad request, the words one of which the message must name. */
interface InvalidCase {
  readonly id: string;
  readonly title: string;
  readonly field: readonly string[];
}

const VPC_INVALID: readonly InvalidCase[] = [
  { id: 'missing', title: 'a CreateVpc without its vpc', field: ['vpc'] },
  { id: 'empty-id', title: 'an empty vpc.id', field: ['id'] },
  { id: 'vni-zero', title: 'vpc.vni 0', field: ['vni'] },
  { id: 'vni-too-big', title: 'vpc.vni 16777216 (above 24 bits)', field: ['vni'] },
  { id: 'host-bits', title: 'host bits set in vpc.ip/vpc.prefix', field: ['ip', 'prefix', 'cidr'] },
  { id: 'prefix-33', title: 'vpc.prefix 33', field: ['prefix', 'cidr'] },
  { id: 'bad-ip', title: 'vpc.ip that is no dotted IPv4', field: ['ip', 'cidr'] },
];
const SUBNET_INVALID: readonly InvalidCase[] = [
  { id: 'missing', title: 'a CreateSubnet without its subnet', field: ['subnet'] },
  { id: 'empty-id', title: 'an empty subnet.id', field: ['id'] },
  { id: 'vni-too-big', title: 'subnet.vni 16777216 (above 24 bits)', field: ['vni'] },
  { id: 'host-bits', title: 'host bits set in subnet.ip/subnet.prefix', field: ['ip', 'prefix', 'cidr'] },
  { id: 'outside-vpc', title: 'a subnet outside its VPC', field: ['ip', 'prefix', 'cidr'] },
];
const NODE_INVALID: readonly InvalidCase[] = [
  { id: 'missing', title: 'a CreateNode without its node', field: ['node'] },
  { id: 'empty-name', title: 'an empty node.name', field: ['name'] },
  { id: 'bad-ip', title: 'node.ip that is no dotted IPv4', field: ['ip'] },
  { id: 'multicast-mac', title: 'a multicast node.mac', field: ['mac'] },
  { id: 'bad-mac', title: 'node.mac that is no MAC', field: ['mac'] },
];

const invalidRules = (kind: string, cases: readonly InvalidCase[]): ConformanceRule[] =>
  cases.map((c) => ({
    id: `${kind}.create.invalid.${c.id}`,
    title: `${c.title} is INVALID_ARGUMENT, the message naming the field`,
    source: `${PROTO} (INVALID_ARGUMENT), ${DOCS} (status codes)`,
  }));

/** Every rule, in the order the suite checks and reports them. */
export const CONFORMANCE_RULES: readonly ConformanceRule[] = [
  { id: 'state.served', title: 'GetState answers (the state service is optional: skipped when UNIMPLEMENTED)', source: STATE_PROTO },
  { id: 'vpc.delete.missing', title: 'DeleteVpc of a VPC that never existed succeeds', source: `${PROTO} (idempotent delete)` },
  { id: 'subnet.delete.missing', title: 'DeleteSubnet of a subnet that never existed succeeds', source: `${PROTO} (idempotent delete)` },
  { id: 'node.delete.missing', title: 'DeleteNode of a node that never existed succeeds', source: `${PROTO} (idempotent delete)` },
  ...invalidRules('vpc', VPC_INVALID),
  { id: 'vpc.create.answer', title: 'CreateVpc answers the VPC as held: a key, a VNI 1..16777215, a network CIDR; two VPCs get two VNIs', source: `${PROTO} (the answer is the truth)` },
  { id: 'vpc.create.idempotent', title: 'CreateVpc of an existing VPC with the same fields succeeds and answers the same VPC', source: `${PROTO} (idempotent create)` },
  { id: 'vpc.create.conflict', title: 'CreateVpc of an existing id with another CIDR is ALREADY_EXISTS', source: `${PROTO} (idempotent create)` },
  { id: 'vpc.create.conflict-vni', title: 'CreateVpc of an existing id with another VNI is ALREADY_EXISTS (providers that take the asked VNI)', source: `${PROTO} (idempotent create)` },
  { id: 'vpc.create.vni-in-use', title: "CreateVpc with another VPC's VNI is ALREADY_EXISTS (providers that take the asked VNI)", source: `${PROTO} (ALREADY_EXISTS: a unique value held by another object)` },
  { id: 'vpc.update.not-found', title: 'UpdateVpc of a missing VPC is NOT_FOUND', source: PROTO },
  { id: 'vpc.update.applies', title: 'UpdateVpc answers the VPC as held after the update, same key and VNI, with the new fields', source: `${PROTO} (UpdateVpc; the answer is the truth)` },
  { id: 'subnet.create.needs-vpc', title: 'CreateSubnet in a VPC that does not exist is FAILED_PRECONDITION', source: `${PROTO} (FAILED_PRECONDITION), ${DOCS}` },
  ...invalidRules('subnet', SUBNET_INVALID),
  { id: 'subnet.create.answer', title: 'CreateSubnet answers the subnet as held: its key, its VPC (the key CreateVpc answered), the VNI in force (asked 0), a CIDR inside the VPC', source: `${PROTO} (the answer is the truth; Subnet.vni)` },
  { id: 'subnet.create.idempotent', title: 'CreateSubnet of an existing subnet with the same fields succeeds and answers the same subnet', source: `${PROTO} (idempotent create)` },
  { id: 'subnet.create.conflict', title: 'CreateSubnet of an existing id with another CIDR is ALREADY_EXISTS', source: `${PROTO} (idempotent create)` },
  { id: 'subnet.create.overlap', title: 'CreateSubnet overlapping another subnet of its VPC is ALREADY_EXISTS', source: `${PROTO} (ALREADY_EXISTS: an overlapping subnet)` },
  { id: 'subnet.update.not-found', title: 'UpdateSubnet of a missing subnet is NOT_FOUND', source: PROTO },
  { id: 'subnet.update.applies', title: 'UpdateSubnet answers the subnet as held after the update, same key and VPC, with the new fields', source: `${PROTO} (UpdateSubnet)` },
  { id: 'subnet.update.no-move', title: 'UpdateSubnet into another VPC is refused (FAILED_PRECONDITION or INVALID_ARGUMENT) and the subnet stays in its VPC', source: `${PROTO} (UpdateSubnet: a subnet cannot move)` },
  { id: 'vpc.delete.has-subnets', title: 'DeleteVpc of a VPC with subnets is FAILED_PRECONDITION and the VPC stays', source: `${PROTO} (DeleteVpc), ${DOCS}` },
  ...invalidRules('node', NODE_INVALID),
  { id: 'node.create.answer', title: 'CreateNode answers the node as held: its name, a dotted IPv4, a unicast MAC', source: `${PROTO} (the answer is the truth)` },
  { id: 'node.create.idempotent', title: 'CreateNode of an existing node with the same fields succeeds and answers the same node', source: `${PROTO} (idempotent create)` },
  { id: 'node.create.conflict-ip', title: 'CreateNode of an existing name with another IP is ALREADY_EXISTS (providers that take the asked IP)', source: `${PROTO} (idempotent create)` },
  { id: 'node.create.conflict-mac', title: 'CreateNode of an existing name with another MAC is ALREADY_EXISTS (providers that take the asked MAC)', source: `${PROTO} (idempotent create)` },
  { id: 'node.update.not-found', title: 'UpdateNode of a missing node is NOT_FOUND', source: PROTO },
  { id: 'node.update.applies', title: 'UpdateNode answers the node as held after the update, same name, with the new fields', source: `${PROTO} (UpdateNode)` },
  { id: 'owner.create', title: "CreateVpc of another scenario's VPC is ALREADY_EXISTS (providers that keep owners)", source: `${PROTO} (owners), ${DOCS}` },
  { id: 'owner.update', title: "UpdateVpc of another scenario's VPC is ALREADY_EXISTS (providers that keep owners)", source: `${PROTO} (owners), ${DOCS}` },
  { id: 'owner.delete', title: "DeleteSubnet naming another scenario succeeds and leaves the subnet (providers that keep owners)", source: `${PROTO} (owners), ${DOCS}` },
  { id: 'state.matches', title: 'GetState holds every object as its last answer, lists sorted by key, revision grown', source: `${STATE_PROTO}` },
  { id: 'subnet.delete.removes', title: 'DeleteSubnet removes the subnet (UpdateSubnet is NOT_FOUND after), and deleting it again succeeds', source: `${PROTO} (idempotent delete)` },
  { id: 'vpc.delete.removes', title: 'DeleteVpc removes the VPC (UpdateVpc is NOT_FOUND after), and deleting it again succeeds', source: `${PROTO} (idempotent delete)` },
  { id: 'node.delete.removes', title: 'DeleteNode removes the node (UpdateNode is NOT_FOUND after), and deleting it again succeeds', source: `${PROTO} (idempotent delete)` },
  { id: 'state.after-delete', title: 'GetState holds none of the suite\'s objects once deleted', source: STATE_PROTO },
  { id: 'cleanup', title: "everything the suite asked for is deleted again (its deletes succeed; GetState, when served, holds nothing of the suite's)", source: 'this suite' },
];

/** The rule with this id; throws for an unknown id (a bug in the suite). */
export function conformanceRule(id: string): ConformanceRule {
  const rule = CONFORMANCE_RULES.find((r) => r.id === id);
  if (rule === undefined) throw new Error(`no conformance rule ${JSON.stringify(id)}`);
  return rule;
}

// ---------------------------------------------------------------------------------------------
// The fixture: the suite's own objects.

/** Longest prefix: keys stay within 63 characters (a DNS label, as Kubernetes-backed providers need). */
export const MAX_PREFIX_LENGTH = 40;
const PREFIX_RE = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

/**
 * Checks a key prefix: lower-case letters, digits and inner dashes, starting with a letter, at
 * most 40 characters (keys such as `<prefix>-missing` must be valid names at every provider).
 * @returns an error text naming the value and the rule, or undefined when fine.
 */
export function prefixProblem(prefix: string): string | undefined {
  if (!PREFIX_RE.test(prefix) || prefix.includes('--')) {
    return `--prefix: ${JSON.stringify(prefix)} must be lower-case letters, digits and single inner dashes, starting with a letter (it starts every key the suite makes)`;
  }
  if (prefix.length > MAX_PREFIX_LENGTH) return `--prefix: ${JSON.stringify(prefix)} is ${prefix.length} characters; at most ${MAX_PREFIX_LENGTH}`;
  return undefined;
}

/** Values the provider holds already, which the suite's unique values must avoid (from GetState). */
export interface HeldValues {
  readonly vnis: ReadonlySet<number>;
  readonly nodeIps: ReadonlySet<string>;
  readonly nodeMacs: ReadonlySet<string>;
  /** Every VPC id, subnet id and node name held. */
  readonly keys: ReadonlySet<string>;
}

/** The suite's objects and the values of its requests. */
export interface ConformanceFixture {
  readonly prefix: string;
  /** The scenario owning every object the suite makes (= the prefix). */
  readonly scenario: string;
  /** Another scenario, for the owner rules. */
  readonly otherScenario: string;
  readonly vpcA: Required<Vpc>;
  /** A second VPC with the same CIDR (VPCs are isolated: address space may repeat). */
  readonly vpcB: Required<Vpc>;
  /** A free VNI other than vpcA's and vpcB's. */
  readonly spareVni: number;
  /** The subnet, in vpcA (its `vpc` is replaced by the key CreateVpc answered). */
  readonly subnet: Required<Subnet>;
  /** Inside vpcA, not overlapping `subnet`: the conflicting CIDR of an existing id. */
  readonly subnetOtherCidr: { readonly ip: string; readonly prefix: number };
  /** The upper half of `subnet`: overlaps it. */
  readonly subnetOverlapCidr: { readonly ip: string; readonly prefix: number };
  /** Outside vpcA. */
  readonly subnetOutsideCidr: { readonly ip: string; readonly prefix: number };
  readonly node: Required<Node>;
  /** A free node IP other than node.ip. */
  readonly spareNodeIp: string;
  /** A free unicast MAC other than node.mac. */
  readonly spareNodeMac: string;
  /** A key that names nothing, for NOT_FOUND and deletes of what never existed. */
  readonly missingKey: string;
  /** Keys of objects that must be refused: a VPC on VPC a's VNI, a subnet overlapping `subnet`, a subnet of a missing VPC. */
  readonly refusedKeys: { readonly vpcSameVni: string; readonly subnetOverlap: string; readonly subnetOrphan: string };
  /** The key of each invalid-create case (`<kind>.<case>` → key); distinct, so one accepted by mistake cannot hide the next. */
  readonly invalidKeys: Readonly<Record<string, string>>;
}

/** Largest VNI: 24 bits. */
export const MAX_VNI = 16_777_215;

/** Draws until `ok`; bounded, because a nearly full space must end in a clear error, not a hang. */
function draw<T>(what: string, next: () => T, ok: (v: T) => boolean): T {
  for (let i = 0; i < 10_000; i++) {
    const v = next();
    if (ok(v)) return v;
  }
  throw new Error(`cannot find a free ${what} at the plugin after 10000 draws`);
}

/**
 * Plans the suite's objects for `prefix`.
 * @param random - floats in [0, 1) (seed it for a repeatable run).
 * @param held - what GetState showed; undefined when the plugin does not serve it.
 * @throws Error when `prefix` is malformed or a key the suite would make is held already.
 */
export function planConformance(prefix: string, random: () => number, held?: HeldValues): ConformanceFixture {
  const problem = prefixProblem(prefix);
  if (problem !== undefined) throw new Error(problem);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const usedVnis = new Set(held?.vnis ?? []);
  const vni = () => {
    const v = draw('VNI', () => int(1, MAX_VNI), (x) => !usedVnis.has(x));
    usedVnis.add(v);
    return v;
  };
  const usedIps = new Set(held?.nodeIps ?? []);
  // Node addresses from the shared address space 100.64.0.0/10 (RFC 6598), as Merak's underlay.
  const nodeIp = () => {
    const ip = draw('node IP', () => formatIpv4(parseIpv4('100.64.0.0') + int(1, 2 ** 22 - 2)), (x) => !usedIps.has(x));
    usedIps.add(ip);
    return ip;
  };
  const usedMacs = new Set([...(held?.nodeMacs ?? [])].map((m) => m.toLowerCase()));
  // 02:… is a locally administered unicast MAC.
  const nodeMac = () => {
    const hex = () => int(0, 255).toString(16).padStart(2, '0');
    const mac = draw('node MAC', () => ['02', hex(), hex(), hex(), hex(), hex()].join(':'), (x) => !usedMacs.has(x));
    usedMacs.add(mac);
    return mac;
  };
  const second = int(0, 254);
  const vpcIp = `10.${second}.0.0`;
  const key = (suffix: string) => `${prefix}-${suffix}`;
  const invalidKeys: Record<string, string> = {};
  for (const [kind, cases] of [['vpc', VPC_INVALID], ['subnet', SUBNET_INVALID], ['node', NODE_INVALID]] as const) {
    for (const c of cases) invalidKeys[`${kind}.${c.id}`] = key(`bad-${kind}-${c.id}`);
  }
  const fixture: ConformanceFixture = {
    prefix,
    scenario: prefix,
    otherScenario: key('other'),
    vpcA: { id: key('vpc-a'), vni: vni(), ip: vpcIp, prefix: 16, optional: { 'merak-conformance': 'a' }, scenario: prefix },
    vpcB: { id: key('vpc-b'), vni: vni(), ip: vpcIp, prefix: 16, optional: { 'merak-conformance': 'b' }, scenario: prefix },
    spareVni: vni(),
    subnet: { id: key('subnet-1'), vpc: key('vpc-a'), vni: 0, ip: `10.${second}.1.0`, prefix: 24, optional: { 'merak-conformance': '1' }, scenario: prefix },
    subnetOtherCidr: { ip: `10.${second}.2.0`, prefix: 24 },
    subnetOverlapCidr: { ip: `10.${second}.1.128`, prefix: 25 },
    subnetOutsideCidr: { ip: `10.${second + 1}.1.0`, prefix: 24 },
    node: { name: key('node-1'), ip: nodeIp(), mac: nodeMac(), optional: { 'merak-conformance': 'n' }, scenario: prefix },
    spareNodeIp: nodeIp(),
    spareNodeMac: nodeMac(),
    missingKey: key('missing'),
    refusedKeys: { vpcSameVni: key('vpc-c'), subnetOverlap: key('subnet-2'), subnetOrphan: key('subnet-3') },
    invalidKeys,
  };
  if (held !== undefined) {
    const ours = [fixture.vpcA.id, fixture.vpcB.id, fixture.subnet.id, fixture.node.name, fixture.missingKey, ...Object.values(fixture.refusedKeys), ...Object.values(invalidKeys)];
    const taken = ours.filter((k) => held.keys.has(k));
    if (taken.length > 0) {
      throw new Error(`the plugin already holds ${taken.join(', ')}: prefix ${JSON.stringify(prefix)} is in use; choose another --prefix (the suite never touches objects it did not make)`);
    }
  }
  return fixture;
}

/** What GetState showed, as the values and keys the suite must avoid. */
export function heldValuesOf(state: Record<string, unknown>): HeldValues {
  const list = (name: string): Record<string, unknown>[] => (Array.isArray(state[name]) ? (state[name] as Record<string, unknown>[]) : []);
  const vpcs = list('vpcs');
  const subnets = list('subnets');
  const nodes = list('nodes');
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    vnis: new Set([...vpcs, ...subnets].map((o) => Number(o.vni)).filter((n) => Number.isInteger(n) && n > 0)),
    nodeIps: new Set(nodes.map((n) => str(n.ip))),
    nodeMacs: new Set(nodes.map((n) => str(n.mac).toLowerCase())),
    keys: new Set([...vpcs.map((v) => str(v.id)), ...subnets.map((s) => str(s.id)), ...nodes.map((n) => str(n.name))]),
  };
}

// ---------------------------------------------------------------------------------------------
// The context: what the answers so far showed.

/** What the answers so far showed; the steps read and write it. */
export interface ConformanceContext {
  readonly fixture: ConformanceFixture;
  /** Whether GetState is served. */
  stateServed: boolean;
  /** GetState's revision before the suite changed anything. */
  initialRevision?: number;
  /** The latest answers for the suite's objects (what the provider holds). */
  vpcA?: Vpc__Output;
  vpcB?: Vpc__Output;
  subnet?: Subnet__Output;
  node?: Node__Output;
  /** Which asked values the provider holds as asked (from the first answers). */
  honours: { vpcVni?: boolean; optional?: boolean; scenario?: boolean; nodeIp?: boolean; nodeMac?: boolean };
}

/** Starts a context from the fixture and the first GetState's outcome. */
export function startContext(fixture: ConformanceFixture, initialState: ConformanceOutcome): ConformanceContext {
  const ctx: ConformanceContext = { fixture, stateServed: initialState.ok, honours: {} };
  if (initialState.ok) ctx.initialRevision = Number(initialState.answer.revision ?? 0);
  return ctx;
}

/** Judges the first GetState: served, not served (UNIMPLEMENTED: the service is optional), or broken. */
export function judgeStateServed(o: ConformanceOutcome): ConformanceVerdict {
  if (o.ok) return PASS;
  if (o.code === 'UNIMPLEMENTED') return skip('the plugin does not serve NetworkPluginStateService (optional); the rules that read the state are skipped');
  return fail(`answered ${o.code}: ${o.details}; a plugin serves GetState or answers UNIMPLEMENTED`);
}

// ---------------------------------------------------------------------------------------------
// Judging.

const PASS: ConformanceVerdict = { status: 'pass' };
const fail = (reason: string): ConformanceVerdict => ({ status: 'fail', reason });
const skip = (reason: string): ConformanceVerdict => ({ status: 'skip', reason });

/** An object message with proto3 defaults filled in, so an answer that omits a default equals one that sends it. */
function normalized(kind: 'vpc' | 'subnet' | 'node', o: Record<string, unknown>): Record<string, unknown> {
  const defaults: Record<string, unknown> =
    kind === 'node' ? { name: '', ip: '', mac: '', optional: {}, scenario: '' } : kind === 'vpc' ? { vni: 0, id: '', ip: '', prefix: 0, optional: {}, scenario: '' } : { vni: 0, id: '', vpc: '', ip: '', prefix: 0, optional: {}, scenario: '' };
  return { ...defaults, ...o };
}

function sameObject(kind: 'vpc' | 'subnet' | 'node', a: unknown, b: unknown): boolean {
  return canonicalJson(normalized(kind, (a ?? {}) as Record<string, unknown>)) === canonicalJson(normalized(kind, (b ?? {}) as Record<string, unknown>));
}

const answerText = (o: ConformanceOutcome): string => (o.ok ? `OK ${canonicalJson(o.answer)}` : `${o.code}: ${o.details}`);

/** A success. */
function expectOk(o: ConformanceOutcome): ConformanceVerdict {
  return o.ok ? PASS : fail(`answered ${o.code}; expected OK`);
}

/** A refusal with exactly `code`. */
function expectCode(o: ConformanceOutcome, code: string): ConformanceVerdict {
  if (o.ok) return fail(`answered OK; expected ${code}`);
  if (o.code !== code) return fail(`answered ${o.code}; expected ${code}`);
  return PASS;
}

/** INVALID_ARGUMENT whose message names the field (one of `words`, as a whole word, any case). */
export function judgeInvalid(o: ConformanceOutcome, words: readonly string[]): ConformanceVerdict {
  const v = expectCode(o, 'INVALID_ARGUMENT');
  if (v.status !== 'pass' || o.ok) return v;
  const named = words.some((w) => new RegExp(`(^|[^a-z0-9_])${w}([^a-z0-9_]|$)`, 'i').test(o.details));
  return named ? PASS : fail(`the message ${JSON.stringify(o.details)} names none of ${words.map((w) => JSON.stringify(w)).join(', ')}: a refusal names the field, the value and the rule`);
}

/** Problems of a CIDR written as ip + prefix; `within` additionally requires it inside that block. */
function cidrProblems(scope: string, ip: unknown, prefix: unknown, within?: Ipv4Cidr): string[] {
  if (typeof ip !== 'string' || typeof prefix !== 'number') return [`${scope}.ip/${scope}.prefix: missing`];
  let cidr: Ipv4Cidr;
  try {
    cidr = cidrFrom(ip, prefix);
  } catch (err) {
    return [`${scope}.ip/${scope}.prefix: ${JSON.stringify(`${ip}/${prefix}`)} is not a network address: ${err instanceof Ipv4FormatError ? err.rule : String(err)}`];
  }
  if (within !== undefined && !cidrContains(within, cidr)) return [`${scope}.ip/${scope}.prefix: ${ip}/${prefix} is not inside ${formatIpv4(within.network)}/${within.prefix}`];
  return [];
}

const isKey = (v: unknown): v is string => typeof v === 'string' && v !== '';
const vniOk = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_VNI;
const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** What is wrong with a VPC as answered (empty when it is a well-formed held VPC). */
export function vpcProblems(v: unknown): string[] {
  if (v === null || typeof v !== 'object') return ['the answer carries no vpc'];
  const o = v as Record<string, unknown>;
  const out: string[] = [];
  if (!isKey(o.id)) out.push(`vpc.id: ${JSON.stringify(o.id)} is no key`);
  if (!vniOk(o.vni)) out.push(`vpc.vni: ${JSON.stringify(o.vni)} is outside 1..${MAX_VNI}`);
  out.push(...cidrProblems('vpc', o.ip, o.prefix));
  return out;
}

/** What is wrong with a subnet as answered in `vpc` (as held). */
export function subnetProblems(s: unknown, vpc: Vpc__Output): string[] {
  if (s === null || typeof s !== 'object') return ['the answer carries no subnet'];
  const o = s as Record<string, unknown>;
  const out: string[] = [];
  if (!isKey(o.id)) out.push(`subnet.id: ${JSON.stringify(o.id)} is no key`);
  if (o.vpc !== vpc.id) out.push(`subnet.vpc: ${JSON.stringify(o.vpc)} is not the VPC's key ${JSON.stringify(vpc.id)}`);
  if (!vniOk(o.vni)) out.push(`subnet.vni: ${JSON.stringify(o.vni)} is outside 1..${MAX_VNI} (asked 0, the answer carries the VNI in force)`);
  let vpcCidr: Ipv4Cidr | undefined;
  try {
    vpcCidr = cidrFrom(vpc.ip, vpc.prefix);
  } catch {
    vpcCidr = undefined; // reported by vpc.create.answer
  }
  out.push(...cidrProblems('subnet', o.ip, o.prefix, vpcCidr));
  return out;
}

/** What is wrong with a node as answered. */
export function nodeProblems(n: unknown): string[] {
  if (n === null || typeof n !== 'object') return ['the answer carries no node'];
  const o = n as Record<string, unknown>;
  const out: string[] = [];
  if (!isKey(o.name)) out.push(`node.name: ${JSON.stringify(o.name)} is no key`);
  if (typeof o.ip !== 'string') out.push('node.ip: missing');
  else {
    try {
      parseIpv4(o.ip);
    } catch (err) {
      out.push(`node.ip: ${JSON.stringify(o.ip)} is no dotted IPv4: ${err instanceof Ipv4FormatError ? err.rule : String(err)}`);
    }
  }
  if (typeof o.mac !== 'string' || !MAC_RE.test(o.mac)) out.push(`node.mac: ${JSON.stringify(o.mac)} is not six colon-separated hex octets`);
  else if ((parseInt(o.mac.slice(0, 2), 16) & 1) === 1) out.push(`node.mac: ${o.mac} is a multicast MAC`);
  return out;
}

const problemsVerdict = (problems: string[]): ConformanceVerdict => (problems.length === 0 ? PASS : fail(problems.join('; ')));

/** OK, and the answer's object equal to `held`: the provider still holds what it answered before. */
function expectSame(kind: 'vpc' | 'subnet' | 'node', o: ConformanceOutcome, held: unknown, what: string): ConformanceVerdict {
  if (!o.ok) return fail(`answered ${o.code}; expected OK with ${what}`);
  const got = o.answer[kind];
  return sameObject(kind, got, held) ? PASS : fail(`answered ${canonicalJson(got)}, not ${what} ${canonicalJson(held)}`);
}

// ---------------------------------------------------------------------------------------------
// The steps.

/** One call of the suite and how to judge its outcome. */
export interface ConformanceStep {
  /** The rule the call checks. */
  readonly rule: string;
  /** The call to make, or why it cannot be made (a rule it depends on did not give what it needs). */
  call(ctx: ConformanceContext): ConformanceCall | { readonly skip: string };
  /** The verdict on the outcome; may record what the answer showed into `ctx`. */
  judge(o: ConformanceOutcome, ctx: ConformanceContext): ConformanceVerdict;
}

const needs = <T>(value: T | undefined, what: string): T | { skip: string } => (value === undefined ? { skip: `needs ${what}, which an earlier call did not give` } : value);
const isSkip = (v: unknown): v is { skip: string } => typeof v === 'object' && v !== null && 'skip' in v && Object.keys(v).length === 1;

/** The request of a subnet in the VPC as answered. */
const subnetIn = (ctx: ConformanceContext, vpc: Vpc__Output, over: Partial<Subnet> = {}): Subnet => ({ ...ctx.fixture.subnet, vpc: vpc.id, ...over });

function invalidSteps(kind: 'vpc' | 'subnet' | 'node', cases: readonly InvalidCase[], request: (c: string, key: string, ctx: ConformanceContext) => Record<string, unknown> | { skip: string }): ConformanceStep[] {
  return cases.map((c) => ({
    rule: `${kind}.create.invalid.${c.id}`,
    call: (ctx) => {
      const r = request(c.id, ctx.fixture.invalidKeys[`${kind}.${c.id}`]!, ctx);
      if (isSkip(r)) return r;
      return { method: kind === 'vpc' ? 'CreateVpc' : kind === 'subnet' ? 'CreateSubnet' : 'CreateNode', request: r };
    },
    judge: (o) => judgeInvalid(o, c.field),
  }));
}

function vpcInvalidRequest(c: string, key: string, ctx: ConformanceContext): Record<string, unknown> {
  const base = { ...ctx.fixture.vpcA, id: key };
  switch (c) {
    case 'missing':
      return {};
    case 'empty-id':
      return { vpc: { ...base, id: '' } };
    case 'vni-zero':
      return { vpc: { ...base, vni: 0 } };
    case 'vni-too-big':
      return { vpc: { ...base, vni: MAX_VNI + 1 } };
    case 'host-bits':
      return { vpc: { ...base, ip: base.ip.replace(/\.0$/, '.1') } };
    case 'prefix-33':
      return { vpc: { ...base, prefix: 33 } };
    default:
      return { vpc: { ...base, ip: '10.0.0.300' } };
  }
}

function subnetInvalidRequest(c: string, key: string, ctx: ConformanceContext): Record<string, unknown> | { skip: string } {
  const vpc = needs(ctx.vpcA, 'VPC a (vpc.create.answer)');
  if (isSkip(vpc)) return vpc;
  const base = subnetIn(ctx, vpc, { id: key });
  switch (c) {
    case 'missing':
      return {};
    case 'empty-id':
      return { subnet: { ...base, id: '' } };
    case 'vni-too-big':
      return { subnet: { ...base, vni: MAX_VNI + 1 } };
    case 'host-bits':
      return { subnet: { ...base, ip: ctx.fixture.subnetOtherCidr.ip.replace(/\.0$/, '.1'), prefix: ctx.fixture.subnetOtherCidr.prefix } };
    default:
      return { subnet: { ...base, ...ctx.fixture.subnetOutsideCidr } };
  }
}

function nodeInvalidRequest(c: string, key: string, ctx: ConformanceContext): Record<string, unknown> {
  const base = { ...ctx.fixture.node, name: key };
  switch (c) {
    case 'missing':
      return {};
    case 'empty-name':
      return { node: { ...base, name: '' } };
    case 'bad-ip':
      return { node: { ...base, ip: '100.64.0.256' } };
    case 'multicast-mac':
      return { node: { ...base, mac: '01:00:5e:00:00:01' } };
    default:
      return { node: { ...base, mac: '02:00:00:00:00' } };
  }
}

const sameMap = (a: unknown, b: unknown): boolean => canonicalJson(a ?? {}) === canonicalJson(b ?? {});

/** The checks of an Update's answer: OK, the key kept, each field as asked where the provider takes it. */
function judgeUpdated(kind: 'vpc' | 'subnet' | 'node', o: ConformanceOutcome, asked: Record<string, unknown>, held: Record<string, unknown>, ctx: ConformanceContext, keep: readonly string[]): ConformanceVerdict {
  if (!o.ok) return fail(`answered ${o.code}; expected OK with the ${kind} as held after the update`);
  const got = o.answer[kind] as Record<string, unknown> | undefined;
  const problems = kind === 'vpc' ? vpcProblems(got) : kind === 'node' ? nodeProblems(got) : subnetProblems(got, ctx.vpcA!);
  if (problems.length > 0) return fail(problems.join('; '));
  for (const field of keep) {
    if (canonicalJson(got![field]) !== canonicalJson(held[field])) problems.push(`${kind}.${field}: ${canonicalJson(got![field])} changed from ${canonicalJson(held[field])}, which the update did not ask`);
  }
  if (ctx.honours.optional === true && !sameMap(got!.optional, asked.optional)) {
    problems.push(`${kind}.optional: answered ${canonicalJson(got!.optional)}, not the updated ${canonicalJson(asked.optional)} (the provider held the optional map as asked on create)`);
  }
  return problemsVerdict(problems);
}

/** Records from a Create answer which asked values the provider holds as asked. */
function learnHonours(ctx: ConformanceContext, kind: 'vpc' | 'node', asked: Record<string, unknown>, got: Record<string, unknown>): void {
  ctx.honours.optional ??= sameMap(got.optional, asked.optional);
  ctx.honours.scenario ??= got.scenario === asked.scenario;
  if (kind === 'vpc') ctx.honours.vpcVni ??= got.vni === asked.vni;
  if (kind === 'node') {
    ctx.honours.nodeIp ??= got.ip === asked.ip;
    ctx.honours.nodeMac ??= typeof got.mac === 'string' && got.mac.toLowerCase() === String(asked.mac).toLowerCase();
  }
}

const notHonoured = (what: string, asked: unknown, got: unknown) =>
  ({ skip: `the provider chooses the ${what} itself (asked ${canonicalJson(asked)}, answered ${canonicalJson(got)}): the asked value is no field it holds` }) as const;

/** A GetState call; skipped when the state service is not served. */
const getState = (ctx: ConformanceContext): ConformanceCall | { skip: string } =>
  ctx.stateServed ? { method: 'GetState', request: {} } : { skip: 'the plugin does not serve GetState (optional)' };

/**
 * What is wrong with a GetState answer. `held`: it lacks an object the suite holds (or holds it
 * otherwise than last answered), a list is not sorted by key, or the revision did not grow.
 * `deleted`: it still holds one of the suite's four objects after their deletes. `clean`: it still
 * holds any key with the suite's prefix (after the cleanup).
 */
export function stateProblems(state: Record<string, unknown>, ctx: ConformanceContext, mode: 'held' | 'deleted' | 'clean'): string[] {
  const problems: string[] = [];
  const f = ctx.fixture;
  const lists = { vpcs: 'id', subnets: 'id', nodes: 'name' } as const;
  const gone = new Set([f.vpcA.id, f.vpcB.id, f.subnet.id, f.node.name, ctx.vpcA?.id, ctx.vpcB?.id, ctx.subnet?.id, ctx.node?.name]);
  for (const [list, key] of Object.entries(lists)) {
    const items = Array.isArray(state[list]) ? (state[list] as Record<string, unknown>[]) : [];
    const keys = items.map((i) => String(i[key]));
    if (mode === 'held') {
      const sorted = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      if (canonicalJson(keys) !== canonicalJson(sorted)) problems.push(`${list}: not sorted by ${key} (${keys.join(', ')})`);
      continue;
    }
    const left = keys.filter((k) => (mode === 'clean' ? k.startsWith(`${f.prefix}-`) : gone.has(k)));
    if (left.length > 0) problems.push(`${list}: still holds ${left.join(', ')}`);
  }
  if (mode === 'held') {
    const expect: Array<['vpc' | 'subnet' | 'node', string, string, Record<string, unknown> | undefined]> = [
      ['vpc', 'vpcs', 'id', ctx.vpcA as Record<string, unknown> | undefined],
      ['vpc', 'vpcs', 'id', ctx.vpcB as Record<string, unknown> | undefined],
      ['subnet', 'subnets', 'id', ctx.subnet as Record<string, unknown> | undefined],
      ['node', 'nodes', 'name', ctx.node as Record<string, unknown> | undefined],
    ];
    for (const [kind, list, key, held] of expect) {
      if (held === undefined) continue;
      const items = Array.isArray(state[list]) ? (state[list] as Record<string, unknown>[]) : [];
      const found = items.find((i) => i[key] === held[key]);
      if (found === undefined) problems.push(`${list}: lacks ${String(held[key])}`);
      else if (!sameObject(kind, found, held)) problems.push(`${list}: holds ${canonicalJson(found)}, not the last answer ${canonicalJson(held)}`);
    }
    const revision = Number(state.revision ?? 0);
    if (ctx.initialRevision !== undefined && !(revision > ctx.initialRevision)) problems.push(`revision: ${revision} did not grow from ${ctx.initialRevision} although the plugin accepted changes`);
  }
  return problems;
}

/** The suite, in order. Later steps use the keys earlier answers gave (Merak builds with the answer). */
export const CONFORMANCE_STEPS: readonly ConformanceStep[] = [
  // Deletes of what never existed: first, so nothing of the suite's can be in the way.
  { rule: 'vpc.delete.missing', call: (c) => ({ method: 'DeleteVpc', request: { id: c.fixture.missingKey, scenario: c.fixture.scenario } }), judge: (o) => expectOk(o) },
  { rule: 'subnet.delete.missing', call: (c) => ({ method: 'DeleteSubnet', request: { id: c.fixture.missingKey, scenario: c.fixture.scenario } }), judge: (o) => expectOk(o) },
  { rule: 'node.delete.missing', call: (c) => ({ method: 'DeleteNode', request: { name: c.fixture.missingKey, scenario: c.fixture.scenario } }), judge: (o) => expectOk(o) },

  ...invalidSteps('vpc', VPC_INVALID, vpcInvalidRequest),

  {
    rule: 'vpc.create.answer',
    call: (c) => ({ method: 'CreateVpc', request: { vpc: c.fixture.vpcA } }),
    judge: (o, c) => {
      if (!o.ok) return fail(`answered ${o.code}; expected OK with the VPC as held`);
      const v = problemsVerdict(vpcProblems(o.answer.vpc));
      if (v.status === 'pass') {
        c.vpcA = o.answer.vpc as Vpc__Output;
        learnHonours(c, 'vpc', c.fixture.vpcA, o.answer.vpc as Record<string, unknown>);
      }
      return v;
    },
  },
  {
    rule: 'vpc.create.answer',
    call: (c) => ({ method: 'CreateVpc', request: { vpc: c.fixture.vpcB } }),
    judge: (o, c) => {
      if (!o.ok) return fail(`answered ${o.code}; expected OK with the VPC as held (a second VPC with the same CIDR: VPCs are isolated, address space may repeat)`);
      const problems = vpcProblems(o.answer.vpc);
      const b = o.answer.vpc as Vpc__Output;
      if (problems.length === 0 && c.vpcA !== undefined && b.vni === c.vpcA.vni) problems.push(`vpc.vni: ${b.vni} is VPC ${c.vpcA.id}'s VNI too; two VPCs on one VNI share a broadcast domain`);
      if (problems.length === 0 && c.vpcA !== undefined && b.id === c.vpcA.id) problems.push(`vpc.id: ${b.id} is VPC a's key too`);
      if (problems.length === 0) c.vpcB = b;
      return problemsVerdict(problems);
    },
  },
  {
    rule: 'vpc.create.idempotent',
    call: (c) => {
      const a = needs(c.vpcA, 'VPC a (vpc.create.answer)');
      return isSkip(a) ? a : { method: 'CreateVpc', request: { vpc: c.fixture.vpcA } };
    },
    judge: (o, c) => expectSame('vpc', o, c.vpcA, 'the VPC the first CreateVpc answered'),
  },
  {
    rule: 'vpc.create.conflict',
    call: (c) => {
      const a = needs(c.vpcA, 'VPC a (vpc.create.answer)');
      return isSkip(a) ? a : { method: 'CreateVpc', request: { vpc: { ...c.fixture.vpcA, prefix: 17 } } };
    },
    judge: (o) => expectCode(o, 'ALREADY_EXISTS'),
  },
  {
    rule: 'vpc.create.conflict-vni',
    call: (c) => {
      const a = needs(c.vpcA, 'VPC a (vpc.create.answer)');
      if (isSkip(a)) return a;
      if (c.honours.vpcVni !== true) return notHonoured('VNI', c.fixture.vpcA.vni, a.vni);
      return { method: 'CreateVpc', request: { vpc: { ...c.fixture.vpcA, vni: c.fixture.spareVni } } };
    },
    judge: (o) => expectCode(o, 'ALREADY_EXISTS'),
  },
  {
    rule: 'vpc.create.vni-in-use',
    call: (c) => {
      const a = needs(c.vpcA, 'VPC a (vpc.create.answer)');
      if (isSkip(a)) return a;
      if (c.honours.vpcVni !== true) return notHonoured('VNI', c.fixture.vpcA.vni, a.vni);
      return { method: 'CreateVpc', request: { vpc: { ...c.fixture.vpcA, id: c.fixture.refusedKeys.vpcSameVni, vni: a.vni } } };
    },
    judge: (o) => expectCode(o, 'ALREADY_EXISTS'),
  },
  { rule: 'vpc.update.not-found', call: (c) => ({ method: 'UpdateVpc', request: { vpc: { ...c.fixture.vpcA, id: c.fixture.missingKey } } }), judge: (o) => expectCode(o, 'NOT_FOUND') },
  {
    rule: 'vpc.update.applies',
    call: (c) => {
      const a = needs(c.vpcA, 'VPC a (vpc.create.answer)');
      return isSkip(a) ? a : { method: 'UpdateVpc', request: { vpc: { ...a, optional: { 'merak-conformance': 'a-updated' } } } };
    },
    judge: (o, c) => {
      const v = judgeUpdated('vpc', o, { optional: { 'merak-conformance': 'a-updated' } }, c.vpcA as unknown as Record<string, unknown>, c, ['id', 'vni', 'ip', 'prefix']);
      if (v.status === 'pass' && o.ok) c.vpcA = o.answer.vpc as Vpc__Output;
      return v;
    },
  },

  {
    rule: 'subnet.create.needs-vpc',
    call: (c) => ({ method: 'CreateSubnet', request: { subnet: { ...c.fixture.subnet, id: c.fixture.refusedKeys.subnetOrphan, vpc: c.fixture.missingKey } } }),
    judge: (o) => expectCode(o, 'FAILED_PRECONDITION'),
  },
  ...invalidSteps('subnet', SUBNET_INVALID, subnetInvalidRequest),
  {
    rule: 'subnet.create.answer',
    call: (c) => {
      const a = needs(c.vpcA, 'VPC a (vpc.create.answer)');
      return isSkip(a) ? a : { method: 'CreateSubnet', request: { subnet: subnetIn(c, a) } };
    },
    judge: (o, c) => {
      if (!o.ok) return fail(`answered ${o.code}; expected OK with the subnet as held`);
      const v = problemsVerdict(subnetProblems(o.answer.subnet, c.vpcA!));
      if (v.status === 'pass') c.subnet = o.answer.subnet as Subnet__Output;
      return v;
    },
  },
  {
    rule: 'subnet.create.idempotent',
    call: (c) => {
      const s = needs(c.subnet, 'the subnet (subnet.create.answer)');
      return isSkip(s) ? s : { method: 'CreateSubnet', request: { subnet: subnetIn(c, c.vpcA!) } };
    },
    judge: (o, c) => expectSame('subnet', o, c.subnet, 'the subnet the first CreateSubnet answered'),
  },
  {
    rule: 'subnet.create.conflict',
    call: (c) => {
      const s = needs(c.subnet, 'the subnet (subnet.create.answer)');
      return isSkip(s) ? s : { method: 'CreateSubnet', request: { subnet: subnetIn(c, c.vpcA!, c.fixture.subnetOtherCidr) } };
    },
    judge: (o) => expectCode(o, 'ALREADY_EXISTS'),
  },
  {
    rule: 'subnet.create.overlap',
    call: (c) => {
      const s = needs(c.subnet, 'the subnet (subnet.create.answer)');
      return isSkip(s) ? s : { method: 'CreateSubnet', request: { subnet: subnetIn(c, c.vpcA!, { id: c.fixture.refusedKeys.subnetOverlap, ...c.fixture.subnetOverlapCidr }) } };
    },
    judge: (o) => expectCode(o, 'ALREADY_EXISTS'),
  },
  {
    rule: 'subnet.update.not-found',
    call: (c) => {
      const a = needs(c.vpcA, 'VPC a (vpc.create.answer)');
      return isSkip(a) ? a : { method: 'UpdateSubnet', request: { subnet: subnetIn(c, a, { id: c.fixture.missingKey }) } };
    },
    judge: (o) => expectCode(o, 'NOT_FOUND'),
  },
  {
    rule: 'subnet.update.applies',
    call: (c) => {
      const s = needs(c.subnet, 'the subnet (subnet.create.answer)');
      return isSkip(s) ? s : { method: 'UpdateSubnet', request: { subnet: { ...s, optional: { 'merak-conformance': '1-updated' } } } };
    },
    judge: (o, c) => {
      const v = judgeUpdated('subnet', o, { optional: { 'merak-conformance': '1-updated' } }, c.subnet as unknown as Record<string, unknown>, c, ['id', 'vpc', 'vni', 'ip', 'prefix']);
      if (v.status === 'pass' && o.ok) c.subnet = o.answer.subnet as Subnet__Output;
      return v;
    },
  },
  {
    rule: 'subnet.update.no-move',
    call: (c) => {
      const s = needs(c.subnet, 'the subnet (subnet.create.answer)');
      if (isSkip(s)) return s;
      const b = needs(c.vpcB, 'VPC b (vpc.create.answer)');
      return isSkip(b) ? b : { method: 'UpdateSubnet', request: { subnet: { ...s, vpc: b.id } } };
    },
    judge: (o) => {
      if (o.ok) return fail('answered OK; a subnet cannot move to another VPC (expected FAILED_PRECONDITION or INVALID_ARGUMENT)');
      return o.code === 'FAILED_PRECONDITION' || o.code === 'INVALID_ARGUMENT' ? PASS : fail(`answered ${o.code}; expected FAILED_PRECONDITION (or INVALID_ARGUMENT)`);
    },
  },
  {
    rule: 'subnet.update.no-move',
    call: (c) => {
      const s = needs(c.subnet, 'the subnet (subnet.create.answer)');
      return isSkip(s) ? s : { method: 'CreateSubnet', request: { subnet: { ...subnetIn(c, c.vpcA!), optional: s.optional } } };
    },
    judge: (o, c) => expectSame('subnet', o, c.subnet, 'the subnet still in its VPC'),
  },
  {
    rule: 'vpc.delete.has-subnets',
    call: (c) => {
      const s = needs(c.subnet, 'the subnet (subnet.create.answer)');
      return isSkip(s) ? s : { method: 'DeleteVpc', request: { id: c.vpcA!.id, scenario: c.fixture.scenario } };
    },
    judge: (o) => expectCode(o, 'FAILED_PRECONDITION'),
  },
  {
    rule: 'vpc.delete.has-subnets',
    call: (c) => {
      const s = needs(c.subnet, 'the subnet (subnet.create.answer)');
      return isSkip(s) ? s : { method: 'CreateVpc', request: { vpc: { ...c.fixture.vpcA, optional: c.vpcA!.optional } } };
    },
    judge: (o, c) => expectSame('vpc', o, c.vpcA, 'the VPC still held'),
  },

  ...invalidSteps('node', NODE_INVALID, nodeInvalidRequest),
  {
    rule: 'node.create.answer',
    call: (c) => ({ method: 'CreateNode', request: { node: c.fixture.node }, prepareNode: c.fixture.node }),
    judge: (o, c) => {
      if (!o.ok) return fail(`answered ${o.code}; expected OK with the node as held`);
      const problems = nodeProblems(o.answer.node);
      const n = o.answer.node as Node__Output;
      if (problems.length === 0 && n.name !== c.fixture.node.name) problems.push(`node.name: ${JSON.stringify(n.name)} is not the asked ${JSON.stringify(c.fixture.node.name)} (node names are Merak's keys)`);
      if (problems.length === 0) {
        c.node = n;
        learnHonours(c, 'node', c.fixture.node, n as unknown as Record<string, unknown>);
      }
      return problemsVerdict(problems);
    },
  },
  {
    rule: 'node.create.idempotent',
    call: (c) => {
      const n = needs(c.node, 'the node (node.create.answer)');
      return isSkip(n) ? n : { method: 'CreateNode', request: { node: c.fixture.node } };
    },
    judge: (o, c) => expectSame('node', o, c.node, 'the node the first CreateNode answered'),
  },
  {
    rule: 'node.create.conflict-ip',
    call: (c) => {
      const n = needs(c.node, 'the node (node.create.answer)');
      if (isSkip(n)) return n;
      if (c.honours.nodeIp !== true) return notHonoured('node IP', c.fixture.node.ip, n.ip);
      return { method: 'CreateNode', request: { node: { ...c.fixture.node, ip: c.fixture.spareNodeIp } } };
    },
    judge: (o) => expectCode(o, 'ALREADY_EXISTS'),
  },
  {
    rule: 'node.create.conflict-mac',
    call: (c) => {
      const n = needs(c.node, 'the node (node.create.answer)');
      if (isSkip(n)) return n;
      if (c.honours.nodeMac !== true) return notHonoured('node MAC', c.fixture.node.mac, n.mac);
      return { method: 'CreateNode', request: { node: { ...c.fixture.node, mac: c.fixture.spareNodeMac } } };
    },
    judge: (o) => expectCode(o, 'ALREADY_EXISTS'),
  },
  { rule: 'node.update.not-found', call: (c) => ({ method: 'UpdateNode', request: { node: { ...c.fixture.node, name: c.fixture.missingKey } } }), judge: (o) => expectCode(o, 'NOT_FOUND') },
  {
    rule: 'node.update.applies',
    call: (c) => {
      const n = needs(c.node, 'the node (node.create.answer)');
      return isSkip(n) ? n : { method: 'UpdateNode', request: { node: { ...n, optional: { 'merak-conformance': 'n-updated' } } } };
    },
    judge: (o, c) => {
      const v = judgeUpdated('node', o, { optional: { 'merak-conformance': 'n-updated' } }, c.node as unknown as Record<string, unknown>, c, ['name', 'ip', 'mac']);
      if (v.status === 'pass' && o.ok) c.node = o.answer.node as Node__Output;
      return v;
    },
  },

  {
    rule: 'owner.create',
    call: (c) => ownerCall(c, () => ({ method: 'CreateVpc', request: { vpc: { ...c.fixture.vpcA, optional: c.vpcA!.optional, scenario: c.fixture.otherScenario } } })),
    judge: (o) => expectCode(o, 'ALREADY_EXISTS'),
  },
  {
    rule: 'owner.update',
    call: (c) => ownerCall(c, () => ({ method: 'UpdateVpc', request: { vpc: { ...c.vpcA!, optional: { 'merak-conformance': 'other' }, scenario: c.fixture.otherScenario } } })),
    judge: (o) => expectCode(o, 'ALREADY_EXISTS'),
  },
  {
    rule: 'owner.delete',
    call: (c) => {
      const s = needs(c.subnet, 'the subnet (subnet.create.answer)');
      return isSkip(s) ? s : ownerCall(c, () => ({ method: 'DeleteSubnet', request: { id: s.id, scenario: c.fixture.otherScenario } }));
    },
    judge: (o) => expectOk(o),
  },
  {
    rule: 'owner.delete',
    call: (c) => {
      const s = needs(c.subnet, 'the subnet (subnet.create.answer)');
      return isSkip(s) ? s : ownerCall(c, () => ({ method: 'CreateSubnet', request: { subnet: { ...subnetIn(c, c.vpcA!), optional: s.optional } } }));
    },
    judge: (o, c) => expectSame('subnet', o, c.subnet, "the subnet, left alone by another scenario's delete"),
  },

  {
    rule: 'state.matches',
    call: getState,
    judge: (o, c) => (o.ok ? problemsVerdict(stateProblems(o.answer, c, 'held')) : fail(`answered ${o.code}; the first GetState was served`)),
  },

  ...deleteSteps('subnet', (c) => c.subnet?.id ?? c.fixture.subnet.id, (c) => ({ method: 'UpdateSubnet', request: { subnet: c.subnet ?? { ...c.fixture.subnet, vpc: c.vpcA?.id ?? c.fixture.vpcA.id } } })),
  ...deleteSteps('vpc', (c) => c.vpcA?.id ?? c.fixture.vpcA.id, (c) => ({ method: 'UpdateVpc', request: { vpc: c.vpcA ?? c.fixture.vpcA } })),
  ...deleteSteps('vpc', (c) => c.vpcB?.id ?? c.fixture.vpcB.id, (c) => ({ method: 'UpdateVpc', request: { vpc: c.vpcB ?? c.fixture.vpcB } })),
  ...deleteSteps('node', (c) => c.node?.name ?? c.fixture.node.name, (c) => ({ method: 'UpdateNode', request: { node: c.node ?? c.fixture.node } })),

  {
    rule: 'state.after-delete',
    call: getState,
    judge: (o, c) => (o.ok ? problemsVerdict(stateProblems(o.answer, c, 'deleted')) : fail(`answered ${o.code}; the first GetState was served`)),
  },
];

/** A call of an owner rule: skipped for providers that keep no owners. */
function ownerCall(c: ConformanceContext, make: () => ConformanceCall): ConformanceCall | { skip: string } {
  const a = needs(c.vpcA, 'VPC a (vpc.create.answer)');
  if (isSkip(a)) return a;
  if (c.honours.scenario !== true) return { skip: `the provider keeps no owners (asked scenario ${JSON.stringify(c.fixture.scenario)}, answered ${JSON.stringify(a.scenario)}); the field is optional for providers` };
  return make();
}

/**
 * Delete, then Update answers NOT_FOUND, then Delete again succeeds. Keyed by the key the Create
 * answered, or the asked key when no well-formed answer came (the object may exist all the same).
 */
function deleteSteps(kind: 'vpc' | 'subnet' | 'node', key: (c: ConformanceContext) => string, update: (c: ConformanceContext) => ConformanceCall): ConformanceStep[] {
  const rule = `${kind}.delete.removes`;
  const method: ConformanceMethod = kind === 'vpc' ? 'DeleteVpc' : kind === 'subnet' ? 'DeleteSubnet' : 'DeleteNode';
  const del = (c: ConformanceContext): ConformanceCall => ({ method, request: { [kind === 'node' ? 'name' : 'id']: key(c), scenario: c.fixture.scenario } });
  return [
    { rule, call: del, judge: (o) => expectOk(o) },
    { rule, call: update, judge: (o) => expectCode(o, 'NOT_FOUND') },
    { rule, call: del, judge: (o) => expectOk(o) },
  ];
}

/**
 * Deletes that remove everything the suite may have made: subnets first, then VPCs, then nodes,
 * each key sent in a Create or answered by one, each naming the suite's scenario (a provider that
 * keeps owners then never deletes another scenario's object).
 */
export function cleanupCalls(created: { readonly vpcs: Iterable<string>; readonly subnets: Iterable<string>; readonly nodes: Iterable<string> }, scenario: string): ConformanceCall[] {
  const keys = (it: Iterable<string>) => [...new Set(it)].filter((k) => k !== '').sort();
  return [
    ...keys(created.subnets).map((id) => ({ method: 'DeleteSubnet' as const, request: { id, scenario } })),
    ...keys(created.vpcs).map((id) => ({ method: 'DeleteVpc' as const, request: { id, scenario } })),
    ...keys(created.nodes).map((name) => ({ method: 'DeleteNode' as const, request: { name, scenario } })),
  ];
}

/**
 * The keys a Create or Update call asked for and, when it succeeded, the key its answer carries:
 * what the cleanup must delete (an Update that wrongly creates is cleaned up too).
 */
export function createdKeys(call: ConformanceCall, o: ConformanceOutcome): { kind: 'vpcs' | 'subnets' | 'nodes'; keys: string[] } | undefined {
  const spec = {
    CreateVpc: ['vpcs', 'vpc', 'id'],
    UpdateVpc: ['vpcs', 'vpc', 'id'],
    CreateSubnet: ['subnets', 'subnet', 'id'],
    UpdateSubnet: ['subnets', 'subnet', 'id'],
    CreateNode: ['nodes', 'node', 'name'],
    UpdateNode: ['nodes', 'node', 'name'],
  } as const;
  const s = (spec as Record<string, readonly ['vpcs' | 'subnets' | 'nodes', string, string]>)[call.method];
  if (s === undefined) return undefined;
  const [kind, field, key] = s;
  const keys: string[] = [];
  const asked = (call.request[field] as Record<string, unknown> | undefined)?.[key];
  if (typeof asked === 'string') keys.push(asked);
  const answered = o.ok ? (o.answer[field] as Record<string, unknown> | undefined)?.[key] : undefined;
  if (typeof answered === 'string') keys.push(answered);
  return { kind, keys };
}

/** Whether a step's outcome counts as success for `expectOk(o)`. */
export { answerText as conformanceAnswerText };

// ---------------------------------------------------------------------------------------------
// Results.

/** One call as made and judged. */
export interface ConformanceCallRecord {
  readonly method: ConformanceMethod;
  readonly request: Record<string, unknown>;
  readonly outcome: ConformanceOutcome;
  readonly verdict: ConformanceVerdict;
}

/** What the runner noted for one step: the call made and judged, or why it was not made. */
export interface ConformanceStepRecord {
  readonly rule: string;
  readonly record?: ConformanceCallRecord;
  readonly skip?: string;
}

/** A rule's result: its verdict and the calls that decided it. */
export interface ConformanceRuleResult {
  readonly rule: ConformanceRule;
  readonly status: 'pass' | 'fail' | 'skip';
  /** Why it failed or was skipped (the first failing call's reason). */
  readonly reason?: string;
  /** The failing call (its request and answer), when it failed on a call. */
  readonly failed?: ConformanceCallRecord;
  readonly calls: readonly ConformanceCallRecord[];
}

/** A whole run. */
export interface ConformanceReport {
  readonly address: string;
  readonly prefix: string;
  readonly results: readonly ConformanceRuleResult[];
  readonly counts: { readonly pass: number; readonly fail: number; readonly skip: number };
  /** True when no rule failed. */
  readonly passed: boolean;
}

/**
 * Folds per-call verdicts into per-rule results, in the order of CONFORMANCE_RULES: a rule fails
 * when any of its calls failed, passes when at least one passed and none failed, and is skipped
 * otherwise (every call skipped, or no call made).
 */
export function summarizeConformance(address: string, prefix: string, records: ReadonlyArray<ConformanceStepRecord>): ConformanceReport {
  const results: ConformanceRuleResult[] = CONFORMANCE_RULES.map((rule) => {
    const mine = records.filter((r) => r.rule === rule.id);
    const calls = mine.flatMap((r) => (r.record ? [r.record] : []));
    const failed = calls.find((c) => c.verdict.status === 'fail');
    if (failed !== undefined && failed.verdict.status === 'fail') return { rule, status: 'fail', reason: failed.verdict.reason, failed, calls };
    if (calls.some((c) => c.verdict.status === 'pass')) return { rule, status: 'pass', calls };
    const skipped = mine.map((r) => r.skip ?? (r.record?.verdict.status === 'skip' ? r.record.verdict.reason : undefined)).find((x) => x !== undefined);
    return { rule, status: 'skip', reason: skipped ?? 'no call was made for this rule', calls };
  });
  const counts = { pass: 0, fail: 0, skip: 0 };
  for (const r of results) counts[r.status] += 1;
  return { address, prefix, results, counts, passed: counts.fail === 0 };
}

/** The report as text: one line per rule (PASS/FAIL/SKIP), each failure with its request and answer. */
export function renderConformanceText(report: ConformanceReport): string {
  const lines: string[] = [];
  const width = Math.max(...report.results.map((r) => r.rule.id.length));
  for (const r of report.results) {
    lines.push(`${r.status.toUpperCase().padEnd(4)}  ${r.rule.id.padEnd(width)}  ${r.rule.title}`);
    if (r.status === 'fail') {
      lines.push(`      why:      ${r.reason ?? ''}`);
      if (r.failed) {
        lines.push(`      request:  ${r.failed.method} ${canonicalJson(r.failed.request)}`);
        lines.push(`      answer:   ${answerText(r.failed.outcome)}`);
      }
      lines.push(`      rule:     ${r.rule.source}`);
    } else if (r.status === 'skip') {
      lines.push(`      why:      ${r.reason ?? ''}`);
    }
  }
  lines.push(`plugin ${report.address}, the suite's objects ${report.prefix}-* (scenario ${report.prefix})`);
  lines.push(`${report.counts.pass} passed, ${report.counts.fail} failed, ${report.counts.skip} skipped`);
  return `${lines.join('\n')}\n`;
}
