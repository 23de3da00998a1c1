/**
 * The scenario spec: the desired state of one emulated cloud.
 *
 * One schema (zod) gives both the validation and the TypeScript types. YAML and JSON carry the
 * same document. `parseSpec` runs the shape checks and then the cross-field rules (overlaps,
 * containment, capacity, uniqueness); every problem is reported with its field path, the value
 * and the rule, all at once, before anything is built. Pure: the workflow validates with it too.
 */
import type { z as Z } from 'zod';
import { cidrContains, cidrsOverlap, parseCidr, Ipv4FormatError, type Ipv4Cidr, isIpv4 } from './ipv4';
import { capacity, MAX_SUBNET_PREFIX, underlayCapacity } from './ipam';
import { MAX_ENDPOINTS_PER_VM, MAX_NODE_SLOT, MAX_VM_INDEX } from './mac';
import { MAX_NODE_NAME_LENGTH, MAX_SCENARIO_NAME_LENGTH, NODE_RE, OBJECT_ID_RE } from './names';
import { DEFAULT_UNDERLAY_MTU, MAX_MTU, MAX_VNI, MIN_ENDPOINT_MTU, MIN_UNDERLAY_MTU } from './limits';
import { nodeIdentityIssues, rangeIssues } from './address-rules';
import { REACHABILITY_SETTING_RE, REACHABILITY_SETTING_RULE, SLA_OPERATION_KINDS, type ReachabilitySetting } from './sla';

export { MAX_VNI };
/** Upper bound of VMs on one node; also what the MAC layout can address. */
export const MAX_VMS_PER_NODE = Math.min(1_000_000, MAX_VM_INDEX + 1);
/** Upper bound of nodes in one scenario; also what the MAC layout can address. */
export const MAX_NODES = Math.min(10_000, MAX_NODE_SLOT + 1);
/** Default underlay for local nodes: only ever configured inside the fabric and node namespaces. */
export const DEFAULT_UNDERLAY_CIDR = '100.64.0.0/16';

export const TEST_KINDS = ['icmp', 'tcp', 'udp', 'iperf'] as const;
export type TestKind = (typeof TEST_KINDS)[number];
export const PLACEMENTS = ['uniform', 'assign', 'skew', 'random'] as const;
export type Placement = (typeof PLACEMENTS)[number];
export const DATAPLANES = ['reference', 'cni', 'none'] as const;
export type Dataplane = (typeof DATAPLANES)[number];
export const PAIR_STRATEGIES = ['ring', 'random', 'all'] as const;

/**
 * Scenario names end up in workflow ids, task queues and file names: lower-case letters, digits and
 * inner dashes only, so nothing from a spec can reach a shell or a path as anything but a word.
 */
const SCENARIO_NAME = new RegExp(`^[a-z0-9]([a-z0-9-]{0,${MAX_SCENARIO_NAME_LENGTH - 2}}[a-z0-9])?$`);
/** Node names become parts of namespace and task-queue names: the agent's own rule (dataplane/names.ts). */
const NODE_NAME = NODE_RE;
/** Ids of VPCs and subnets, as providers use them (also part of router namespace names): model/names.ts. */
const OBJECT_ID = OBJECT_ID_RE;
/** Names of endpoint plugins: looked up in plugin directories, never a path. */
const PLUGIN_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const MAC_ADDRESS = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const HOST_PORT = /^[A-Za-z0-9.-]+:[0-9]{1,5}$|^\[[0-9A-Fa-f:]+\]:[0-9]{1,5}$/;
/** A gRPC client cannot dial port 0 or a port above 65535; refuse them here rather than at the first call. */
const validPort = (address: string) => {
  if (!HOST_PORT.test(address)) return true; // already reported as "must be host:port"
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  return port >= 1 && port <= 65_535;
};

/**
 * The schemas, built on first use. zod is required here rather than imported at the top: the
 * workflow bundle evaluates its modules again for every workflow run, and evaluating zod and
 * these schemas cost about half of the workflow thread's CPU in a 300-node build, where only
 * the scenario workflow (once per run) ever validates a spec; the node workflows never do.
 */
function defineSchemas(z: typeof Z) {
  const count = (max: number) => z.number().int('must be a whole number').min(0, 'must not be negative').max(max, `must be at most ${max}`);
  const positive = (max: number) => z.number().int('must be a whole number').min(1, 'must be at least 1').max(max, `must be at most ${max}`);
  const cidrText = z.string().superRefine((value, ctx) => {
    try {
      parseCidr(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof Ipv4FormatError ? err.rule : 'is not an IPv4 CIDR' });
    }
  });
  const optionalMap = z.record(z.string().min(1, 'keys must not be empty').max(253), z.string().max(4096)).optional();
  const mtu = (min: number) => z.number().int('must be a whole number').min(min, `must be between ${min} and ${MAX_MTU}`).max(MAX_MTU, `must be between ${min} and ${MAX_MTU}`);
  const vni = z.number().int('must be a whole number').min(1, `must be between 1 and ${MAX_VNI}`).max(MAX_VNI, `must be between 1 and ${MAX_VNI}`);

  const subnetSchema = z.strictObject({
    id: z.string().regex(OBJECT_ID, 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit'),
    cidr: cidrText,
    /** Defaults to the VPC's VNI. */
    vni: vni.optional(),
    optional: optionalMap,
  });

  const vpcSchema = z.strictObject({
    id: z.string().regex(OBJECT_ID, 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit'),
    vni,
    cidr: cidrText,
    subnets: z.array(subnetSchema).min(1, 'must hold at least one subnet'),
    optional: optionalMap,
  });

  const nodeObjectSchema = z.strictObject({
    name: z.string().regex(NODE_NAME, `must be 1-${MAX_NODE_NAME_LENGTH} lower-case letters, digits or "-", starting with a letter or digit`),
    ip: z.string().refine(isIpv4, 'must be a dotted-quad IPv4 address').optional(),
    mac: z
      .string()
      .regex(MAC_ADDRESS, 'must be six lower-case hex pairs separated by ":"')
      .refine((m) => (parseInt(m.slice(0, 2), 16) & 1) === 0, 'must be a unicast MAC (lowest bit of the first octet clear; it is set in multicast MACs and in the broadcast MAC ff:ff:ff:ff:ff:ff)')
      .optional(),
    /** VMs on this node; only with placement "assign" (default: vmsPerNode). */
    vms: count(MAX_VMS_PER_NODE).optional(),
    /** Endpoints per VM on this node; only with placement "assign" (default: endpointsPerVm). */
    endpointsPerVm: positive(MAX_ENDPOINTS_PER_VM).optional(),
    /** Test kinds run from this node's VMs (default: the scenario's). */
    tests: z.array(z.enum(TEST_KINDS)).optional(),
    optional: optionalMap,
  });

  const testsObjectSchema = z.strictObject({
    kinds: z.array(z.enum(TEST_KINDS)).default([...TEST_KINDS]),
    /** Which pairs are tested: a ring across nodes (default), k random peers per VM, or all pairs (capped). */
    pairs: z.enum(PAIR_STRATEGIES).default('ring'),
    /** Peers per VM for `pairs: random`. Default 1. */
    perVm: positive(64).default(1),
    /** Cap on the number of pairs per kind. Default 200. */
    maxPairs: positive(100_000).default(200),
    /** Also check that VMs of different VPCs cannot reach each other. Default true. */
    negative: z.boolean().default(true),
    /** Time to reachable of new endpoints: all | off | "sample N" (see sla.ts). Default: all up to 1000 endpoints, else sample 1000. */
    reachability: z
      .string()
      .regex(REACHABILITY_SETTING_RE, REACHABILITY_SETTING_RULE)
      .transform((v) => v as ReachabilitySetting)
      .optional(),
    /** How long one reachability probe waits for its first reply, in ms. Default 10000. */
    reachabilityTimeoutMs: positive(600_000).optional(),
  });

  // One enum (not two literals) so that a wrong word is answered with both allowed words, not only the first.
  const rateSchema = z.union([
    z.enum(['sequential', 'random']),
    z.strictObject({ rps: z.number().positive('must be above 0').max(1_000_000, 'must be at most 1000000') }),
  ]);

  /** The document as a user writes it (input) and, after defaults, as the workflow uses it (output). */
  const scenarioSchema = z.strictObject({
    name: z.string().regex(SCENARIO_NAME, `must be 1-${MAX_SCENARIO_NAME_LENGTH} lower-case letters, digits or inner "-"`),
    plugin: z.strictObject({
      /** host:port of the network plugin's gRPC server. */
      address: z.string().regex(HOST_PORT, 'must be host:port').refine(validPort, 'must have a port between 1 and 65535'),
      /** Deadline of every plugin call in ms. Default 10000. */
      deadlineMs: positive(600_000).default(10_000),
      /** How long a plugin call is retried while the plugin is unavailable, in ms. Default 120000. */
      retryWindowMs: positive(86_400_000).default(120_000),
      /**
       * Which network plugin `merak up` starts on a loopback `address` where nothing answers:
       * `reference` (Merak's own, the default) or `ovn` (`merak plugin serve --provider ovn`, with
       * its OVN central). The workflow itself never reads it.
       */
      provider: z.enum(['reference', 'ovn']).optional(),
    }),
    /** Endpoint dataplane: built-in `reference` (VXLAN), `cni`, or `none`. Default `reference`. */
    dataplane: z.enum(DATAPLANES).default('reference'),
    /** Name of an executable endpoint plugin found in the agent's plugin directories; overrides `dataplane`'s built-in. */
    endpointPlugin: z.string().regex(PLUGIN_NAME, 'must be a plugin name: lower-case letters, digits, "_" or "-" (never a path)').optional(),
    /**
     * Send every node's agent activities to one shared queue (merak-agent-pool) served by one pool
     * of agent workers, instead of one queue and Worker per node. Only for the `none` dataplane,
     * whose activities keep their state in the state directory the pool shares. Default false.
     */
    agentPool: z.boolean().default(false),
    underlay: z
      .strictObject({
        cidr: cidrText.default(DEFAULT_UNDERLAY_CIDR),
        /**
         * MTU of the emulated underlay links in local mode, bytes. Default 1500. In pod mode the
         * underlay is the pod's network and its device's MTU is used instead.
         */
        mtu: mtu(MIN_UNDERLAY_MTU).default(DEFAULT_UNDERLAY_MTU),
      })
      .default({ cidr: DEFAULT_UNDERLAY_CIDR, mtu: DEFAULT_UNDERLAY_MTU }),
    /**
     * MTU of every VM endpoint, bytes. Default: the underlay device's MTU minus the endpoint
     * plugin's encapsulation (reference VXLAN: 50, so 1450 over a 1500-byte underlay). A value
     * above that is taken as given (to emulate a misconfigured cloud): full-size frames are then lost.
     */
    mtu: mtu(MIN_ENDPOINT_MTU).optional(),
    vpcs: z.array(vpcSchema).min(1, 'a scenario needs at least one VPC'),
    /** A node count (named node-1 … node-N) or a list of names / node objects. */
    nodes: z.union(
      [
        positive(MAX_NODES),
        z
          .array(z.union([nodeObjectSchema.shape.name, nodeObjectSchema], { error: 'must be a node name or a node object {name, ip?, mac?, ...}' }))
          .min(1, 'a scenario needs at least one node')
          .max(MAX_NODES, `at most ${MAX_NODES} nodes`),
      ],
      { error: `must be a node count (1..${MAX_NODES}) or a list of node names or node objects` },
    ),
    /** VMs per node. Default 1. */
    vmsPerNode: count(MAX_VMS_PER_NODE).default(1),
    /** Endpoints per VM. Default 1. */
    endpointsPerVm: positive(MAX_ENDPOINTS_PER_VM).default(1),
    /** How VMs are spread over nodes. Default `uniform`. */
    placement: z.enum(PLACEMENTS).default('uniform'),
    /** Seed for `random` placement and random test pairs. Default 1. */
    seed: z
      .number()
      .int('must be a whole number')
      .min(0, 'must not be negative')
      .max(2 ** 31 - 1, `must be at most ${2 ** 31 - 1}`)
      .default(1),
    /** How fast VMs are created. Default `sequential`. */
    rate: rateSchema.default('sequential'),
    /** VMs per agent activity call. Default 500. */
    batchSize: positive(10_000).default(500),
    tests: z
      .union([z.array(z.enum(TEST_KINDS)), testsObjectSchema], { error: `must be a list of test kinds (${TEST_KINDS.join(', ')}) or a tests object {kinds, pairs, ...}` })
      .default([]),
    /** Limits the results must keep (sla.ts); `merak up` and `merak test` fail naming each one broken. */
    sla: z
      .strictObject({
        reachableP50Ms: z.number().min(0, 'must not be negative').optional(),
        reachableP99Ms: z.number().min(0, 'must not be negative').optional(),
        reachableMaxMs: z.number().min(0, 'must not be negative').optional(),
        unreachableEndpoints: count(Number.MAX_SAFE_INTEGER).optional(),
        failedOperations: count(Number.MAX_SAFE_INTEGER).optional(),
        failedTests: count(Number.MAX_SAFE_INTEGER).optional(),
        operationP99Ms: z
          .record(z.string(), z.number().min(0, 'must not be negative'))
          .superRefine((rec, ctx) => {
            for (const k of Object.keys(rec)) {
              if (!SLA_OPERATION_KINDS.includes(k)) ctx.addIssue({ code: 'custom', path: [k], message: `is not an operation kind; use one of ${SLA_OPERATION_KINDS.join(', ')}` });
            }
          })
          .optional(),
      })
      .optional(),
  });
  /** underlay.cidr alone (with its default), for the cross-field checks of a document that failed elsewhere. */
  const underlayCidrSchema = cidrText.default(DEFAULT_UNDERLAY_CIDR);
  return { scenarioSchema, testsObjectSchema, vpcSchema, subnetSchema, nodeObjectSchema, underlayCidrSchema };
}

type Schemas = ReturnType<typeof defineSchemas>;
let cachedSchemas: Schemas | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see defineSchemas
const zod = (): typeof Z => (require('zod') as typeof import('zod')).z;
const schemas = (): Schemas => (cachedSchemas ??= defineSchemas(zod()));

export type ScenarioInput = Z.input<Schemas['scenarioSchema']>;
type ScenarioParsed = Z.output<Schemas['scenarioSchema']>;

export interface NodeSpec {
  name: string;
  /** Underlay IP, when given (Kubernetes: the pod IP); local nodes get one from the underlay CIDR. */
  ip?: string;
  mac?: string;
  vms: number;
  endpointsPerVm: number;
  tests: TestKind[];
  optional?: Record<string, string>;
}

export type TestsSpec = Z.output<Schemas['testsObjectSchema']>;
export type VpcSpec = Z.output<Schemas['vpcSchema']>;
export type SubnetSpec = Z.output<Schemas['subnetSchema']>;

/** The validated, normalized scenario the workflows run on. */
export interface ScenarioSpec extends Omit<ScenarioParsed, 'nodes' | 'tests'> {
  nodes: NodeSpec[];
  tests: TestsSpec;
}

/** One problem in a spec: where, what was there, which rule it broke. */
export interface SpecIssue {
  path: string;
  value: unknown;
  rule: string;
}

/** Thrown by parseSpec; `issues` lists every problem found, the message names them all. */
export class SpecError extends Error {
  override readonly name = 'SpecError';
  constructor(readonly issues: SpecIssue[]) {
    super(`invalid scenario spec:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`);
  }
}

export function formatIssue(issue: SpecIssue): string {
  return `${issue.path || '(root)'}: ${describeValue(issue.value)} ${issue.rule}`;
}

function describeValue(value: unknown): string {
  if (value === undefined) return '(missing)';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  if (text.length > 80) text = `${text.slice(0, 77)}...`;
  return `value ${text}`;
}

function pathText(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur: unknown = root;
  for (const part of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part as string];
  }
  return cur;
}

function zodIssues(input: unknown, error: Z.ZodError): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ path: pathText([...issue.path, key]), value: valueAt(input, [...issue.path, key]), rule: 'is not a known field' });
      }
      continue;
    }
    if (issue.code === 'invalid_union') {
      // Report the branch that got furthest rather than "invalid input".
      const branches = (issue as unknown as { errors: Z.core.$ZodIssue[][] }).errors;
      const best = [...branches].sort((a, b) => depth(b) - depth(a))[0];
      if (best && best.length > 0 && depth(best) > 0) {
        out.push(...zodIssues(input, new (zod().ZodError)(best.map((i) => ({ ...i, path: [...issue.path, ...i.path] })))));
        continue;
      }
    }
    const value = valueAt(input, issue.path);
    const rule = value === undefined && issue.code === 'invalid_type' ? 'is required' : ruleText(issue);
    out.push({ path: pathText(issue.path), value, rule });
  }
  return out;
}

/** How far a union branch got: deeper paths and issues other than "wrong base type" score higher. */
function depth(issues: Z.core.$ZodIssue[]): number {
  const score = (i: Z.core.$ZodIssue) => i.path.length * 2 + (i.code !== 'invalid_type' || i.expected === 'int' ? 1 : 0);
  return Math.max(0, ...issues.map(score));
}

function ruleText(issue: Z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return `must be ${issue.expected === 'int' ? 'a whole number' : `of type ${issue.expected}`}`;
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  // A union with its own message says which forms it takes; zod's default says only "Invalid input".
  if (issue.code === 'invalid_union') return issue.message && issue.message !== 'Invalid input' ? issue.message : 'matches none of the allowed forms';
  return issue.message;
}

/** Default node names for `nodes: N`. */
export function defaultNodeName(index: number): string {
  return `node-${index + 1}`;
}

function normalizeNodes(parsed: ScenarioParsed): NodeSpec[] {
  const tests = normalizeTests(parsed.tests).kinds;
  const raw = typeof parsed.nodes === 'number' ? Array.from({ length: parsed.nodes }, (_, i) => defaultNodeName(i)) : parsed.nodes;
  return raw.map((entry) => {
    const node = typeof entry === 'string' ? { name: entry } : entry;
    const out: NodeSpec = {
      name: node.name,
      vms: 'vms' in node && node.vms !== undefined ? node.vms : parsed.vmsPerNode,
      endpointsPerVm: 'endpointsPerVm' in node && node.endpointsPerVm !== undefined ? node.endpointsPerVm : parsed.endpointsPerVm,
      tests: 'tests' in node && node.tests !== undefined ? node.tests : tests,
    };
    if ('ip' in node && node.ip !== undefined) out.ip = node.ip;
    if ('mac' in node && node.mac !== undefined) out.mac = node.mac;
    if ('optional' in node && node.optional !== undefined) out.optional = node.optional;
    return out;
  });
}

function normalizeTests(tests: ScenarioParsed['tests']): TestsSpec {
  if (Array.isArray(tests)) return schemas().testsObjectSchema.parse({ kinds: tests });
  return tests;
}

/**
 * Marks a field that broke its own rule (reported by the schema): a cross-field check that
 * reads it is skipped, since its answer would be about a value the user must change anyway.
 */
const BAD: unique symbol = Symbol('invalid field');
type Checked<T> = T | typeof BAD;
const ok = <T>(v: Checked<T>): v is T => v !== BAD;

/** What the cross-field checks read of a subnet. `vni` undefined: not given (the VPC's). */
interface LooseSubnet {
  id: Checked<string>;
  cidr: Checked<string>;
  vni: Checked<number | undefined>;
}
interface LooseVpc {
  id: Checked<string>;
  vni: Checked<number>;
  cidr: Checked<string>;
  subnets: Checked<LooseSubnet[]>;
}
/** A node entry; `vms`/`endpointsPerVm` are the node's own (undefined: not given), `object` whether it was written as an object. */
interface LooseNode {
  name: Checked<string>;
  ip: Checked<string | undefined>;
  mac: Checked<string | undefined>;
  vms: Checked<number | undefined>;
  endpointsPerVm: Checked<number | undefined>;
  object: boolean;
}
/**
 * The spec as the cross-field checks read it: every field they use, each either its valid value
 * (defaults filled) or BAD. Made from the parsed spec when the schema passed, else field by field
 * from the document, so the cross-field issues come with the field issues in one answer.
 */
interface LooseSpec {
  name: Checked<string>;
  provider: Checked<'reference' | 'ovn' | undefined>;
  dataplane: Checked<Dataplane>;
  endpointPlugin: Checked<string | undefined>;
  agentPool: Checked<boolean>;
  underlayCidr: Checked<string>;
  vpcs: Checked<LooseVpc[]>;
  nodes: Checked<LooseNode[]>;
  vmsPerNode: Checked<number>;
  endpointsPerVm: Checked<number>;
  placement: Checked<Placement>;
}

/** `nodes: N` as node entries. */
const countedNodes = (count: number): LooseNode[] =>
  Array.from({ length: count }, (_, i) => ({ name: defaultNodeName(i), ip: undefined, mac: undefined, vms: undefined, endpointsPerVm: undefined, object: false }));

function looseFromParsed(parsed: ScenarioParsed): LooseSpec {
  const nodes: LooseNode[] =
    typeof parsed.nodes === 'number'
      ? countedNodes(parsed.nodes)
      : parsed.nodes.map((entry) =>
          typeof entry === 'string'
            ? { name: entry, ip: undefined, mac: undefined, vms: undefined, endpointsPerVm: undefined, object: false }
            : { name: entry.name, ip: entry.ip, mac: entry.mac, vms: entry.vms, endpointsPerVm: entry.endpointsPerVm, object: true },
        );
  return {
    name: parsed.name,
    provider: parsed.plugin.provider,
    dataplane: parsed.dataplane,
    endpointPlugin: parsed.endpointPlugin,
    agentPool: parsed.agentPool,
    underlayCidr: parsed.underlay.cidr,
    vpcs: parsed.vpcs.map((vpc) => ({ id: vpc.id, vni: vpc.vni, cidr: vpc.cidr, subnets: vpc.subnets.map((s) => ({ id: s.id, cidr: s.cidr, vni: s.vni })) })),
    nodes,
    vmsPerNode: parsed.vmsPerNode,
    endpointsPerVm: parsed.endpointsPerVm,
    placement: parsed.placement,
  };
}

/** The fields of a document the schema refused, each checked by its own rule alone. */
function looseFromInput(input: Record<string, unknown>): LooseSpec {
  const s = schemas();
  const top = s.scenarioSchema.shape;
  const take = <T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, value: unknown): Checked<T> => {
    const r = schema.safeParse(value);
    return r.success ? r.data : BAD;
  };
  const record = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const plugin = record(input.plugin);
  const underlay = input.underlay === undefined ? {} : record(input.underlay);
  const vpcShape = s.vpcSchema.shape;
  const subnetShape = s.subnetSchema.shape;
  const nodeShape = s.nodeObjectSchema.shape;
  const subnet = (raw: unknown): LooseSubnet => {
    const o = record(raw);
    return o ? { id: take(subnetShape.id, o.id), cidr: take(subnetShape.cidr, o.cidr), vni: take(subnetShape.vni, o.vni) } : { id: BAD, cidr: BAD, vni: BAD };
  };
  const vpc = (raw: unknown): LooseVpc => {
    const o = record(raw);
    if (!o) return { id: BAD, vni: BAD, cidr: BAD, subnets: BAD };
    return { id: take(vpcShape.id, o.id), vni: take(vpcShape.vni, o.vni), cidr: take(vpcShape.cidr, o.cidr), subnets: Array.isArray(o.subnets) ? o.subnets.map(subnet) : BAD };
  };
  const node = (raw: unknown): LooseNode => {
    if (typeof raw === 'string') return { name: take(nodeShape.name, raw), ip: undefined, mac: undefined, vms: undefined, endpointsPerVm: undefined, object: false };
    const o = record(raw);
    if (!o) return { name: BAD, ip: BAD, mac: BAD, vms: BAD, endpointsPerVm: BAD, object: false };
    return {
      name: take(nodeShape.name, o.name),
      ip: take(nodeShape.ip, o.ip),
      mac: take(nodeShape.mac, o.mac),
      vms: take(nodeShape.vms, o.vms),
      endpointsPerVm: take(nodeShape.endpointsPerVm, o.endpointsPerVm),
      object: true,
    };
  };
  let nodes: Checked<LooseNode[]> = BAD;
  if (Array.isArray(input.nodes)) nodes = input.nodes.map(node);
  else if (typeof input.nodes === 'number') {
    const count = take(top.nodes, input.nodes);
    if (typeof count === 'number') nodes = countedNodes(count);
  }
  return {
    name: take(top.name, input.name),
    provider: plugin ? take(top.plugin.shape.provider, plugin.provider) : BAD,
    dataplane: take(top.dataplane, input.dataplane),
    endpointPlugin: take(top.endpointPlugin, input.endpointPlugin),
    agentPool: take(top.agentPool, input.agentPool),
    underlayCidr: underlay ? take(s.underlayCidrSchema, underlay.cidr) : BAD,
    vpcs: Array.isArray(input.vpcs) ? input.vpcs.map(vpc) : BAD,
    nodes,
    vmsPerNode: take(top.vmsPerNode, input.vmsPerNode),
    endpointsPerVm: take(top.endpointsPerVm, input.endpointsPerVm),
    placement: take(top.placement, input.placement),
  };
}

/**
 * Cross-field rules: the ones a schema alone cannot say. Each runs on the fields it reads that
 * passed their own rules and is skipped where one of them did not (reported by the schema).
 */
function semanticIssues(spec: LooseSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const add = (path: string, value: unknown, rule: string) => issues.push({ path, value, rule });
  const vpcs = ok(spec.vpcs) ? spec.vpcs : [];

  const vpcIds = new Map<string, number>();
  const vnis = new Map<number, string>();
  const subnetIds = new Map<string, string>();
  vpcs.forEach((vpc, v) => {
    const vpcPath = `vpcs[${v}]`;
    if (ok(vpc.id)) {
      if (vpcIds.has(vpc.id)) add(`${vpcPath}.id`, vpc.id, `duplicates vpcs[${vpcIds.get(vpc.id)}].id`);
      vpcIds.set(vpc.id, v);
    }
    if (ok(vpc.vni)) {
      if (vnis.has(vpc.vni)) add(`${vpcPath}.vni`, vpc.vni, `is already the VNI of ${vnis.get(vpc.vni)}: every VPC needs its own VNI`);
      else vnis.set(vpc.vni, `${vpcPath} (${ok(vpc.id) ? vpc.id : '?'})`);
    }
    const vpcCidr = ok(vpc.cidr) ? parseCidr(vpc.cidr) : undefined;
    const seen: { cidr: Ipv4Cidr; path: string }[] = [];
    (ok(vpc.subnets) ? vpc.subnets : []).forEach((subnet, s) => {
      const path = `${vpcPath}.subnets[${s}]`;
      if (ok(subnet.id)) {
        if (subnetIds.has(subnet.id)) add(`${path}.id`, subnet.id, `duplicates ${subnetIds.get(subnet.id)}.id (subnet ids are unique in a scenario)`);
        else subnetIds.set(subnet.id, path);
      }
      if (!ok(subnet.cidr)) return;
      const cidr = parseCidr(subnet.cidr);
      if (vpcCidr && ok(vpc.cidr) && !cidrContains(vpcCidr, cidr)) add(`${path}.cidr`, subnet.cidr, `is not inside its VPC's CIDR ${vpc.cidr}`);
      if (cidr.prefix > MAX_SUBNET_PREFIX) add(`${path}.cidr`, subnet.cidr, `is too small: a subnet needs a gateway and a host (prefix at most /${MAX_SUBNET_PREFIX})`);
      for (const other of seen) {
        if (cidrsOverlap(other.cidr, cidr)) add(`${path}.cidr`, subnet.cidr, `overlaps ${other.path}.cidr`);
      }
      seen.push({ cidr, path });
    });
  });

  // A VNI belongs to one VPC: a subnet's own VNI must not be another VPC's, or the provider would
  // join two VPCs in one segment (the reference plugin refuses it, but only after VPCs are built).
  const subnetVnis = new Map<number, { vpc: number; path: string }>();
  vpcs.forEach((vpc, v) => {
    if (!ok(vpc.vni) || !ok(vpc.subnets)) return;
    vpc.subnets.forEach((subnet, s) => {
      // Its own VPC's VNI is the default made explicit; a duplicate VPC VNI is reported above.
      if (!ok(subnet.vni) || subnet.vni === undefined || subnet.vni === vpc.vni) return;
      const path = `vpcs[${v}].subnets[${s}]`;
      const vpcOwner = vpcs.findIndex((other) => other.vni === subnet.vni);
      const subnetOwner = subnetVnis.get(subnet.vni);
      if (vpcOwner >= 0) add(`${path}.vni`, subnet.vni, `is already the VNI of vpcs[${vpcOwner}] (${String(vpcs[vpcOwner]!.id === BAD ? '?' : vpcs[vpcOwner]!.id)}): a VNI belongs to one VPC`);
      else if (subnetOwner !== undefined && subnetOwner.vpc !== v) add(`${path}.vni`, subnet.vni, `is already the VNI of ${subnetOwner.path} in another VPC: a VNI belongs to one VPC`);
      else if (subnetOwner === undefined) subnetVnis.set(subnet.vni, { vpc: v, path });
    });
  });

  const nodes = ok(spec.nodes) ? spec.nodes : [];
  const names = new Map<string, number>();
  nodes.forEach((node, n) => {
    const path = `nodes[${n}]`;
    if (ok(node.name)) {
      if (names.has(node.name)) add(`${path}.name`, node.name, `duplicates nodes[${names.get(node.name)}].name`);
      names.set(node.name, n);
    }
    if (node.object && ok(spec.placement) && spec.placement !== 'assign') {
      if (ok(node.vms) && node.vms !== undefined) add(`${path}.vms`, node.vms, 'is only used with placement "assign"');
      if (ok(node.endpointsPerVm) && node.endpointsPerVm !== undefined) add(`${path}.endpointsPerVm`, node.endpointsPerVm, 'is only used with placement "assign"');
    }
  });

  const plugins = ok(spec.dataplane) && ok(spec.endpointPlugin) ? { dataplane: spec.dataplane, endpointPlugin: spec.endpointPlugin } : undefined;
  const hasText = (p: { dataplane: Dataplane; endpointPlugin: string | undefined }) => (p.endpointPlugin !== undefined ? `endpointPlugin "${p.endpointPlugin}"` : `dataplane "${p.dataplane}"`);
  if (plugins && spec.agentPool === true && (plugins.dataplane !== 'none' || plugins.endpointPlugin !== undefined)) {
    add('agentPool', spec.agentPool, `is only for dataplane "none" (this spec has ${hasText(plugins)}): kernel dataplanes need each node's own agent`);
  }
  if (plugins && spec.provider === 'ovn' && plugins.endpointPlugin !== 'ovn') {
    add('plugin.provider', 'ovn', `needs endpointPlugin "ovn" (every node an OVN chassis; this spec has ${hasText(plugins)})`);
  }

  // Unusable ranges (IANA special-purpose registry) and node identities: see address-rules.ts.
  const underlayCidr = ok(spec.underlayCidr) ? spec.underlayCidr : undefined;
  issues.push(
    ...rangeIssues({
      underlay: { cidr: underlayCidr },
      vpcs: vpcs.map((vpc) => ({ cidr: ok(vpc.cidr) ? vpc.cidr : undefined, subnets: ok(vpc.subnets) ? vpc.subnets.map((s) => ({ cidr: ok(s.cidr) ? s.cidr : undefined })) : [] })),
    }),
  );
  // Derived identities depend on the scenario name, the underlay and every node's slot: checked
  // only when all of those are valid.
  const identities = nodes.every((n) => ok(n.name) && ok(n.ip) && ok(n.mac)) ? (nodes as { name: string; ip?: string; mac?: string }[]) : undefined;
  if (ok(spec.name) && underlayCidr !== undefined && ok(spec.nodes) && identities) {
    issues.push(...nodeIdentityIssues({ name: spec.name, underlay: { cidr: underlayCidr }, vpcs: [], nodes: identities }));
  }

  if (underlayCidr !== undefined && ok(spec.nodes)) {
    const underlay = parseCidr(underlayCidr);
    if (underlayCapacity(underlay) < nodes.length) {
      add('underlay.cidr', underlayCidr, `has room for ${underlayCapacity(underlay)} nodes, the scenario has ${nodes.length}`);
    }
  }

  // Capacity: endpoints are spread round-robin over all subnets (see placement), so every subnet
  // must hold its share of the largest total any placement can give. Needs every VPC's subnet
  // list (the share depends on their number) and every node's counts.
  if (!ok(spec.vpcs) || !vpcs.every((vpc) => ok(vpc.subnets)) || !ok(spec.nodes)) return issues;
  let total = 0;
  for (const node of nodes) {
    const vms = ok(node.vms) ? (node.vms ?? spec.vmsPerNode) : BAD;
    const perVm = ok(node.endpointsPerVm) ? (node.endpointsPerVm ?? spec.endpointsPerVm) : BAD;
    if (!ok(vms) || !ok(perVm)) return issues;
    total += vms * perVm;
  }
  const subnets = vpcs.flatMap((vpc, v) => (vpc.subnets as LooseSubnet[]).map((subnet, s) => ({ subnet, path: `vpcs[${v}].subnets[${s}].cidr` })));
  subnets.forEach(({ subnet, path }, i) => {
    if (!ok(subnet.cidr) || parseCidr(subnet.cidr).prefix > MAX_SUBNET_PREFIX) return;
    const share = Math.floor(total / subnets.length) + (i < total % subnets.length ? 1 : 0);
    const room = capacity(subnet.cidr);
    if (share > room) {
      add(path, subnet.cidr, `has ${room} host address${room === 1 ? '' : 'es'} but the scenario puts ${share} endpoint${share === 1 ? '' : 's'} in it (${total} endpoint${total === 1 ? '' : 's'} over ${subnets.length} subnet${subnets.length === 1 ? '' : 's'}); use a larger subnet, more subnets, or fewer VMs`);
    }
  });
  return issues;
}

/**
 * What the local-node address rule (address-rules.ts, localNodeIssues) reads, from a document the
 * spec rules refused: underlay.cidr and each node's name and ip, where they passed their own rules
 * (a node whose ip did not has none here). Undefined when the underlay or the node list itself did
 * not pass, or the document is not an object.
 */
export function nodeAddressesOf(input: unknown): { underlay: { cidr: string }; nodes: { name: string; ip?: string }[] } | undefined {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return undefined;
  const loose = looseFromInput(input as Record<string, unknown>);
  if (!ok(loose.underlayCidr) || !ok(loose.nodes)) return undefined;
  return {
    underlay: { cidr: loose.underlayCidr },
    nodes: loose.nodes.map((n) => ({ name: ok(n.name) ? n.name : '', ...(ok(n.ip) && n.ip !== undefined ? { ip: n.ip } : {}) })),
  };
}

/** Endpoints the spec asks for in total, over all nodes. */
export function totalEndpoints(spec: Pick<ScenarioSpec, 'nodes'>): number {
  return spec.nodes.reduce((sum, node) => sum + node.vms * node.endpointsPerVm, 0);
}

/**
 * Plugin objects the spec asks for: one per VPC, per subnet and per node (what the status's
 * `built` list holds once the scenario is ready).
 */
export function pluginObjectCount(spec: Pick<ScenarioSpec, 'vpcs' | 'nodes'>): number {
  return spec.vpcs.reduce((sum, vpc) => sum + 1 + vpc.subnets.length, 0) + spec.nodes.length;
}

/**
 * Validates a spec document (already parsed from YAML/JSON) and returns it normalized, with
 * defaults filled in. Throws SpecError listing every problem.
 */
export function parseSpec(input: unknown): ScenarioSpec {
  const result = schemas().scenarioSchema.safeParse(input);
  if (!result.success) {
    // Every issue in one answer: the cross-field checks run too, over the fields that passed.
    const document = input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : undefined;
    throw new SpecError([...zodIssues(input, result.error), ...(document ? semanticIssues(looseFromInput(document)) : [])]);
  }
  const parsed = result.data;
  const spec: ScenarioSpec = { ...parsed, nodes: normalizeNodes(parsed), tests: normalizeTests(parsed.tests) };
  const issues = semanticIssues(looseFromParsed(parsed));
  if (issues.length > 0) throw new SpecError(issues);
  return spec;
}

/** Like parseSpec but returns the issues instead of throwing. */
export function checkSpec(input: unknown): { ok: true; spec: ScenarioSpec } | { ok: false; issues: SpecIssue[] } {
  try {
    return { ok: true, spec: parseSpec(input) };
  } catch (err) {
    if (err instanceof SpecError) return { ok: false, issues: err.issues };
    throw err;
  }
}
