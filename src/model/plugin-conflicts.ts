/**
 * Before a scenario builds anything: which of the objects it is about to ask the network plugin
 * for would collide with what other scenarios already hold there. Pure (the preflight activity
 * feeds it the plugin's state).
 *
 * The rules are the plugin contract's uniqueness rules (proto/merak/plugin/v1/network_plugin.proto):
 * VPC and subnet ids, node names, VNIs, node IPs and MACs are unique across the provider. An
 * object the scenario itself already holds (a leftover of an earlier run under the same name) is
 * no conflict: Create is idempotent for it.
 */
import { pluginNodeName } from './identity';
import { nodeUnderlayIp } from './plan';
import type { ScenarioSpec } from './spec';

/** What a plugin holds, with owners ("" = none), as GetState answers it. */
export interface HeldObjects {
  vpcs: ReadonlyArray<{ id: string; vni: number; scenario: string }>;
  subnets: ReadonlyArray<{ id: string; vpc: string; vni: number; scenario: string }>;
  nodes: ReadonlyArray<{ name: string; ip: string; mac: string; scenario: string }>;
}

/** One collision. */
export interface PluginConflict {
  /** Field path in the scenario file, e.g. `vpcs[0].vni` or `nodes[1]` for a derived value. */
  path: string;
  value: string | number;
  /** The rule, naming the holder and its scenario. */
  rule: string;
  /** The owning scenario of the holder ("" = none). */
  holder: string;
  /** True when Merak derived the value (a node IP from the underlay, a node MAC): another scenario number may avoid it. */
  invented: boolean;
}

const ownerOf = (scenario: string) => (scenario === '' ? 'a client without owners' : `scenario "${scenario}"`);

/** How the scenario's nodes look at the plugin for a given underlay and node MAC rule. */
export interface NodePlan {
  underlayCidr: string;
  /** The spec names the underlay: its node addresses are the user's choice, not Merak's. */
  underlayGiven: boolean;
  mac: (slot: number) => string;
  slots: Readonly<Record<string, number>>;
}

/**
 * Every collision between the spec's objects (with nodes as `plan` derives them) and the objects
 * other scenarios hold at the plugin, in spec order.
 */
export function findPluginConflicts(spec: ScenarioSpec, plan: NodePlan, held: HeldObjects): PluginConflict[] {
  const me = spec.name;
  const out: PluginConflict[] = [];
  const others = <T extends { scenario: string }>(list: ReadonlyArray<T>) => list.filter((o) => o.scenario !== me);
  const vpcById = new Map(others(held.vpcs).map((v) => [v.id, v]));
  const subnetById = new Map(others(held.subnets).map((s) => [s.id, s]));
  const vniHolder = new Map<number, { what: string; scenario: string }>();
  for (const v of others(held.vpcs)) vniHolder.set(v.vni, { what: `the VNI of VPC "${v.id}"`, scenario: v.scenario });
  for (const s of others(held.subnets)) if (!vniHolder.has(s.vni)) vniHolder.set(s.vni, { what: `the VNI of subnet "${s.id}" (VPC "${s.vpc}")`, scenario: s.scenario });
  const add = (path: string, value: string | number, rule: string, holder: string, invented = false) => out.push({ path, value, rule, holder, invented });

  spec.vpcs.forEach((vpc, v) => {
    const held = vpcById.get(vpc.id);
    if (held) add(`vpcs[${v}].id`, vpc.id, `is already a VPC of ${ownerOf(held.scenario)} at the network plugin`, held.scenario);
    const vni = vniHolder.get(vpc.vni);
    if (vni) add(`vpcs[${v}].vni`, vpc.vni, `is already ${vni.what} of ${ownerOf(vni.scenario)} at the network plugin`, vni.scenario);
    vpc.subnets.forEach((subnet, s) => {
      const path = `vpcs[${v}].subnets[${s}]`;
      const heldSubnet = subnetById.get(subnet.id);
      if (heldSubnet) add(`${path}.id`, subnet.id, `is already a subnet of ${ownerOf(heldSubnet.scenario)} at the network plugin (VPC "${heldSubnet.vpc}")`, heldSubnet.scenario);
      if (subnet.vni !== undefined && subnet.vni !== vpc.vni) {
        const own = vniHolder.get(subnet.vni);
        if (own) add(`${path}.vni`, subnet.vni, `is already ${own.what} of ${ownerOf(own.scenario)} at the network plugin`, own.scenario);
      }
    });
  });

  const nodeByName = new Map(others(held.nodes).map((n) => [n.name, n]));
  const nodeByIp = new Map(others(held.nodes).map((n) => [n.ip, n]));
  const nodeByMac = new Map(others(held.nodes).map((n) => [n.mac.toLowerCase(), n]));
  const underlay = { underlay: { cidr: plan.underlayCidr } };
  spec.nodes.forEach((node, i) => {
    const slot = plan.slots[node.name] ?? i;
    const name = pluginNodeName(me, node.name);
    const byName = nodeByName.get(name);
    if (byName) add(`nodes[${i}].name`, node.name, `is already node "${name}" of ${ownerOf(byName.scenario)} at the network plugin`, byName.scenario);
    const ip = nodeUnderlayIp(underlay, node, slot);
    const byIp = nodeByIp.get(ip);
    if (byIp) {
      const given = node.ip !== undefined;
      add(
        given ? `nodes[${i}].ip` : `nodes[${i}]`,
        ip,
        `${given ? 'is' : `(its underlay address from ${plan.underlayCidr}) is`} already the address of node "${byIp.name}" of ${ownerOf(byIp.scenario)} at the network plugin`,
        byIp.scenario,
        !given && !plan.underlayGiven,
      );
    }
    const mac = (node.mac ?? plan.mac(slot)).toLowerCase();
    const byMac = nodeByMac.get(mac);
    if (byMac) {
      const given = node.mac !== undefined;
      add(given ? `nodes[${i}].mac` : `nodes[${i}]`, mac, `${given ? 'is' : '(its derived MAC) is'} already the MAC of node "${byMac.name}" of ${ownerOf(byMac.scenario)} at the network plugin`, byMac.scenario, !given);
    }
  });
  return out;
}

/** One line per conflict: `path: value V rule`. */
export function formatConflicts(conflicts: readonly PluginConflict[]): string {
  return conflicts.map((c) => `${c.path}: value ${JSON.stringify(c.value)} ${c.rule}`).join('; ');
}
