/**
 * Joins an OVN central's namespace to a scenario's fabric, so the chassis on the scenario's nodes
 * reach the southbound database: one veth, `m<tag>ovnf` on the fabric's underlay bridge and
 * `m<tag>ovnc` in the central's namespace with the underlay's last usable address
 * (centralFabricAddress; nodes take addresses from the bottom). Both ends are made directly in
 * their namespaces: nothing appears in the root namespace. The veth is not recorded: it dies with
 * either namespace (the fabric goes with the scenario, the central's namespace with the central).
 *
 * The central's end sends the southbound database's TCP replies into a chassis's OVS bridge
 * port; with TX checksum offload on, they would arrive with a partial checksum that OVS's
 * AF_PACKET port passes on unfilled, and the chassis would drop them (../shared/providers/ovn/
 * README.md, pitfall 2): offload is turned off on that end.
 *
 * One namespace has one routing table, so two fabrics with overlapping underlays cannot both be
 * joined: the second is refused.
 */
import type { CommandRunner } from '../command';
import { runChecked } from '../command';
import { runBatch } from '../ip-batch';
import { listLinks, listMountedNetns } from '../netns';
import { fabricNetns, underlayBridge } from '../names';
import { cidrsOverlap, parseCidr, cidrFrom, parseIpv4, prefixMask, formatIpv4 } from '../../model/ipv4';
import { centralFabricAddress } from '../../model/ovn';
import { MAX_MTU } from '../../model/limits';
import { centralFabricSide, fabricCentralSide } from './paths';

export class CentralFabricError extends Error {
  override readonly name = 'CentralFabricError';
}

interface AddrInfo {
  ifname: string;
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

const inFlight = new Map<string, Promise<string>>();

/**
 * Makes sure the central's namespace is on the scenario's fabric; returns the central's address
 * there. Idempotent and safe to call from the nodes of one process at once.
 * @throws CentralFabricError when the central's namespace or the fabric is missing, or the central
 *   is already on another fabric with an overlapping underlay, or a node holds the central's address.
 */
export function joinCentralToFabric(runner: CommandRunner, o: { centralNetns: string; tag: string; underlayCidr: string }): Promise<string> {
  const key = `${o.centralNetns}/${o.tag}`;
  const running = inFlight.get(key);
  if (running) return running;
  const work = join(runner, o).finally(() => inFlight.delete(key));
  inFlight.set(key, work);
  return work;
}

async function join(runner: CommandRunner, o: { centralNetns: string; tag: string; underlayCidr: string }): Promise<string> {
  const mounted = await listMountedNetns();
  const fabric = fabricNetns(o.tag);
  if (!mounted.has(o.centralNetns)) {
    throw new CentralFabricError(`the OVN central's namespace ${o.centralNetns} does not exist: is the OVN network plugin (merak plugin serve --provider ovn) running?`);
  }
  if (!mounted.has(fabric)) throw new CentralFabricError(`the scenario's fabric ${fabric} does not exist (local mode makes it with the first node)`);
  const net = parseCidr(o.underlayCidr);
  const address = centralFabricAddress(o.underlayCidr);
  const side = centralFabricSide(o.tag);
  const addrs = JSON.parse((await runChecked(runner, ['ip', '-n', o.centralNetns, '-j', '-4', 'addr', 'show'])).stdout || '[]') as AddrInfo[];
  for (const l of addrs) {
    if (l.ifname === side || l.ifname === 'lo') continue;
    for (const a of l.addr_info ?? []) {
      if (a.family !== 'inet') continue;
      const other = cidrFrom((parseIpv4(a.local) & prefixMask(a.prefixlen)) >>> 0, a.prefixlen);
      if (cidrsOverlap(other, net)) {
        throw new CentralFabricError(
          `the OVN central's namespace ${o.centralNetns} is already on another fabric (${l.ifname}, ${a.local}/${a.prefixlen}) whose underlay overlaps ${formatIpv4(net.network)}/${net.prefix}: give the scenarios sharing one OVN plugin underlay CIDRs that do not overlap`,
        );
      }
    }
  }
  const have = new Set((await listLinks(runner, o.centralNetns)).map((l) => l.ifname));
  if (!have.has(side)) {
    const r = await runner.run([
      'ip', 'link', 'add', side, 'netns', o.centralNetns, 'mtu', String(MAX_MTU), 'type', 'veth', 'peer', 'name', fabricCentralSide(o.tag), 'netns', fabric, 'mtu', String(MAX_MTU),
    ]);
    // Another process of the same scenario may have made it meanwhile: fine if it is there now.
    if (r.code !== 0 && !new Set((await listLinks(runner, o.centralNetns)).map((l) => l.ifname)).has(side)) {
      throw new CentralFabricError(`joining ${o.centralNetns} to ${fabric} failed: ${r.stderr.trim()}`);
    }
  }
  await runBatch(runner, [`link set ${fabricCentralSide(o.tag)} master ${underlayBridge(o.tag)} up`], { netns: fabric });
  await runBatch(runner, [`link set dev ${side} addrgenmode none`, `addr replace ${address}/${net.prefix} dev ${side}`, `link set ${side} up`], { netns: o.centralNetns });
  await runChecked(runner, ['ip', 'netns', 'exec', o.centralNetns, 'ethtool', '-K', side, 'tx', 'off']);
  return address;
}
