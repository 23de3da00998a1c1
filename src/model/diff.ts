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
    vpcs: diffBy(before.vpcs, after.vpcs, (v) => v.id, (v) => ({ vni: v.vni, cidr: v.cidr, optional: v.optional })),
    subnets: diffBy(subnetsOf(before), subnetsOf(after), (s) => s.id, (s) => ({ vni: s.vni, cidr: s.cidr, vpc: s.vpc, optional: s.optional })),
    nodes: diffBy(before.nodes, after.nodes, (n) => n.name, (n) => ({ ip: n.ip, mac: n.mac, optional: n.optional })),
    layoutChanged: !same(subnetKeys(before), subnetKeys(after)),
    refused,
  };
}
