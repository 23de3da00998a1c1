/**
 * Connectivity checks whose destination VM is on another node. The source node's agent cannot
 * open a server in a VM namespace it does not hold (in pod mode the destination's namespaces
 * live in another pod, often on another machine), so the destination node's own agent serves
 * the check: it proves each destination address is configured in its VM namespace and opens the
 * TCP/UDP echo and iperf3 servers there before the source's checks start, and stops them after.
 * Pure rules of that exchange, shared by the scenario workflow and the testing activities
 * (test/unit/test-servers.test.ts).
 */
import { MAX_HELPER_DEADLINE_S } from './checks';
import type { TestPair } from './pairs';

/** A destination VM address the destination node's agent is asked to serve. */
export interface ServedEnd {
  vmIndex: number;
  ip: string;
}

/**
 * What the destination node's agent serves for one VM address: the ports its servers listen on
 * inside the VM's namespace (only for the kinds asked), or why it could not serve it.
 */
export interface RemoteEnd {
  /** The destination node. */
  node: string;
  vmIndex: number;
  ip: string;
  /** TCP echo port (kind tcp). */
  tcp?: number;
  /** UDP echo port (kind udp). */
  udp?: number;
  /** iperf3 server port (kind iperf). */
  iperf?: number;
  /** Set when the address could not be served (not a VM address of the scenario there, a server did not start). */
  problem?: string;
}

/** Lookup key of a destination end. */
export function endKey(e: { node: string; vmIndex: number; ip: string }): string {
  return `${e.node}/${e.vmIndex}/${e.ip}`;
}

/**
 * The destinations of `node`'s pairs that are on other nodes, grouped by node in first-seen
 * order, each address once (several sources may aim at one VM).
 * @param node - the node the checks run from (every pair's source is there).
 * @param pairs - the node's pairs.
 * @returns one entry per other node, its ends in first-seen order; empty when every destination is on `node`.
 */
export function remoteDestinations(node: string, pairs: readonly TestPair[]): Array<{ node: string; ends: ServedEnd[] }> {
  const groups = new Map<string, { node: string; ends: ServedEnd[]; seen: Set<string> }>();
  for (const { destination: d } of pairs) {
    if (d.node === node) continue;
    let g = groups.get(d.node);
    if (!g) {
      g = { node: d.node, ends: [], seen: new Set() };
      groups.set(d.node, g);
    }
    const key = endKey(d);
    if (g.seen.has(key)) continue;
    g.seen.add(key);
    g.ends.push({ vmIndex: d.vmIndex, ip: d.ip });
  }
  return [...groups.values()].map(({ node: n, ends }) => ({ node: n, ends }));
}

/** The ends of `node` as not served, each with `problem` (its agent could not be asked, or failed). */
export function unservedEnds(node: string, ends: readonly ServedEnd[], problem: string): RemoteEnd[] {
  return ends.map((e) => ({ node, vmIndex: e.vmIndex, ip: e.ip, problem }));
}

/**
 * The served ends one test call needs: those of `served` that are the destination of one of
 * `pairs` on another node than `node`, in `served` order. A node's pairs may go in several
 * calls (chunks); each carries only its own destinations' servers, so a call's payload grows
 * with the chunk, not with the node.
 * @param node - the node the checks run from.
 * @param pairs - the call's pairs.
 * @param served - what the destination nodes answered for all of `node`'s pairs.
 */
export function remoteFor(node: string, pairs: readonly TestPair[], served: readonly RemoteEnd[]): RemoteEnd[] {
  const wanted = new Set<string>();
  for (const { destination: d } of pairs) if (d.node !== node) wanted.add(endKey(d));
  return served.filter((r) => wanted.has(endKey(r)));
}

/** Slack on top of the servers' deadline, s: the stop normally comes long before. */
const SERVER_DEADLINE_SLACK_S = 60;

/**
 * Seconds after which a destination's servers end on their own, even if the stop never comes
 * (the workflow or the agent died): the source's whole test activity, retries included, plus
 * the time the servers had to start, plus a minute; at most {@link MAX_HELPER_DEADLINE_S} (a day).
 * @param testActivityMs - schedule-to-close time of the source's test calls, ms, > 0: the sum
 *   over its calls when its pairs go in several (chunks), since the servers live through all of them.
 * @param startMs - schedule-to-close time of the server start, ms, ≥ 0.
 * @throws RangeError when a time is not a finite number in range.
 */
export function serverDeadlineS(testActivityMs: number, startMs: number): number {
  if (!Number.isFinite(testActivityMs) || testActivityMs <= 0) throw new RangeError(`testActivityMs ${testActivityMs} must be a finite number > 0`);
  if (!Number.isFinite(startMs) || startMs < 0) throw new RangeError(`startMs ${startMs} must be a finite number ≥ 0`);
  return Math.min(MAX_HELPER_DEADLINE_S, Math.ceil((testActivityMs + startMs) / 1000) + SERVER_DEADLINE_SLACK_S);
}
