/**
 * The `reference` endpoint plugin, the worked example for provider developers: per node, one
 * bridge per VNI and one VXLAN device with that VNI over the underlay, with head-end
 * replication entries (all-zero MAC, one per peer) to every other node hosting the VPC, and one
 * router per VPC with a port in each of the VPC's VNIs (reference-router.ts). VMs of one VPC
 * reach each other across nodes and subnets; different VPCs share nothing.
 *
 * A Linux bridge takes at most 1023 ports, so a VNI with more endpoints on one node gets
 * further bridges ("chunks") in a tree under chunk 0 (chunkParent in dataplane/names.ts), each
 * hung off its parent by a veth: no loop, and no bridge above 770 ports.
 * Runs in-process and takes whole batches: a handful of `ip -batch` spawns per batch.
 */
import { runBatch } from '../dataplane/ip-batch';
import { runChecked } from '../dataplane/command';
import { listLinks } from '../dataplane/netns';
import { chunkAncestry, chunkDownlink, chunkNameFits, chunkParent, chunkUplink, IFNAME_MAX, vniBridge, vxlanDevice } from '../dataplane/names';
import { SELF_NETNS, type OwnedObject } from '../dataplane/owner-record-format';
import { ensureRouters, planRouters, type RouterPlan } from './reference-router';
import { VXLAN_IPV4_OVERHEAD } from '../model/limits';
import { EndpointPluginError, type Endpoint, type EndpointPlugin, type PluginContext } from './types';

/** IANA VXLAN port. */
export const VXLAN_PORT = 4789;

/**
 * Lines creating the bridges and VXLAN device a set of endpoints needs, skipping what exists
 * (pure). `needs` maps a VNI to its chunks, each with its ancestors up to chunk 0 (chunkAncestry):
 * a chunk's uplink is made on its parent, so parents come first (ascending order does that).
 */
export function fabricLines(
  tag: string,
  needs: ReadonlyMap<number, ReadonlySet<number>>,
  existing: ReadonlySet<string>,
  underlay: { address: string; device: string },
): { lines: string[]; created: string[] } {
  const lines: string[] = [];
  const created: string[] = [];
  const add = (name: string, line: string): void => {
    if (existing.has(name)) return;
    lines.push(line);
    created.push(name);
  };
  for (const [vni, chunks] of needs) {
    const b0 = vniBridge(tag, vni, 0);
    add(b0, `link add ${b0} type bridge`);
    lines.push(`link set ${b0} up`);
    const vx = vxlanDevice(tag, vni);
    add(vx, `link add ${vx} type vxlan id ${vni} local ${underlay.address} dev ${underlay.device} dstport ${VXLAN_PORT}`);
    lines.push(`link set ${vx} master ${b0} up`);
    for (const c of [...chunks].sort((a, b) => a - b)) {
      if (c === 0) continue;
      const bc = vniBridge(tag, vni, c);
      add(bc, `link add ${bc} type bridge`);
      lines.push(`link set ${bc} up`);
      const up = chunkUplink(tag, vni, c);
      add(up, `link add ${up} type veth peer name ${chunkDownlink(tag, vni, c)}`);
      lines.push(`link set ${up} master ${vniBridge(tag, vni, chunkParent(c))} up`, `link set ${chunkDownlink(tag, vni, c)} master ${bc} up`);
    }
  }
  return { lines, created };
}

// Per activity call (a context lives for one call): the fdb and the routers do not change between chunks.
const syncedVnis = new WeakMap<PluginContext, Set<number>>();
const routedVpcs = new WeakMap<PluginContext, Set<string>>();
/** A router plan's identity: the same VPC with another port or gateway is set up again. */
const planKey = (r: RouterPlan): string => `${r.vpc} ${r.ports.map((p) => `${p.vni}=${p.addresses.join(',')}`).join(' ')}`;

function onceIn<T>(map: WeakMap<PluginContext, Set<T>>, ctx: PluginContext): Set<T> {
  let set = map.get(ctx);
  if (!set) {
    set = new Set<T>();
    map.set(ctx, set);
  }
  return set;
}

async function attach(ctx: PluginContext, eps: readonly Endpoint[]): Promise<void> {
  if (eps.length === 0) return;
  const needs = new Map<number, Set<number>>();
  const need = (vni: number, chunk: number): void => {
    let set = needs.get(vni);
    if (!set) {
      set = new Set([0]);
      needs.set(vni, set);
    }
    if (set.has(chunk)) return;
    for (const c of chunkAncestry(chunk)) set.add(c);
  };
  for (const ep of eps) {
    if (!chunkNameFits(ep.vni, ep.chunk)) {
      throw new EndpointPluginError(
        'reference',
        'EP_ADD',
        'LIMIT',
        `endpoint ${ep.endpoint} of VM ${ep.vmIndex} would be on bridge chunk ${ep.chunk} of VNI ${ep.vni}, whose interface name does not fit the kernel's ${IFNAME_MAX} characters: with a VNI of 1679616 or more, a node holds at most 46656 chunks of 256 endpoints of it; use a smaller VNI or fewer endpoints per node`,
      );
    }
    need(ep.vni, ep.chunk);
  }
  // The VPCs' routers, once per call: every VNI of a VPC is on every node with a VM of the VPC,
  // or the router could not reach a subnet that has no VM here.
  const routed = onceIn(routedVpcs, ctx);
  const routers = planRouters(ctx.tag, ctx.node, eps).filter((r) => !routed.has(planKey(r)));
  for (const r of routers) for (const p of r.ports) need(p.vni, 0);
  const underlay = await ctx.underlay();
  const existing = ctx.knownLinks ?? new Set((await listLinks(ctx.runner, ctx.nodeNetns)).map((l) => l.ifname));
  // The router's ports carry what its VMs send: the same MTU as their endpoints.
  const routerLines = await ensureRouters(ctx, routers, existing, eps[0]?.mtu);
  for (const r of routers) routed.add(planKey(r));
  const { lines, created } = fabricLines(ctx.tag, needs, existing, underlay);
  if (!ctx.nodeNetns && created.length) {
    // Pod mode: these devices live in the agent's own namespace, which Merak does not delete.
    const objs: OwnedObject[] = created.map((name) => ({ kind: 'link', netns: SELF_NETNS, name }));
    await ctx.record(objs);
  }
  for (const ep of eps) lines.push(`link set ${ep.hostIfname} master ${vniBridge(ctx.tag, ep.vni, ep.chunk)} up`);
  lines.push(...routerLines);
  await runBatch(ctx.runner, lines, { netns: ctx.nodeNetns });
  for (const name of created) ctx.knownLinks?.add(name);

  const peersByVni = new Map<number, string[] | undefined>();
  const peersByVpc = new Map<string, string[]>();
  for (const ep of eps) {
    if (!peersByVni.has(ep.vni) || ep.peers) peersByVni.set(ep.vni, ep.peers);
    if (ep.peers && !peersByVpc.has(ep.vpc)) peersByVpc.set(ep.vpc, ep.peers);
  }
  // A VNI only the router needs here has the peers of its VPC (the caller gives every VNI of a VPC the same).
  for (const r of routers) for (const p of r.ports) if (!peersByVni.has(p.vni)) peersByVni.set(p.vni, peersByVpc.get(r.vpc));
  // Every VXLAN device these endpoints need exists now: no need to list the links again.
  // Once per VNI per activity call: the fdb does not change between chunks.
  const synced = onceIn(syncedVnis, ctx);
  const todo = [...peersByVni].filter(([vni]) => !synced.has(vni));
  for (const [vni] of todo) synced.add(vni);
  await syncPeersKnown(ctx, todo.map(([vni, peers]) => ({ vni, peers })), ctx.knownLinks ?? new Set([...existing, ...created]));
}

/**
 * Head-end replication: makes the all-zero fdb entries of each VNI's VXLAN device name exactly
 * the current peers (appends the missing, deletes the departed). Idempotent; a VNI without a
 * VXLAN device on this node is skipped.
 */
export async function syncPeers(ctx: PluginContext, vnis: ReadonlyArray<{ vni: number; peers?: string[] }>): Promise<number> {
  return syncPeersKnown(ctx, vnis, new Set((await listLinks(ctx.runner, ctx.nodeNetns)).map((l) => l.ifname)));
}

async function syncPeersKnown(ctx: PluginContext, vnis: ReadonlyArray<{ vni: number; peers?: string[] }>, links: ReadonlySet<string>): Promise<number> {
  const underlay = await ctx.underlay();
  const lines: string[] = [];
  for (const { vni, peers: explicit } of vnis) {
    const vx = vxlanDevice(ctx.tag, vni);
    if (!links.has(vx)) continue;
    const want = new Set((await ctx.peers(vni, explicit)).filter((p) => p !== underlay.address));
    const r = await runChecked(ctx.runner, ['bridge', ...(ctx.nodeNetns ? ['-n', ctx.nodeNetns] : []), '-j', 'fdb', 'show', 'dev', vx]);
    const have = new Set(
      (JSON.parse(r.stdout || '[]') as Array<{ mac: string; dst?: string }>).filter((e) => e.mac === '00:00:00:00:00:00' && e.dst).map((e) => e.dst!),
    );
    for (const p of want) if (!have.has(p)) lines.push(`fdb append 00:00:00:00:00:00 dev ${vx} dst ${p}`);
    for (const p of have) if (!want.has(p)) lines.push(`fdb del 00:00:00:00:00:00 dev ${vx} dst ${p}`);
  }
  if (lines.length) await runBatch(ctx.runner, lines, { netns: ctx.nodeNetns, tool: 'bridge' });
  return lines.length;
}

export function createReferencePlugin(): EndpointPlugin {
  const nothing = async (): Promise<void> => undefined;
  return {
    name: 'reference',
    kernel: true,
    createsInterface: false,
    bringsHostEndUp: true,
    encapOverhead: VXLAN_IPV4_OVERHEAD,
    version: async () => ({ name: 'reference', protocol: '1', builtin: true }),
    vmAdd: nothing,
    vmUpdate: nothing,
    vmDel: nothing,
    epAdd: attach,
    // `link set master` moves a port, so an update to another VNI is the same operation.
    epUpdate: attach,
    // The node end disappears with the veth; bridges and VXLAN devices go with the node.
    epDel: nothing,
    syncPeers,
  };
}
