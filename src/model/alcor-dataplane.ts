/**
 * What a Merak node builds from the goal states Alcor pushes to it (the role of Alcor's control
 * agent, ACA, on a host). Pure: the node's stored goal states in, the kernel objects it should
 * hold out; src/plugin/alcor/host-agent.ts applies them.
 *
 * Per VPC with a port on the node (the tunnel id is Alcor's, from its SubnetState, where DPM puts
 * the VPC's provider:segmentation_id):
 * - a bridge and a VXLAN device with that id, local = the node's underlay address, no learning,
 *   ARP proxy: remote MACs and addresses come only from Alcor's neighbor states (fdb entries to
 *   the neighbor's host, neighbor entries the VXLAN device answers ARP from), never from flooding;
 * - a router namespace (the role of a Neutron/Alcor distributed router on this host) with one
 *   gateway port per subnet of the VPC's router: the gateway address and MAC Alcor assigned
 *   (SubnetState.gateway), a veth whose other end is on the bridge; static neighbor entries for
 *   every port of the VPC Alcor told the node about, so routed packets go straight to the
 *   destination's MAC and never wait for ARP across nodes.
 * Which subnets the router joins comes from Alcor's RouterState (subnet_routing_tables): a
 * subnet that is not an interface of a router is not routed, as in Alcor.
 */

/** The fields of Alcor's goal-state messages this module reads (alcor.schema, proto/alcor/). */
export interface GsVpc {
  id: string;
  tunnel_id: number;
  cidr: string;
}
export interface GsSubnet {
  id: string;
  vpc_id: string;
  cidr: string;
  tunnel_id: number;
  gateway: { ip_address: string; mac_address: string } | null;
}
export interface GsPort {
  id: string;
  vpc_id: string;
  mac_address: string;
  fixed_ips: Array<{ subnet_id: string; ip_address: string }>;
}
export interface GsNeighbor {
  id: string;
  vpc_id: string;
  mac_address: string;
  host_ip_address: string;
  fixed_ips: Array<{ subnet_id: string; ip_address: string }>;
}
export interface GsRouter {
  id: string;
  subnet_routing_tables: Array<{ subnet_id: string }>;
}

/** A node's goal states: the latest of each resource Alcor pushed, minus the deleted ones. */
export interface NodeGoalStates {
  vpcs: Readonly<Record<string, GsVpc>>;
  subnets: Readonly<Record<string, GsSubnet>>;
  /** Ports bound to this node. */
  ports: Readonly<Record<string, GsPort>>;
  neighbors: Readonly<Record<string, GsNeighbor>>;
  routers: Readonly<Record<string, GsRouter>>;
}

export interface GatewayPlan {
  subnetId: string;
  ip: string;
  prefix: number;
  mac: string;
  /** Veth end on the VPC bridge (node namespace). */
  bridgeEnd: string;
  /** Veth end in the router namespace, carrying the gateway address and MAC. */
  routerEnd: string;
}

export interface NeighborPlan {
  ip: string;
  mac: string;
  subnetId: string;
  /** Underlay address of the node holding the port; undefined when it is this node. */
  remoteHost?: string;
}

export interface VpcPlumbing {
  vpcId: string;
  tunnelId: number;
  bridge: string;
  vxlan: string;
  routerNetns: string;
  gateways: GatewayPlan[];
  neighbors: NeighborPlan[];
}

/** A port of this node as the endpoint is built from it. */
export interface PortPlan {
  portId: string;
  vpcId: string;
  subnetId: string;
  mac: string;
  ip: string;
  prefix: number;
  gateway: string;
  tunnelId: number;
  bridge: string;
}

/** A problem that keeps a port from being built; names the resource and what is missing. */
export class GoalStateGap extends Error {
  override readonly name = 'GoalStateGap';
}

const b36 = (n: number): string => n.toString(36);

/** 32-bit FNV-1a of a string, as 7 base-36 characters: short, stable device names for subnet ids. */
export function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36).padStart(7, '0');
}

/** Device and namespace names (interface names stay within the kernel's 15 characters). */
export const alcorNames = {
  bridge: (tag: string, vni: number): string => `m${tag}n${b36(vni)}`,
  vxlan: (tag: string, vni: number): string => `m${tag}w${b36(vni)}`,
  routerNetns: (tag: string, node: string, vni: number): string => `mk-${tag}-${node}_r${b36(vni)}`,
  gatewayBridgeEnd: (tag: string, subnetId: string): string => `m${tag}g${shortHash(subnetId)}`,
  gatewayRouterEnd: (subnetId: string): string => `g${shortHash(subnetId)}`,
};

function prefixOf(cidr: string): number {
  const m = /\/(\d{1,2})$/.exec(cidr);
  if (!m || Number(m[1]) > 32) throw new GoalStateGap(`cidr ${JSON.stringify(cidr)} has no prefix length`);
  return Number(m[1]);
}

/** The VPC's tunnel id: DPM fills SubnetState.tunnel_id (VpcState.tunnel_id stays 0 at 21f11b5). */
export function tunnelIdOf(gs: NodeGoalStates, vpcId: string): number | undefined {
  for (const s of Object.values(gs.subnets)) if (s.vpc_id === vpcId && s.tunnel_id > 0) return s.tunnel_id;
  const v = gs.vpcs[vpcId];
  return v && v.tunnel_id > 0 ? v.tunnel_id : undefined;
}

/** Subnets of a VPC that are interfaces of one of its routers (Alcor's RouterState), plus those with a port here. */
export function routedSubnets(gs: NodeGoalStates, vpcId: string): string[] {
  const ids = new Set<string>();
  for (const r of Object.values(gs.routers)) for (const t of r.subnet_routing_tables) if (gs.subnets[t.subnet_id]?.vpc_id === vpcId) ids.add(t.subnet_id);
  for (const p of Object.values(gs.ports)) if (p.vpc_id === vpcId) for (const f of p.fixed_ips) ids.add(f.subnet_id);
  return [...ids].sort();
}

/** VPCs that have a port on this node. */
export function localVpcs(gs: NodeGoalStates): string[] {
  return [...new Set(Object.values(gs.ports).map((p) => p.vpc_id))].sort();
}

/**
 * The plumbing of one VPC on this node, or undefined while Alcor has not told the node its
 * tunnel id. `self` is the node's underlay address (neighbors there are local).
 */
export function planVpc(gs: NodeGoalStates, vpcId: string, o: { tag: string; node: string; self: string }): VpcPlumbing | undefined {
  const tunnelId = tunnelIdOf(gs, vpcId);
  if (tunnelId === undefined) return undefined;
  const gateways: GatewayPlan[] = [];
  for (const id of routedSubnets(gs, vpcId)) {
    const s = gs.subnets[id];
    if (!s?.gateway?.ip_address || !s.gateway.mac_address) continue;
    gateways.push({
      subnetId: id,
      ip: s.gateway.ip_address,
      prefix: prefixOf(s.cidr),
      mac: s.gateway.mac_address.toLowerCase(),
      bridgeEnd: alcorNames.gatewayBridgeEnd(o.tag, id),
      routerEnd: alcorNames.gatewayRouterEnd(id),
    });
  }
  const gatewayIps = new Set(gateways.map((g) => g.ip));
  const neighbors = new Map<string, NeighborPlan>();
  const add = (ip: string, mac: string, subnetId: string, host: string | undefined) => {
    if (!ip || !mac || gatewayIps.has(ip)) return;
    neighbors.set(`${subnetId}/${ip}`, { ip, mac: mac.toLowerCase(), subnetId, ...(host && host !== o.self ? { remoteHost: host } : {}) });
  };
  for (const n of Object.values(gs.neighbors)) {
    if (n.vpc_id !== vpcId) continue;
    for (const f of n.fixed_ips) add(f.ip_address, n.mac_address, f.subnet_id, n.host_ip_address);
  }
  // This node's own ports are neighbors too, whatever Alcor listed (it pushes them as L3 neighbors only via a router).
  for (const p of Object.values(gs.ports)) {
    if (p.vpc_id !== vpcId) continue;
    for (const f of p.fixed_ips) add(f.ip_address, p.mac_address, f.subnet_id, undefined);
  }
  return {
    vpcId,
    tunnelId,
    bridge: alcorNames.bridge(o.tag, tunnelId),
    vxlan: alcorNames.vxlan(o.tag, tunnelId),
    routerNetns: alcorNames.routerNetns(o.tag, o.node, tunnelId),
    gateways,
    neighbors: [...neighbors.values()].sort((a, b) => (a.subnetId === b.subnetId ? a.ip.localeCompare(b.ip) : a.subnetId.localeCompare(b.subnetId))),
  };
}

/**
 * How one of this node's ports is built: its MAC and address as Alcor pushed them, its subnet's
 * gateway, the VPC's bridge.
 * @throws GoalStateGap naming what Alcor has not pushed yet (the caller waits and retries).
 */
export function planPort(gs: NodeGoalStates, portId: string, o: { tag: string }): PortPlan {
  const p = gs.ports[portId];
  if (!p) throw new GoalStateGap(`port ${portId}: no PortState pushed to this node`);
  const f = p.fixed_ips[0];
  if (!f?.ip_address) throw new GoalStateGap(`port ${portId}: the PortState has no fixed IP`);
  if (!p.mac_address) throw new GoalStateGap(`port ${portId}: the PortState has no MAC address`);
  const s = gs.subnets[f.subnet_id];
  if (!s) throw new GoalStateGap(`port ${portId}: no SubnetState for its subnet ${f.subnet_id}`);
  if (!s.gateway?.ip_address) throw new GoalStateGap(`port ${portId}: subnet ${s.id} has no gateway in its SubnetState`);
  const tunnelId = tunnelIdOf(gs, p.vpc_id);
  if (tunnelId === undefined) throw new GoalStateGap(`port ${portId}: no tunnel id pushed for VPC ${p.vpc_id}`);
  return {
    portId,
    vpcId: p.vpc_id,
    subnetId: s.id,
    mac: p.mac_address.toLowerCase(),
    ip: f.ip_address,
    prefix: prefixOf(s.cidr),
    gateway: s.gateway.ip_address,
    tunnelId,
    bridge: alcorNames.bridge(o.tag, tunnelId),
  };
}
