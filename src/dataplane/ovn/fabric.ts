/**
 * Joins an OVN central's namespace to a scenario's fabric, so the chassis on the scenario's nodes
 * reach the southbound database: one veth, `m<tag>ovnf` on the fabric's underlay bridge and
 * `m<tag>ovnc` in the central's namespace with the underlay's last usable address
 * (centralFabricAddress; nodes take addresses from the bottom). Both ends are made directly in
 * their namespaces: nothing appears in the root namespace.
 *
 * The central's end is recorded against the scenario under the local cloud's writer (LOCAL_WRITER,
 * the fabric's), before it is made: every chassis of the scenario uses it, so a node's delete
 * leaves it, and the scenario's clean deletes it explicitly (with its peer) before it deletes the
 * fabric namespace. Leaving it to die with the fabric is not enough: namespace deletion finishes
 * asynchronously in the kernel, so it could outlive the clean and be taken for the next
 * scenario's of the same tag (`merak down X && merak up X`), then vanish under its chassis.
 * For the same reason a join checks that an existing end has its peer in the current fabric, and
 * replaces a leftover whose peer is elsewhere (a fabric namespace deleted out of band, or still
 * held by a process).
 *
 * The central's end sends the southbound database's TCP replies into a chassis's OVS bridge
 * port; with TX checksum offload on, they would arrive with a partial checksum that OVS's
 * AF_PACKET port passes on unfilled, and the chassis would drop them (../shared/providers/ovn/
 * README.md, pitfall 2): offload is turned off on that end.
 *
 * One namespace has one routing table, so two fabrics with overlapping underlays cannot both be
 * joined: the second is refused.
 */
import { runChecked } from '../command';
import { runBatch } from '../ip-batch';
import { listLinks, listMountedNetns } from '../netns';
import { fabricNetns, underlayBridge } from '../names';
import { LOCAL_WRITER, type KernelDeps } from '../node-ns';
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

/** What {@link joinCentralToFabric} joins. */
export interface CentralJoin {
  /** The scenario the veth is recorded against (under LOCAL_WRITER). */
  scenario: string;
  /** The central's namespace (paths.ts centralNetns). */
  centralNetns: string;
  /** The scenario's tag: names the fabric and both ends of the veth. */
  tag: string;
  /** The scenario's underlay, `a.b.c.d/p`: the central takes its last usable address. */
  underlayCidr: string;
}

const inFlight = new Map<string, Promise<string>>();

/** Rounds of look-and-repair in a join: a leftover is removed in one, the veth made in the next (bounded). */
const JOIN_ROUNDS = 4;

/**
 * Makes sure the central's namespace is on the scenario's fabric; returns the central's address
 * there. Records the central's end (`link <centralNetns> m<tag>ovnc`, writer LOCAL_WRITER) before
 * making it. An end of that name whose peer is not in the current fabric, or a fabric end whose
 * peer is not in the central's namespace, is a leftover of an earlier fabric or central of this
 * tag: it is deleted and the veth made anew. Idempotent and safe to call from the nodes of one
 * process at once.
 * @throws CentralFabricError when the central's namespace or the fabric is missing, or the central
 *   is already on another fabric with an overlapping underlay, or a node holds the central's
 *   address, or the veth cannot be made within JOIN_ROUNDS rounds.
 */
export function joinCentralToFabric(deps: KernelDeps, o: CentralJoin): Promise<string> {
  const key = `${o.centralNetns}/${o.tag}`;
  const running = inFlight.get(key);
  if (running) return running;
  const work = join(deps, o).finally(() => inFlight.delete(key));
  inFlight.set(key, work);
  return work;
}

async function join(deps: KernelDeps, o: CentralJoin): Promise<string> {
  const { runner } = deps;
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
  await ensureVeth(deps, o);
  await runBatch(runner, [`link set ${fabricCentralSide(o.tag)} master ${underlayBridge(o.tag)} up`], { netns: fabric });
  await runBatch(runner, [`link set dev ${side} addrgenmode none`, `addr replace ${address}/${net.prefix} dev ${side}`, `link set ${side} up`], { netns: o.centralNetns });
  await runChecked(runner, ['ip', 'netns', 'exec', o.centralNetns, 'ethtool', '-K', side, 'tx', 'off']);
  return address;
}

/**
 * Makes the veth unless both ends are there, each in its namespace. A veth is made and deleted as
 * a pair, so one end without the other means the other's peer lives in a namespace that is not
 * (or no longer) the current one: that end is a leftover. The fabric is listed before the central:
 * an end of the central's that a concurrent join just made has its fabric end already, and a
 * central end seen without one is looked at again before it is deleted.
 */
async function ensureVeth(deps: KernelDeps, o: CentralJoin): Promise<void> {
  const { runner } = deps;
  const fabric = fabricNetns(o.tag);
  const side = centralFabricSide(o.tag);
  const peer = fabricCentralSide(o.tag);
  const inFabric = async (): Promise<boolean> => (await listLinks(runner, fabric)).some((l) => l.ifname === peer);
  let last = '';
  for (let round = 0; round < JOIN_ROUNDS; round++) {
    const fabricEnd = await inFabric();
    const centralEnd = (await listLinks(runner, o.centralNetns)).some((l) => l.ifname === side);
    if (fabricEnd && centralEnd) return;
    if (centralEnd) {
      if (await inFabric()) return; // made meanwhile by another join of this scenario
      // Its peer is in an earlier fabric of this tag (being deleted, or held by a process).
      await runner.run(['ip', '-n', o.centralNetns, 'link', 'del', side]); // gone meanwhile is fine: the next round looks again
      continue;
    }
    if (fabricEnd) {
      // Its peer was in an earlier namespace of this central.
      await runner.run(['ip', '-n', fabric, 'link', 'del', peer]);
      continue;
    }
    await deps.records.intend(o.scenario, LOCAL_WRITER, [{ kind: 'link', netns: o.centralNetns, name: side }]);
    const r = await runner.run(['ip', 'link', 'add', side, 'netns', o.centralNetns, 'mtu', String(MAX_MTU), 'type', 'veth', 'peer', 'name', peer, 'netns', fabric, 'mtu', String(MAX_MTU)]);
    if (r.code === 0) return;
    // Another join of the same scenario may have made it meanwhile: the next round sees.
    last = r.stderr.trim();
  }
  throw new CentralFabricError(`joining ${o.centralNetns} to ${fabric} failed: ${side} and ${peer} were not both there after ${JOIN_ROUNDS} rounds${last ? ` (last error: ${last})` : ''}`);
}
