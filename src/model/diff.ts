/**
 * Spec diff for `apply`: what the plugin must create, update and delete to move from the spec a
 * scenario was built with to a new one. Pure; the scenario workflow runs it.
 */
import type { NodeSpec, ScenarioSpec, SubnetSpec, VpcSpec } from './spec';

export interface ObjectDiff<T> {
  create: T[];
  update: T[];
  delete: T[];
}

export interface SpecDiff {
  vpcs: ObjectDiff<VpcSpec>;
  subnets: ObjectDiff<SubnetSpec & { vpc: string }>;
  nodes: ObjectDiff<NodeSpec>;
  /**
   * True when the set or order of subnets changed: the block-rotated subnet layout of every VM
   * depends on it, so the VMs are rebuilt.
   */
  layoutChanged: boolean;
  /** Fields the workflow cannot change on a live scenario (name, plugin address), with a reason. */
  refused: string[];
  /**
   * Changes the plugin or the dataplane of a live scenario cannot follow in place, with the field,
   * the values and the way out: a VPC's VNI while it keeps subnets (the reference plugin refuses
   * it, and subnets that follow the VPC's VNI would move under their VMs), a subnet's VNI (its VMs'
   * VXLAN segment), a subnet moving to another VPC (no plugin Update can do that). Kept apart from
   * `refused` because scenario runs from before the `merak-apply-update` patch did not refuse them.
   */
  unsafe: string[];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function diffBy<T>(before: T[], after: T[], key: (t: T) => string, fields: (t: T) => unknown): ObjectDiff<T> {
  const old = new Map(before.map((t) => [key(t), t]));
  const now = new Map(after.map((t) => [key(t), t]));
  return {
    create: after.filter((t) => !old.has(key(t))),
    update: after.filter((t) => old.has(key(t)) && !same(fields(old.get(key(t))!), fields(t))),
    delete: before.filter((t) => !now.has(key(t))),
  };
}

const subnetsOf = (spec: ScenarioSpec) => spec.vpcs.flatMap((vpc) => vpc.subnets.map((s) => ({ ...s, vpc: vpc.id })));

export function diffSpecs(before: ScenarioSpec, after: ScenarioSpec): SpecDiff {
  const refused: string[] = [];
  if (before.name !== after.name) refused.push(`name: a scenario cannot be renamed (${before.name} → ${after.name}); start a new one`);
  if (before.plugin.address !== after.plugin.address) refused.push(`plugin.address: the plugin of a live scenario cannot change (${before.plugin.address} → ${after.plugin.address}); tear it down first`);
  if (before.dataplane !== after.dataplane || before.endpointPlugin !== after.endpointPlugin) refused.push('dataplane: the dataplane of a live scenario cannot change; tear it down first');
  if (before.agentPool !== after.agentPool) refused.push('agentPool: the agent queues of a live scenario cannot change; tear it down first');
  if (before.underlay.cidr !== after.underlay.cidr) refused.push('underlay.cidr: the underlay of a live scenario cannot change; tear it down first');
  const subnetKeys = (spec: ScenarioSpec) => subnetsOf(spec).map((s) => `${s.vpc}/${s.id}/${s.cidr}`);
  return {
    unsafe: unsafeChanges(before, after),
    vpcs: diffBy(before.vpcs, after.vpcs, (v) => v.id, (v) => ({ vni: v.vni, cidr: v.cidr, optional: v.optional })),
    subnets: diffBy(subnetsOf(before), subnetsOf(after), (s) => s.id, (s) => ({ vni: s.vni, cidr: s.cidr, vpc: s.vpc, optional: s.optional })),
    nodes: diffBy(before.nodes, after.nodes, (n) => n.name, (n) => ({ ip: n.ip, mac: n.mac, optional: n.optional })),
    layoutChanged: !same(subnetKeys(before), subnetKeys(after)),
    refused,
  };
}

/** See {@link SpecDiff.unsafe}. */
function unsafeChanges(before: ScenarioSpec, after: ScenarioSpec): string[] {
  const out: string[] = [];
  const oldSubnets = new Map(subnetsOf(before).map((s) => [s.id, s]));
  after.vpcs.forEach((vpc, v) => {
    const old = before.vpcs.find((o) => o.id === vpc.id);
    if (old && old.vni !== vpc.vni) {
      const kept = vpc.subnets.filter((s) => oldSubnets.get(s.id)?.vpc === vpc.id).map((s) => s.id);
      if (kept.length > 0) {
        out.push(
          `vpcs[${v}].vni: VPC ${JSON.stringify(vpc.id)} cannot change its VNI (${old.vni} → ${vpc.vni}) while it keeps subnets (${kept.slice(0, 5).join(', ')}${kept.length > 5 ? ', …' : ''}) whose VMs use it; give the VPC a new id to replace it, or tear the scenario down`,
        );
      }
    }
    vpc.subnets.forEach((subnet, i) => {
      const was = oldSubnets.get(subnet.id);
      if (!was) return;
      if (was.vpc !== vpc.id) {
        out.push(`vpcs[${v}].subnets[${i}]: subnet ${JSON.stringify(subnet.id)} cannot move from VPC ${JSON.stringify(was.vpc)} to ${JSON.stringify(vpc.id)}; give it a new id to replace it`);
      } else if (old && old.vni === vpc.vni && (was.vni ?? old.vni) !== (subnet.vni ?? vpc.vni)) {
        // A VNI change of the VPC itself is reported above; here the subnet's own VNI moves.
        out.push(`vpcs[${v}].subnets[${i}].vni: subnet ${JSON.stringify(subnet.id)} cannot change its VNI (${was.vni ?? old.vni} → ${subnet.vni ?? vpc.vni}) while its VMs use it; give the subnet a new id to replace it`);
      }
    });
  });
  return out;
}

/**
 * JSON with object keys sorted, so two values that differ only in the order their fields were
 * written compare equal (array order counts). Also used by the Kubernetes controller's plan.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/**
 * True when two validated specs ask for the same scenario (defaults applied, field order
 * ignored; list order counts, as it does for placement and the subnet layout). `merak up` uses it
 * to tell a re-run of the same file, which it only follows, from a changed one, which it applies.
 */
export function sameSpec(a: ScenarioSpec, b: ScenarioSpec): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
