/**
 * The local cloud's kernel objects: a fabric namespace with an underlay bridge, node
 * namespaces joined to it by veths with underlay addresses. Each object is recorded before
 * it is created. Nothing is configured in the root namespace: devices are created directly
 * in their target namespaces, addresses are set from inside them.
 */
import type { CommandRunner } from './command';
import { runBatch } from './ip-batch';
import { applyNsConfig, IPV6_OFF } from './ns-helper';
import { listLinks, listMountedNetns, listNetns, netnsAddLines, netnsPath } from './netns';
import { fabricNetns, nodeNetns, underlayBridge, underlayFabricEnd, underlayNodeEnd } from './names';
import type { OwnerRecordStore } from './owner-records';
import { underlayAddress } from './underlay';
import { LOCAL_KERNEL_LIMITS, raiseLocalLimits } from './kernel-limits';
import { DEFAULT_UNDERLAY_MTU, MAX_MTU } from '../model/limits';

export interface KernelDeps {
  runner: CommandRunner;
  records: OwnerRecordStore;
}

/** Record writer name of the local cloud's shared objects (the fabric). */
export const LOCAL_WRITER = 'local';


/**
 * Fabric creations in flight in this process, by namespace: the nodes of one agent process are
 * ensured in parallel and must not race to create the same fabric ("File exists").
 */
const fabricsInFlight = new Map<string, Promise<{ created: boolean }>>();

/** Creates the fabric namespace and its underlay bridge if missing. Idempotent, safe in parallel. */
export async function ensureFabric(deps: KernelDeps, scenario: string, tag: string): Promise<{ created: boolean }> {
  const ns = fabricNetns(tag);
  const running = fabricsInFlight.get(ns);
  if (running) return running;
  const work = createFabric(deps, scenario, tag).finally(() => fabricsInFlight.delete(ns));
  fabricsInFlight.set(ns, work);
  return work;
}

async function createFabric(deps: KernelDeps, scenario: string, tag: string): Promise<{ created: boolean }> {
  const ns = fabricNetns(tag);
  const mounted = await listMountedNetns();
  const exists = mounted.has(ns);
  const limits = await raiseLocalLimits();
  for (const c of limits.changed) {
    const why = LOCAL_KERNEL_LIMITS.find((l) => l.name === c.name)?.why ?? '';
    process.stderr.write(`merak: raised ${c.name} from ${c.before} to ${c.after}: ${why} (restored when the last local scenario is gone)\n`);
  }
  for (const f of limits.failed) process.stderr.write(`merak: could not raise ${f.name} (${f.error}); connectivity tests name it in the results of the checks it spoils\n`);
  await deps.records.intend(scenario, LOCAL_WRITER, [{ kind: 'netns', name: ns }]);
  await runBatch(deps.runner, netnsAddLines([ns], await listNetns(), mounted));
  const links = new Set((await listLinks(deps.runner, ns)).map((l) => l.ifname));
  const br = underlayBridge(tag);
  const inner: string[] = [];
  if (!links.has(br)) inner.push(`link add ${br} mtu ${MAX_MTU} type bridge`);
  inner.push(`link set ${br} up`, 'link set lo up');
  await applyNsConfig(deps.runner, [{ ns: netnsPath(ns), ops: [...IPV6_OFF] }]);
  await runBatch(deps.runner, inner, { netns: ns });
  return { created: !exists };
}

export interface NodeNsOptions {
  scenario: string;
  tag: string;
  node: string;
  nodeSlot: number;
  underlayCidr: string;
  /** The node's own underlay address, when the scenario gives one; default: the slot's. */
  underlayIp?: string;
  /** MTU of the node's underlay link (both ends of its veth), bytes. @default DEFAULT_UNDERLAY_MTU (1500) */
  underlayMtu?: number;
  /**
   * Put the underlay address on the node's veth. False when the node's dataplane puts it
   * elsewhere (an OVN chassis: on its OVS bridge's internal port); the veth is then only brought up.
   * @default true
   */
  addressOnVeth?: boolean;
}

/**
 * Local mode: creates the node namespace, its underlay veth (node end `m<tag>ul` with the
 * node's underlay address, the given one or the slot's, fabric end on the underlay bridge) and loopback. Idempotent.
 */
export async function ensureNodeNs(deps: KernelDeps, o: NodeNsOptions): Promise<{ created: boolean; underlay: string; prefix: number }> {
  const ns = nodeNetns(o.tag, o.node);
  const fabric = fabricNetns(o.tag);
  const ul = underlayAddress(o.underlayCidr, o.nodeSlot, o.underlayIp);
  const mtu = o.underlayMtu ?? DEFAULT_UNDERLAY_MTU;
  const mounted = await listMountedNetns();
  if (!mounted.has(fabric)) await ensureFabric(deps, o.scenario, o.tag);
  await deps.records.intend(o.scenario, o.node, [{ kind: 'netns', name: ns }]);
  const created = !mounted.has(ns);
  await runBatch(deps.runner, netnsAddLines([ns], await listNetns(), mounted));
  const nodeLinks = new Set((await listLinks(deps.runner, ns)).map((l) => l.ifname));
  const nodeEnd = underlayNodeEnd(o.tag);
  // Before any device is made here, so none of them starts IPv6 chatter (see IPV6_OFF).
  await applyNsConfig(deps.runner, [{ ns: netnsPath(ns), ops: [...IPV6_OFF] }]);
  const fabricEnd = underlayFabricEnd(o.tag, o.nodeSlot);
  if (!nodeLinks.has(nodeEnd)) {
    // A half-made pair cannot exist (veth creation is atomic), but a stale fabric end of an
    // earlier node with this slot can: remove it first so the add below cannot collide.
    const fabricLinks = new Set((await listLinks(deps.runner, fabric)).map((l) => l.ifname));
    if (fabricLinks.has(fabricEnd)) await runBatch(deps.runner, [`link del ${fabricEnd}`], { netns: fabric });
    await runBatch(deps.runner, [
      `link add ${nodeEnd} netns ${ns} mtu ${mtu} type veth peer name ${fabricEnd} netns ${fabric} mtu ${mtu}`,
    ]);
  }
  await runBatch(deps.runner, [`link set ${fabricEnd} master ${underlayBridge(o.tag)} up`], { netns: fabric });
  await applyNsConfig(deps.runner, [
    {
      ns: netnsPath(ns),
      ops: [
        { op: 'up', ifname: 'lo' },
        { op: 'up', ifname: nodeEnd },
        ...(o.addressOnVeth === false ? [] : [{ op: 'addr' as const, ifname: nodeEnd, cidr: `${ul.address}/${ul.prefix}` }]),
      ],
    },
  ]);
  return { created, underlay: ul.address, prefix: ul.prefix };
}

/** Deletes a recorded namespace if it exists (`ip netns del`); gone already is fine. */
export async function deleteNetns(deps: KernelDeps, names: readonly string[]): Promise<number> {
  const present = await listNetns();
  const lines = names.filter((n) => present.has(n)).map((n) => `netns del ${n}`);
  if (lines.length) await runBatch(deps.runner, lines);
  return lines.length;
}

export { netnsPath };
