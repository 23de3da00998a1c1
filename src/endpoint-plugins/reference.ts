/**
 * The `reference` endpoint plugin, the worked example for provider developers: per node, one
 * bridge per VNI and one VXLAN device with that VNI over the underlay, with head-end
 * replication entries (all-zero MAC, one per peer) to every other node hosting the VPC. VMs of
 * one VPC reach each other across nodes; different VPCs share nothing.
 *
 * A Linux bridge takes at most 1023 ports, so a VNI with more endpoints on one node gets
 * further bridges ("chunks") hung off chunk 0 by a veth, a tree with no loop.
 * Runs in-process and takes whole batches: a handful of `ip -batch` spawns per batch.
 */
import { runBatch } from '../dataplane/ip-batch';
import { runChecked } from '../dataplane/command';
import { listLinks } from '../dataplane/netns';
import { chunkDownlink, chunkUplink, vniBridge, vxlanDevice } from '../dataplane/names';
import { SELF_NETNS, type OwnedObject } from '../dataplane/owner-record-format';
import type { Endpoint, EndpointPlugin, PluginContext } from './types';

/** IANA VXLAN port. */
export const VXLAN_PORT = 4789;

/** Lines creating the bridges and VXLAN device a set of endpoints needs, skipping what exists (pure). */
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
      lines.push(`link set ${up} master ${b0} up`, `link set ${chunkDownlink(tag, vni, c)} master ${bc} up`);
    }
  }
  return { lines, created };
}

const syncedVnis = new WeakMap<PluginContext, Set<number>>();

async function attach(ctx: PluginContext, eps: readonly Endpoint[]): Promise<void> {
  if (eps.length === 0) return;
  const needs = new Map<number, Set<number>>();
  for (const ep of eps) {
    if (!needs.has(ep.vni)) needs.set(ep.vni, new Set([0]));
    needs.get(ep.vni)!.add(ep.chunk);
  }
  const underlay = await ctx.underlay();
  const existing = ctx.knownLinks ?? new Set((await listLinks(ctx.runner, ctx.nodeNetns)).map((l) => l.ifname));
  const { lines, created } = fabricLines(ctx.tag, needs, existing, underlay);
  if (!ctx.nodeNetns && created.length) {
    // Pod mode: these devices live in the agent's own namespace, which Merak does not delete.
    const objs: OwnedObject[] = created.map((name) => ({ kind: 'link', netns: SELF_NETNS, name }));
    await ctx.record(objs);
  }
  for (const ep of eps) lines.push(`link set ${ep.hostIfname} master ${vniBridge(ctx.tag, ep.vni, ep.chunk)} up`);
  await runBatch(ctx.runner, lines, { netns: ctx.nodeNetns });
  for (const name of created) ctx.knownLinks?.add(name);

  const peersByVni = new Map<number, string[] | undefined>();
  for (const ep of eps) if (!peersByVni.has(ep.vni) || ep.peers) peersByVni.set(ep.vni, ep.peers);
  // Every VXLAN device these endpoints need exists now: no need to list the links again.
  // Once per VNI per activity call (the context lives for one call): the fdb does not change between chunks.
  const synced = syncedVnis.get(ctx) ?? new Set<number>();
  syncedVnis.set(ctx, synced);
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
