/**
 * Live VM counts for the CLI: the scenario's status counts a node's VMs when its child workflow
 * ends, so while a node builds the CLI asks the child itself (its `progress` query) and puts the
 * answer in place of the status count. Asking is bounded: at most a few running nodes per tick,
 * taken round robin, the others keeping the count they answered last. Pure; the querying is in
 * src/cli/live-progress.ts.
 */

/**
 * Most node workflows asked at once by `merak status`: as many as ever run at once (the
 * scenario's fan-out of node workflows is at most 128, POOL_CHILD_FAN_OUT).
 */
export const FAN_OUT_LIMIT = 128;

/** The fields of a node status this needs. */
export interface NodeCount {
  name: string;
  vms: number;
  endpoints: number;
  running?: true;
}

/**
 * The running nodes to ask this tick: at most `max`, round robin over the running ones.
 * @param running names of the running nodes, in status order
 * @param cursor where the last tick stopped (any whole number; taken modulo the list length)
 * @param max most nodes to ask per tick (≥ 1)
 * @returns the nodes to ask and the cursor for the next tick
 */
export function nodesToAsk(running: readonly string[], cursor: number, max: number): { nodes: string[]; cursor: number } {
  if (running.length <= max) return { nodes: [...running], cursor: 0 };
  const start = ((cursor % running.length) + running.length) % running.length;
  const nodes = Array.from({ length: max }, (_, i) => running[(start + i) % running.length]!);
  return { nodes, cursor: (start + max) % running.length };
}

/**
 * The nodes with live counts: a running node that answered gets its child's count (endpoints
 * scaled to match); every other node keeps the status's count.
 * @param live node → VMs its child reported; entries of nodes no longer running are ignored
 */
export function withLiveCounts<T extends NodeCount>(nodes: readonly T[], live: ReadonlyMap<string, number>): T[] {
  return nodes.map((n) => {
    const vms = n.running ? live.get(n.name) : undefined;
    if (vms === undefined || vms === n.vms) return n;
    const perVm = n.vms > 0 ? n.endpoints / n.vms : undefined;
    return { ...n, vms, ...(perVm !== undefined ? { endpoints: Math.round(vms * perVm) } : {}) };
  });
}
