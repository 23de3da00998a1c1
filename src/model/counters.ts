/**
 * The per-node traffic and drop counters (pure): what a node's eBPF collector answers, turned
 * into the documented JSON shape that the agents serve (`GET /counters`), `merak monitor`
 * prints with `-o json`, and a report can read; and rates between two of them.
 *
 * Shape (schema `merak.counters/v1`); counters are cumulative since the node's collector
 * started (it restarts with the node; a restart is visible as a new `collector.pid`):
 *
 *   { schema, scenario, time: ISO-8601,
 *     nodes: [ { node, time,
 *                collector: { running, pid?, startedAt?, cpuSeconds?, bpfRunSeconds?, bpfRuns?,
 *                             watchedNamespaces?, lost?: { traffic, drops }, error? },
 *                totals: { rxPackets, rxBytes, txPackets, txBytes, drops: { REASON: count } },
 *                endpoints:  [ { vm, interface, ifindex, rxPackets, rxBytes, txPackets, txBytes, drops } ],
 *                interfaces: [ the same, `vm: null` for the node's own namespace ] } ] }
 *
 * `endpoints` are the VMs' interfaces but loopback: the VM side of each endpoint, so rx is what
 * the VM received and tx what it sent. `interfaces` are the node namespace's devices (underlay,
 * bridges, VXLAN, the node ends of the veths) and the VMs' loopback; drops no longer on any
 * device (a socket's queue) have `ifindex: 0` and `interface: ""`. `totals` adds up the
 * endpoints' traffic and every drop of the node, wherever it happened. Bytes are Ethernet frames
 * from the MAC header on (no FCS), as the sending device counts them; a TSO/GSO super-frame
 * counts as one packet, as in the device's own counters. Drop reasons are the kernel's
 * `enum skb_drop_reason` names without `SKB_DROP_REASON_` (e.g. `NETFILTER_DROP`).
 */

export const COUNTERS_SCHEMA = 'merak.counters/v1';
export const MONITOR_SCHEMA = 'merak.monitor/v1';

/** The collector's reply to `read` (collector/merak_collector.c, reply_read). */
export interface CollectorReading {
  collector: 'merak-collector';
  protocol: number;
  pid: number;
  /** Unix ms. */
  startedAt: number;
  /** Unix ms of the reading. */
  time: number;
  cpuSeconds: number;
  /** runCount and runTimeNs stay 0 unless kernel.bpf_stats_enabled is 1. */
  programs: Array<{ name: string; id: number; runCount: number; runTimeNs: number }>;
  maps: { watched: number; traffic: number; drops: number };
  lost: { traffic: number; drops: number };
  /** [namespace inode, label]: label 0 the node's namespace, 1 + i VM i. */
  watched: Array<[number, number]>;
  /** [namespace inode, ifindex, name, rxPackets, rxBytes, txPackets, txBytes]. */
  interfaces: Array<[number, number, string, number, number, number, number]>;
  /** [namespace inode, ifindex, reason, count]. */
  drops: Array<[number, number, string, number]>;
}

export interface Traffic {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
}

/** Dropped packets by the kernel's drop reason. */
export type DropsByReason = Record<string, number>;

export interface InterfaceCounters extends Traffic {
  /** VM index, or null for the node's own namespace. */
  vm: number | null;
  /** Device name as the kernel had it when first seen; "" for drops off any device. */
  interface: string;
  ifindex: number;
  drops: DropsByReason;
}

export interface CollectorStatus {
  running: boolean;
  pid?: number;
  /** ISO-8601. */
  startedAt?: string;
  /** CPU time of the collector process (user + system). */
  cpuSeconds?: number;
  /** Time the kernel spent in the collector's programs; counted only while kernel.bpf_stats_enabled=1. */
  bpfRunSeconds?: number;
  bpfRuns?: number;
  watchedNamespaces?: number;
  /** Events not counted because a map was full (raise --max-interfaces). */
  lost?: { traffic: number; drops: number };
  /** Why there are no counters (not running, unreachable). */
  error?: string;
}

export interface NodeCounters {
  node: string;
  /** ISO-8601 time of the reading. */
  time: string;
  collector: CollectorStatus;
  totals: Traffic & { drops: DropsByReason };
  endpoints: InterfaceCounters[];
  interfaces: InterfaceCounters[];
}

export interface CountersDocument {
  schema: typeof COUNTERS_SCHEMA;
  scenario: string;
  /** ISO-8601. */
  time: string;
  nodes: NodeCounters[];
}

/** Label of a watched namespace: the node's own, or VM `vm`. */
export const NODE_LABEL = 0;
export const vmLabel = (vm: number): number => vm + 1;

/** A collector reply that is not what this agent reads. */
export class CollectorReadingError extends Error {
  override readonly name = 'CollectorReadingError';
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isRow = (v: unknown, n: number): v is unknown[] => Array.isArray(v) && v.length === n;

/**
 * Checks a collector's `read` reply against protocol `protocol`.
 * @throws CollectorReadingError naming the first field that is not as the protocol says.
 */
export function parseCollectorReading(v: unknown, protocol: number): CollectorReading {
  const r = v as Partial<CollectorReading> | null;
  const bad = (field: string, rule: string): never => {
    throw new CollectorReadingError(`collector reading: ${field} ${rule}`);
  };
  if (typeof r !== 'object' || r === null) return bad('reply', 'is not an object');
  if (r.collector !== 'merak-collector') bad('collector', 'is not "merak-collector"');
  if (r.protocol !== protocol) bad('protocol', `is ${JSON.stringify(r.protocol)}, this agent speaks ${protocol}: rebuild the collector (scripts/provide-collector.sh)`);
  for (const f of ['pid', 'startedAt', 'time', 'cpuSeconds'] as const) if (!isNum(r[f])) bad(f, 'is not a number');
  if (!Array.isArray(r.programs)) bad('programs', 'is not an array');
  if (!r.lost || !isNum(r.lost.traffic) || !isNum(r.lost.drops)) bad('lost', 'is not { traffic, drops }');
  if (!Array.isArray(r.watched) || !r.watched.every((w) => isRow(w, 2) && isNum(w[0]) && isNum(w[1]))) bad('watched', 'is not a list of [inode, label]');
  if (!Array.isArray(r.interfaces) || !r.interfaces.every((i) => isRow(i, 7) && typeof i[2] === 'string' && [0, 1, 3, 4, 5, 6].every((k) => isNum(i[k])))) {
    bad('interfaces', 'is not a list of [inode, ifindex, name, rxPackets, rxBytes, txPackets, txBytes]');
  }
  if (!Array.isArray(r.drops) || !r.drops.every((d) => isRow(d, 4) && isNum(d[0]) && isNum(d[1]) && typeof d[2] === 'string' && isNum(d[3]))) {
    bad('drops', 'is not a list of [inode, ifindex, reason, count]');
  }
  return r as CollectorReading;
}

const zeroTraffic = (): Traffic => ({ rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0 });

function addDrops(into: DropsByReason, from: DropsByReason): void {
  for (const [reason, n] of Object.entries(from)) into[reason] = (into[reason] ?? 0) + n;
}

const byVmThenName = (a: InterfaceCounters, b: InterfaceCounters): number =>
  (a.vm ?? -1) - (b.vm ?? -1) || (a.interface < b.interface ? -1 : a.interface > b.interface ? 1 : 0) || a.ifindex - b.ifindex;

/**
 * One node's counters from its collector's reading. Interfaces of namespaces the reading does not
 * list as watched (unwatched while it was read) are left out.
 */
export function nodeCounters(node: string, reading: CollectorReading): NodeCounters {
  const labelOf = new Map(reading.watched.map(([inode, label]) => [inode, label]));
  const rows = new Map<string, InterfaceCounters>();
  const rowOf = (inode: number, ifindex: number, name: string): InterfaceCounters | undefined => {
    const label = labelOf.get(inode);
    if (label === undefined) return undefined;
    const key = `${inode}/${ifindex}`;
    let row = rows.get(key);
    if (!row) {
      row = { vm: label === NODE_LABEL ? null : label - 1, interface: name, ifindex, ...zeroTraffic(), drops: {} };
      rows.set(key, row);
    }
    return row;
  };
  for (const [inode, ifindex, name, rxPackets, rxBytes, txPackets, txBytes] of reading.interfaces) {
    const row = rowOf(inode, ifindex, name);
    if (row) Object.assign(row, { interface: name, rxPackets, rxBytes, txPackets, txBytes });
  }
  const totals = { ...zeroTraffic(), drops: {} as DropsByReason };
  for (const [inode, ifindex, reason, count] of reading.drops) {
    const row = rowOf(inode, ifindex, '');
    if (!row) continue;
    row.drops[reason] = (row.drops[reason] ?? 0) + count;
    totals.drops[reason] = (totals.drops[reason] ?? 0) + count;
  }
  const endpoints: InterfaceCounters[] = [];
  const interfaces: InterfaceCounters[] = [];
  for (const row of rows.values()) {
    if (row.vm !== null && row.ifindex !== 0 && row.interface !== 'lo') {
      endpoints.push(row);
      totals.rxPackets += row.rxPackets;
      totals.rxBytes += row.rxBytes;
      totals.txPackets += row.txPackets;
      totals.txBytes += row.txBytes;
    } else interfaces.push(row);
  }
  const runNs = reading.programs.reduce((s, p) => s + (isNum(p.runTimeNs) ? p.runTimeNs : 0), 0);
  const runs = reading.programs.reduce((s, p) => s + (isNum(p.runCount) ? p.runCount : 0), 0);
  return {
    node,
    time: new Date(reading.time).toISOString(),
    collector: {
      running: true,
      pid: reading.pid,
      startedAt: new Date(reading.startedAt).toISOString(),
      cpuSeconds: reading.cpuSeconds,
      bpfRunSeconds: runNs / 1e9,
      bpfRuns: runs,
      watchedNamespaces: reading.watched.length,
      lost: { ...reading.lost },
    },
    totals,
    endpoints: endpoints.sort(byVmThenName),
    interfaces: interfaces.sort(byVmThenName),
  };
}

/** A node whose collector could not be read: no counters, the reason. */
export function nodeWithoutCounters(node: string, time: number, error: string): NodeCounters {
  return { node, time: new Date(time).toISOString(), collector: { running: false, error }, totals: { ...zeroTraffic(), drops: {} }, endpoints: [], interfaces: [] };
}

// ------------------------------------------------------------------------------------ rates

/** Per-second rates over one interval. */
export interface Rates {
  rxPps: number;
  txPps: number;
  /** Bytes per second. */
  rxBps: number;
  txBps: number;
  /** Drops per second by reason (reasons with drops in the interval only). */
  drops: Record<string, number>;
  /** Sum of `drops`. */
  dropsPerSecond: number;
}

export interface MonitorNode extends NodeCounters {
  rates: Rates;
  endpoints: Array<InterfaceCounters & { rates: Rates }>;
}

/** One interval of `merak monitor -o json`: the counters document plus rates since the previous one. */
export interface MonitorDocument extends Omit<CountersDocument, 'schema' | 'nodes'> {
  schema: typeof MONITOR_SCHEMA;
  /** Length of the interval the rates cover, ms (0 for the first document: rates are all 0). */
  intervalMs: number;
  nodes: MonitorNode[];
}

/** Increase of a cumulative counter; a decrease means the collector restarted from 0. */
const increase = (prev: number | undefined, cur: number): number => (prev === undefined || cur < prev ? cur : cur - prev);

function ratesOf(prev: (Traffic & { drops: DropsByReason }) | undefined, cur: Traffic & { drops: DropsByReason }, seconds: number): Rates {
  if (!prev || seconds <= 0) return { rxPps: 0, txPps: 0, rxBps: 0, txBps: 0, drops: {}, dropsPerSecond: 0 };
  const per = (n: number): number => n / seconds;
  const drops: Record<string, number> = {};
  let total = 0;
  for (const [reason, n] of Object.entries(cur.drops)) {
    const d = increase(prev.drops[reason], n);
    if (d > 0) {
      drops[reason] = per(d);
      total += d;
    }
  }
  return {
    rxPps: per(increase(prev.rxPackets, cur.rxPackets)),
    txPps: per(increase(prev.txPackets, cur.txPackets)),
    rxBps: per(increase(prev.rxBytes, cur.rxBytes)),
    txBps: per(increase(prev.txBytes, cur.txBytes)),
    drops,
    dropsPerSecond: per(total),
  };
}

const endpointKey = (e: InterfaceCounters): string => `${e.vm}/${e.ifindex}/${e.interface}`;

/**
 * Rates of `cur` against `prev` (the previous interval of the same scenario), per node and per
 * endpoint. A node or endpoint new in `cur`, or whose collector restarted (another pid), starts
 * at rate 0; the time between readings is each node's own (`time`).
 */
export function monitorDocument(prev: CountersDocument | MonitorDocument | undefined, cur: CountersDocument): MonitorDocument {
  const prevNodes = new Map((prev?.nodes ?? []).map((n) => [n.node, n]));
  const nodes = cur.nodes.map((n): MonitorNode => {
    const p = prevNodes.get(n.node);
    const same = p !== undefined && p.collector.pid !== undefined && p.collector.pid === n.collector.pid;
    const seconds = same ? (Date.parse(n.time) - Date.parse(p.time)) / 1000 : 0;
    const prevEndpoints = new Map(same ? p.endpoints.map((e) => [endpointKey(e), e]) : []);
    return {
      ...n,
      rates: ratesOf(same ? p.totals : undefined, n.totals, seconds),
      endpoints: n.endpoints.map((e) => ({ ...e, rates: ratesOf(prevEndpoints.get(endpointKey(e)), e, seconds) })),
    };
  });
  const intervalMs = prev ? Math.max(0, Date.parse(cur.time) - Date.parse(prev.time)) : 0;
  return { schema: MONITOR_SCHEMA, scenario: cur.scenario, time: cur.time, intervalMs, nodes };
}

/** Adds up every node's totals (the scenario's). */
export function scenarioTotals(nodes: readonly NodeCounters[]): Traffic & { drops: DropsByReason } {
  const t = { ...zeroTraffic(), drops: {} as DropsByReason };
  for (const n of nodes) {
    t.rxPackets += n.totals.rxPackets;
    t.rxBytes += n.totals.rxBytes;
    t.txPackets += n.totals.txPackets;
    t.txBytes += n.totals.txBytes;
    addDrops(t.drops, n.totals.drops);
  }
  return t;
}

/**
 * One scenario's document from the documents of several agents (each serves its own nodes).
 * A node two agents answer for (a restarted agent's old file) is taken once: the one whose
 * collector runs, else the first.
 * @param time - ISO-8601 time of the merged document.
 */
export function mergeCounters(scenario: string, time: string, docs: readonly CountersDocument[]): CountersDocument {
  const byNode = new Map<string, NodeCounters>();
  for (const d of docs) {
    for (const n of d.nodes) {
      const had = byNode.get(n.node);
      if (!had || (!had.collector.running && n.collector.running)) byNode.set(n.node, n);
    }
  }
  const nodes = [...byNode.values()].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return { schema: COUNTERS_SCHEMA, scenario, time, nodes };
}
