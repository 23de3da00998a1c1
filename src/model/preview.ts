/**
 * The plan of a scenario as its first build will carry it out, computed without running it:
 * what `merak validate` and `merak up --dry-run` print. Pure, and made by the scenario
 * workflow's own bookkeeping (ScenarioState, src/model/scenario-state.ts), so what it shows is
 * what the workflow does:
 * every node in its slot (its index in the spec), its VMs, its underlay address and MAC, the
 * address ranges each subnet gives each node, and every object the network plugin is asked for.
 *
 * VNIs are the ones asked for; a provider that assigns its own is free to answer with others.
 *
 * Some values are assigned only when the build starts: the build first claims a *scenario
 * number* n (0..63, free on the compute worker's machine and at the plugin; model/identity.ts),
 * and a node's MAC the spec does not give, and its underlay address when the spec names neither
 * `underlay.cidr` nor any node `ip`, come from n. The plan shows the values for n = 0 (what the
 * only scenario on a machine gets) and lists those fields in `assignedAtBuild`.
 */
import { capacity, hostAddress } from './ipam';
import { AddressSpaceError, type RangeList } from './plan';
import { agentQueueOf } from './queues';
import { identityUnderlay, namesUnderlay } from './identity';
import { endpointPluginOf, ScenarioState } from './scenario-state';
import type { ScenarioInput, ScenarioSpec, TestKind } from './spec';

/** One run of consecutive addresses a subnet gives a node: first, last, how many. */
export interface AddressRun {
  first: string;
  last: string;
  count: number;
}

export interface PlanNode {
  name: string;
  /** Position in the spec; fixes the node's derived MAC and underlay address for the scenario's life. */
  slot: number;
  /** Underlay address: the spec's, else the underlay's network + 1 + slot. */
  ip: string;
  mac: string;
  /**
   * Fields whose value comes from the scenario number claimed when the build starts: `ip` and
   * `mac` above are then the values for number 0, not necessarily the ones the build gives.
   */
  assignedAtBuild: ('ip' | 'mac')[];
  vms: number;
  endpointsPerVm: number;
  endpoints: number;
  tests: TestKind[];
  /** Task queue its agent activities go to. */
  taskQueue: string;
}

export interface PlanSubnetUse {
  id: string;
  vpc: string;
  cidr: string;
  gateway: string;
  vni: number;
  /** Host addresses the subnet offers (network, gateway and broadcast excluded). */
  capacity: number;
  /** Host addresses reserved by the first build (whole blocks, so at least the endpoints placed). */
  reserved: number;
  /** Per node with addresses in this subnet: its ranges, in allocation order. */
  nodes: { node: string; addresses: number; runs: AddressRun[] }[];
}

/**
 * What the network plugin is asked to create, in the order the workflow sends it. `scenario` is
 * the owner the plugin records; a node's name at the plugin is `<node>.<scenario>`, and its `ip`
 * and `mac` are the plan node's (see PlanNode.assignedAtBuild).
 */
export interface PluginRequests {
  vpcs: { id: string; vni: number; ip: string; prefix: number; optional?: Record<string, string>; scenario?: string }[];
  subnets: { id: string; vpc: string; vni: number; ip: string; prefix: number; optional?: Record<string, string>; scenario?: string }[];
  nodes: { name: string; ip: string; mac: string; optional?: Record<string, string>; scenario?: string }[];
}

export interface ScenarioPlan {
  name: string;
  pluginAddress: string;
  /** Endpoint plugin the agents run: the endpointPlugin, else the dataplane's built-in. */
  endpointPlugin: string;
  /** The local nodes' underlay: the spec's, else the scenario number's block (this is number 0's). */
  underlay: string;
  /** True when `underlay` comes from the scenario number claimed at build (the spec names neither underlay.cidr nor a node ip). */
  underlayAssignedAtBuild: boolean;
  /** Consecutive VMs that share a subnet (chosen once per scenario). */
  blockSize: number;
  totals: { vpcs: number; subnets: number; nodes: number; vms: number; endpoints: number };
  nodes: PlanNode[];
  subnets: PlanSubnetUse[];
  plugin: PluginRequests;
}

/** A plan that cannot be carried out: a subnet too small once whole blocks are reserved. */
export interface PlanIssue {
  path: string;
  value: unknown;
  rule: string;
}

function runs(cidr: string, ranges: RangeList): AddressRun[] {
  return ranges.map(([start, count]) => ({ first: hostAddress(cidr, start), last: hostAddress(cidr, start + count - 1), count }));
}

/**
 * The first build's plan of a validated spec, or the reason it cannot be carried out (the
 * workflow refuses the same spec with the same AddressSpaceError before its first plugin call).
 * It runs the workflow's own bookkeeping (ScenarioState: planBuild, then one beginNode per node
 * in the order the first reconcile takes them), so the plan is what the workflow does.
 */
export function planScenario(spec: ScenarioSpec, input: ScenarioInput = spec as unknown as ScenarioInput): { ok: true; plan: ScenarioPlan } | { ok: false; issues: PlanIssue[] } {
  const state = new ScenarioState(ScenarioState.initial(input), spec);
  // What the preflight gives a build that claims scenario number 0 (plugin-stage.ts, preflight).
  state.identity = { number: 0, underlayCidr: identityUnderlay(input, spec.underlay.cidr, 0) };
  const underlayAssignedAtBuild = !namesUnderlay(input);
  try {
    state.planBuild();
    for (const node of state.startReconcile()) state.beginNode(node, state.wantOf(node));
  } catch (err) {
    if (!(err instanceof AddressSpaceError)) throw err;
    const id = /^subnet (\S+) /.exec(err.message)?.[1];
    const at = subnetPaths(spec).find((s) => s.id === id);
    return { ok: false, issues: [{ path: at?.path ?? 'vpcs', value: at?.cidr, rule: err.message }] };
  }
  const withOptional = <T extends object>(o: T, optional: Record<string, string> | undefined) => (optional === undefined ? o : { ...o, optional });
  const nodes: PlanNode[] = spec.nodes.map((n) => {
    const object = state.nodeObject(n);
    const vms = state.wantOf(n);
    const assignedAtBuild: ('ip' | 'mac')[] = [...(underlayAssignedAtBuild ? (['ip'] as const) : []), ...(n.mac === undefined ? (['mac'] as const) : [])];
    return { name: n.name, slot: state.slotOf(n.name), ip: object.ip, mac: object.mac, assignedAtBuild, vms, endpointsPerVm: n.endpointsPerVm, endpoints: vms * n.endpointsPerVm, tests: n.tests, taskQueue: agentQueueOf(spec, n.name) };
  });
  const subnets = state.subnets();
  const uses: PlanSubnetUse[] = subnets.map((s) => ({
    id: s.id,
    vpc: s.vpc,
    cidr: s.cidr,
    gateway: s.gateway,
    vni: s.vni,
    capacity: capacity(s.cidr),
    reserved: state.book.next[s.index] ?? 0,
    nodes: spec.nodes
      .map((n) => ({ node: n.name, ranges: state.rangesOf(n.name)[s.index] ?? [] }))
      .filter((x) => x.ranges.length > 0)
      .map((x) => ({ node: x.node, addresses: x.ranges.reduce((sum, [, c]) => sum + c, 0), runs: runs(s.cidr, x.ranges) })),
  }));
  const plugin: PluginRequests = {
    vpcs: spec.vpcs.map((v) => {
      const { optional, ...o } = state.vpcObject(v);
      return withOptional(o, optional);
    }),
    subnets: spec.vpcs.flatMap((v) =>
      v.subnets.map((s) => {
        const { optional, ...o } = state.subnetObject(v.id, s);
        return withOptional(o, optional);
      }),
    ),
    nodes: spec.nodes.map((n) => {
      const { optional, ...o } = state.nodeObject(n);
      return withOptional(o, optional);
    }),
  };
  const vms = nodes.reduce((sum, n) => sum + n.vms, 0);
  return {
    ok: true,
    plan: {
      name: spec.name,
      pluginAddress: spec.plugin.address,
      endpointPlugin: endpointPluginOf(spec),
      underlay: state.identity.underlayCidr,
      underlayAssignedAtBuild,
      blockSize: state.book.blockSize,
      totals: { vpcs: spec.vpcs.length, subnets: subnets.length, nodes: nodes.length, vms, endpoints: nodes.reduce((sum, n) => sum + n.endpoints, 0) },
      nodes,
      subnets: uses,
      plugin,
    },
  };
}

function subnetPaths(spec: ScenarioSpec): { id: string; cidr: string; path: string }[] {
  return spec.vpcs.flatMap((v, i) => v.subnets.map((s, j) => ({ id: s.id, cidr: s.cidr, path: `vpcs[${i}].subnets[${j}].cidr` })));
}
