/**
 * The reference dataplane's distributed VPC router: on every node that has a VM of a VPC, one
 * router namespace for that VPC (`mk-<tag>-<node>_r-<vpc>`) with a port into each VNI of the VPC
 * (a veth whose node end is a port of the VNI's chunk-0 bridge) carrying the gateway addresses of
 * the subnets on that VNI. Every node answers on every gateway address of the VPC, so a VM's
 * traffic to another subnet is routed on its own node, as Neutron DVR and OVN's distributed
 * router do; the reply is routed by the destination node's router. A namespace per VPC keeps
 * VPCs apart even when their CIDRs overlap (this kernel has no VRF device); nothing of it is in
 * the node's or the root namespace but the bridge ports.
 *
 * Gateway ARP stays on the node (docs/dataplane.md, "Routing between subnets"): all routers of
 * a node use one MAC, unique to the node, and each router namespace holds two arptables rules:
 * it answers ARP requests only from MACs of its own node, and its own requests go out with
 * sender address 0.0.0.0 (an ARP probe, RFC 5227), so a VM on another node answers them without
 * taking the router for its gateway.
 */
import { applyNsConfig, IPV6_OFF, type NsOp } from '../dataplane/ns-helper';
import { runBatch } from '../dataplane/ip-batch';
import { listMountedNetns, listNetns, netnsAddLines, netnsPath } from '../dataplane/netns';
import { routerIfname, routerNetns, routerPort, vniBridge } from '../dataplane/names';
import { prefixOf } from '../model/ipam';
import { nodeMacPrefix, routerMacOf } from '../model/mac';
import { EndpointPluginError, type Endpoint, type PluginContext, type SubnetInfo } from './types';

export interface RouterPortPlan {
  vni: number;
  /** Interface inside the router namespace, e.g. vni1001. */
  ifname: string;
  /** Its peer in the node's namespace, a port of the VNI's chunk-0 bridge. */
  port: string;
  /** Gateway addresses with prefix of the VPC's subnets on this VNI, e.g. 10.0.1.1/24. */
  addresses: string[];
}

export interface RouterPlan {
  vpc: string;
  netns: string;
  /** MAC of every port (the node's router MAC). */
  mac: string;
  /** Leading three octets of every MAC of this node: ARP requests from other MACs are not answered. */
  macPrefix: string;
  /** One per VNI of the VPC, by VNI. */
  ports: RouterPortPlan[];
}

/**
 * The routers the VPCs of `eps` need on this node (pure): one per VPC, a port per VNI among the
 * VPC's subnets (the endpoints' own and each endpoint's `vpcSubnets`, a subnet listed twice
 * counting once), VPCs and VNIs in order.
 * @throws InvalidInputError when a VPC id cannot be part of a namespace name
 */
export function planRouters(tag: string, node: string, eps: readonly Endpoint[]): RouterPlan[] {
  const vpcs = new Map<string, { mac: string; subnets: Map<string, SubnetInfo> }>();
  // Every endpoint of a batch shares one vpcSubnets array: read each distinct array once.
  const lists = new Set<readonly SubnetInfo[]>();
  for (const ep of eps) {
    let v = vpcs.get(ep.vpc);
    if (!v) {
      v = { mac: ep.mac, subnets: new Map() };
      vpcs.set(ep.vpc, v);
    }
    if (!v.subnets.has(ep.subnetId)) v.subnets.set(ep.subnetId, { id: ep.subnetId, vpc: ep.vpc, cidr: ep.subnetCidr, gateway: ep.gateway, vni: ep.vni });
    if (ep.vpcSubnets) lists.add(ep.vpcSubnets);
  }
  for (const list of lists) for (const s of list) vpcs.get(s.vpc)?.subnets.set(s.id, s);
  return [...vpcs.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([vpc, v]) => {
      const byVni = new Map<number, Set<string>>();
      for (const s of v.subnets.values()) {
        const set = byVni.get(s.vni) ?? new Set<string>();
        set.add(`${s.gateway}/${prefixOf(s.cidr)}`);
        byVni.set(s.vni, set);
      }
      return {
        vpc,
        netns: routerNetns(tag, node, vpc),
        mac: routerMacOf(v.mac),
        macPrefix: nodeMacPrefix(v.mac),
        ports: [...byVni.entries()]
          .sort(([a], [b]) => a - b)
          .map(([vni, addresses]) => ({ vni, ifname: routerIfname(vni), port: routerPort(tag, vni), addresses: [...addresses].sort() })),
      };
    });
}

/** Kernel settings of a router namespace, set before its ports exist so they inherit the defaults. */
export const ROUTER_SYSCTLS: readonly NsOp[] = [
  ...IPV6_OFF,
  { op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
  // A router forwarding between two subnets of one VNI (one port) would otherwise tell the VM to
  // go direct; the effective setting is `all` OR the interface's, so both are off.
  { op: 'sysctl', key: 'net.ipv4.conf.all.send_redirects', value: '0' },
  { op: 'sysctl', key: 'net.ipv4.conf.default.send_redirects', value: '0' },
  { op: 'up', ifname: 'lo' },
];

/**
 * The router namespace's ARP rules, as `arptables-restore` input (pure): answer only requests
 * from this node's MACs (a VM's request for its gateway also reaches every other node's router
 * over VXLAN; only its own node's must answer), and send every request as a probe from 0.0.0.0
 * (a VM updates its entry for the sender address of any ARP it sees, so a remote router asking
 * for it with the gateway address would become its gateway).
 */
export function routerArpRules(macPrefix: string): string {
  return [
    '*filter',
    ':INPUT ACCEPT',
    ':OUTPUT ACCEPT',
    ':FORWARD ACCEPT',
    `-A INPUT --opcode Request ! --source-mac ${macPrefix}:00:00:00/ff:ff:ff:00:00:00 -j DROP`,
    '-A OUTPUT --opcode Request -j mangle --mangle-ip-s 0.0.0.0',
    'COMMIT',
    '',
  ].join('\n');
}

/**
 * Routers this process has made or checked completely, by namespace and plan: their addresses
 * need not be set again while their ports exist. A crash forgets them, so the first call after a
 * restart checks again; bounded, in case an agent outlives many scenarios.
 */
const complete = new Set<string>();
const COMPLETE_MAX = 10_000;
const completeKey = (r: RouterPlan): string => `${r.netns} ${r.mac} ${r.ports.map((p) => `${p.vni}=${p.addresses.join(',')}`).join(' ')}`;

/**
 * Makes the routers of `plans` exist and be configured; returns the `ip` lines, for the node's
 * namespace, that put their node ends on the VNIs' chunk-0 bridges (the bridges may not exist
 * before the caller's batch). Idempotent: what exists is kept. A router whose ports all exist is
 * complete up to its addresses (its ports are made after its settings and ARP rules), so its
 * gateway addresses are set again (`addr replace`) unless this process already did so for these
 * ports. Node ends made here are added to `known`. `mtu` (bytes) is set on both ends of the ports
 * made here (default: the kernel's 1500).
 * @throws EndpointPluginError when arptables is missing or refused (non-retryable: the batch rolls back)
 */
export async function ensureRouters(ctx: PluginContext, plans: readonly RouterPlan[], known: Set<string>, mtu?: number): Promise<string[]> {
  if (plans.length === 0) return [];
  const incomplete = plans.filter((r) => r.ports.some((p) => !known.has(p.port)));
  for (const r of incomplete) complete.delete(completeKey(r));
  if (incomplete.length > 0) {
    const mounted = await listMountedNetns();
    const missing = incomplete.filter((r) => !mounted.has(r.netns)).map((r) => r.netns);
    if (missing.length > 0) {
      // Recorded before created, like every namespace: removed with the node by its owner record.
      await ctx.record(missing.map((name) => ({ kind: 'netns', name })));
      await runBatch(ctx.runner, netnsAddLines(missing, await listNetns(), mounted));
    }
    await applyNsConfig(ctx.runner, incomplete.map((r) => ({ ns: netnsPath(r.netns), ops: [...ROUTER_SYSCTLS] })));
    await Promise.all(incomplete.map((r) => loadArpRules(ctx, r)));
    const peerNs = ctx.nodeNetns ? ` netns ${ctx.nodeNetns}` : '';
    const mtuOpt = mtu !== undefined ? ` mtu ${mtu}` : '';
    const veths: string[] = [];
    for (const r of incomplete) {
      for (const p of r.ports) {
        // Both ends are made in their final namespaces; nothing appears in the agent's (local mode).
        if (!known.has(p.port)) veths.push(`link add ${p.ifname} netns ${r.netns} address ${r.mac}${mtuOpt} type veth peer name ${p.port}${peerNs}${mtuOpt}`);
      }
    }
    await runBatch(ctx.runner, veths);
    for (const r of incomplete) for (const p of r.ports) known.add(p.port);
  }
  await Promise.all(
    plans
      .filter((r) => !complete.has(completeKey(r)))
      .map(async (r) => {
        await runBatch(
          ctx.runner,
          r.ports.flatMap((p) => [...p.addresses.map((a) => `addr replace ${a} dev ${p.ifname}`), `link set ${p.ifname} up`]),
          { netns: r.netns },
        );
        if (complete.size >= COMPLETE_MAX) complete.clear();
        complete.add(completeKey(r));
      }),
  );
  return plans.flatMap((r) => r.ports.map((p) => `link set ${p.port} master ${vniBridge(ctx.tag, p.vni, 0)} up`));
}

async function loadArpRules(ctx: PluginContext, r: RouterPlan): Promise<void> {
  const argv = ['nsenter', `--net=${netnsPath(r.netns)}`, '--', 'arptables-restore'];
  let detail: string;
  try {
    const res = await ctx.runner.run(argv, { input: routerArpRules(r.macPrefix), timeoutMs: 30_000 });
    if (res.code === 0) return;
    detail = res.stderr.trim() || `exit ${res.code ?? res.signal}`;
  } catch (e) {
    detail = (e as Error).message;
  }
  throw new EndpointPluginError(
    'reference',
    'EP_ADD',
    'ROUTER_ARP_RULES',
    `${argv.join(' ')} failed: ${detail.slice(0, 400)}; the VPC routers keep gateway ARP on their node with arptables (Debian package iptables) and need the kernel's nf_tables ARP family with the arpt mangle target`,
  );
}
