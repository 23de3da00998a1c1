/**
 * Joins a local Alcor control plane (its namespace, alcor-control-plane.ts) to a scenario's
 * fabric, so Alcor's network configuration manager reaches the nodes' underlay addresses: one
 * veth, `m<tag>alcor` on the fabric's underlay bridge and `m<tag>fabric` in Alcor's namespace,
 * which takes the last usable address of the underlay (nodes take network+1+slot from the
 * bottom). Both ends are made directly in their namespaces: nothing appears in the root
 * namespace. The veth is not recorded: it dies with either namespace (the fabric goes with the
 * scenario, Alcor's namespace with `merak alcor down`).
 *
 * One Alcor namespace has one routing table, so two fabrics with overlapping underlays (two
 * scenarios with the default 100.64.0.0/16) cannot both be joined: the second is refused.
 */
import type { CommandRunner } from '../dataplane/command';
import { runChecked } from '../dataplane/command';
import { runBatch } from '../dataplane/ip-batch';
import { listLinks, listMountedNetns } from '../dataplane/netns';
import { fabricNetns, underlayBridge, underlayNodeEnd } from '../dataplane/names';
import { cidrFrom, cidrLast, cidrsOverlap, formatIpv4, parseIpv4, prefixMask, type Ipv4Cidr } from '../model/ipv4';

/** The block an interface address lies in. */
const networkOf = (address: string, prefix: number): Ipv4Cidr => cidrFrom((parseIpv4(address) & prefixMask(prefix)) >>> 0, prefix);

export class AlcorFabricError extends Error {
  override readonly name = 'AlcorFabricError';
}

export const alcorFabricEnd = (tag: string): string => `m${tag}alcor`;
export const alcorSideEnd = (tag: string): string => `m${tag}fabric`;

interface AddrInfo {
  ifname: string;
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

async function ipv4Addrs(runner: CommandRunner, netns: string): Promise<AddrInfo[]> {
  const r = await runChecked(runner, ['ip', '-n', netns, '-j', '-4', 'addr', 'show']);
  return JSON.parse(r.stdout || '[]') as AddrInfo[];
}

const inFlight = new Map<string, Promise<string>>();

/**
 * Makes sure Alcor's namespace is on the scenario's fabric; returns Alcor's underlay address.
 * Idempotent and safe to call from the nodes of one process at once.
 * @throws AlcorFabricError when Alcor's namespace or the node's underlay is missing, or Alcor is
 * already on another fabric with an overlapping underlay.
 */
export function attachAlcorToFabric(runner: CommandRunner, o: { alcorNetns: string; tag: string; nodeNetns: string }): Promise<string> {
  const key = `${o.alcorNetns}/${o.tag}`;
  const running = inFlight.get(key);
  if (running) return running;
  const work = attach(runner, o).finally(() => inFlight.delete(key));
  inFlight.set(key, work);
  return work;
}

async function attach(runner: CommandRunner, o: { alcorNetns: string; tag: string; nodeNetns: string }): Promise<string> {
  const mounted = await listMountedNetns();
  const fabric = fabricNetns(o.tag);
  if (!mounted.has(o.alcorNetns)) {
    throw new AlcorFabricError(`Alcor's namespace ${o.alcorNetns} does not exist: start the control plane (merak alcor up) or set MERAK_ALCOR_NETNS to the one that runs`);
  }
  if (!mounted.has(fabric)) throw new AlcorFabricError(`the scenario's fabric ${fabric} does not exist (local mode makes it with the first node)`);
  const ul = (await ipv4Addrs(runner, o.nodeNetns)).find((l) => l.ifname === underlayNodeEnd(o.tag))?.addr_info?.find((a) => a.family === 'inet');
  if (!ul) throw new AlcorFabricError(`node namespace ${o.nodeNetns} has no underlay address on ${underlayNodeEnd(o.tag)}`);
  const net = networkOf(ul.local, ul.prefixlen);
  const address = formatIpv4(cidrLast(net) - 1);
  if (address === ul.local) throw new AlcorFabricError(`node underlay address ${ul.local} is the one Alcor takes on the fabric (the last usable of ${formatIpv4(net.network)}/${net.prefix}); use fewer nodes or a larger underlay`);
  const side = alcorSideEnd(o.tag);
  const alcorAddrs = await ipv4Addrs(runner, o.alcorNetns);
  for (const l of alcorAddrs) {
    if (l.ifname === side || l.ifname === 'lo') continue;
    for (const a of l.addr_info ?? []) {
      if (a.family !== 'inet') continue;
      const other = networkOf(a.local, a.prefixlen);
      if (cidrsOverlap(other, net)) {
        throw new AlcorFabricError(
          `Alcor's namespace ${o.alcorNetns} is already on another fabric (${l.ifname}, ${a.local}/${a.prefixlen}) whose underlay overlaps ${formatIpv4(net.network)}/${net.prefix}: one Alcor control plane serves one local scenario at a time, unless their underlay CIDRs differ`,
        );
      }
    }
  }
  const have = new Set((await listLinks(runner, o.alcorNetns)).map((l) => l.ifname));
  if (!have.has(side)) {
    const r = await runner.run(['ip', 'link', 'add', side, 'netns', o.alcorNetns, 'type', 'veth', 'peer', 'name', alcorFabricEnd(o.tag), 'netns', fabric]);
    // Another process of the same scenario may have made it meanwhile: fine if it is there now.
    if (r.code !== 0 && !new Set((await listLinks(runner, o.alcorNetns)).map((l) => l.ifname)).has(side)) {
      throw new AlcorFabricError(`joining ${o.alcorNetns} to ${fabric} failed: ${r.stderr.trim()}`);
    }
  }
  await runBatch(runner, [`link set ${alcorFabricEnd(o.tag)} master ${underlayBridge(o.tag)} up`], { netns: fabric });
  await runBatch(runner, [`link set dev ${side} addrgenmode none`, `addr replace ${address}/${net.prefix} dev ${side}`, `link set ${side} up`], { netns: o.alcorNetns });
  return address;
}
