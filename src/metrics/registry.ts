/**
 * Merak's Prometheus metrics, in one place: every name Merak exposes (or has reserved), its
 * help text, unit and labels, and the registry each process serves on `/metrics` (server.ts).
 * Names follow Prometheus' conventions: `merak_` prefix, base units (seconds, bytes) in the
 * name, `_total` for counters. prom-client's default process metrics (`process_cpu_seconds_total`,
 * `nodejs_heap_size_used_bytes`, …) come with every registry.
 *
 * Source of the conventions: https://prometheus.io/docs/practices/naming/
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CountersDocument } from '../model/counters';

/** What a metric is; the one catalog of Merak's metric names. */
export interface MetricSpec {
  name: string;
  help: string;
  labelNames: readonly string[];
}

const ENDPOINT = ['scenario', 'node', 'vm', 'interface'] as const;
const NODE = ['scenario', 'node'] as const;

export const METRICS = {
  endpointRxPackets: { name: 'merak_endpoint_rx_packets_total', help: 'Frames the endpoint (the VM side of its veth) received, counted by the node\'s eBPF collector.', labelNames: ENDPOINT },
  endpointRxBytes: { name: 'merak_endpoint_rx_bytes_total', help: 'Bytes of the frames the endpoint received (from the MAC header on).', labelNames: ENDPOINT },
  endpointTxPackets: { name: 'merak_endpoint_tx_packets_total', help: 'Frames the endpoint sent.', labelNames: ENDPOINT },
  endpointTxBytes: { name: 'merak_endpoint_tx_bytes_total', help: 'Bytes of the frames the endpoint sent.', labelNames: ENDPOINT },
  endpointDropped: {
    name: 'merak_endpoint_dropped_packets_total',
    help: 'Packets the kernel dropped on the endpoint\'s interface, by the kernel\'s drop reason (enum skb_drop_reason without SKB_DROP_REASON_).',
    labelNames: [...ENDPOINT, 'reason'],
  },
  dropped: {
    name: 'merak_dropped_packets_total',
    help: 'Packets the kernel dropped anywhere on the node (its namespace and its VMs\'), by drop reason.',
    labelNames: [...NODE, 'reason'],
  },
  collectorUp: { name: 'merak_collector_up', help: '1 when the node\'s eBPF collector answered this scrape, 0 otherwise.', labelNames: NODE },
  collectorCpu: { name: 'merak_collector_cpu_seconds_total', help: 'CPU time (user + system) of the node\'s collector process.', labelNames: NODE },
  collectorBpfRun: {
    name: 'merak_collector_bpf_run_seconds_total',
    help: 'Time the kernel spent in the collector\'s eBPF programs (counted only while sysctl kernel.bpf_stats_enabled=1).',
    labelNames: NODE,
  },
  collectorLost: { name: 'merak_collector_lost_events_total', help: 'Events the collector could not count because a map was full (map: traffic or drops).', labelNames: [...NODE, 'map'] },
  collectorWatched: { name: 'merak_collector_watched_namespaces', help: 'Network namespaces the node\'s collector counts (the node\'s and its VMs\').', labelNames: NODE },
  /** Reserved for the time-to-reachable work (issue 12): seconds from an endpoint's create request to its first ping through. */
  endpointReachable: { name: 'merak_endpoint_reachable_seconds', help: 'Time from an endpoint\'s create request to the first successful ping from a peer in its VPC.', labelNames: NODE },
  buildInfo: { name: 'merak_build_info', help: 'Always 1; the labels say which Merak process this is.', labelNames: ['component', 'version'] },
} as const satisfies Record<string, MetricSpec>;

/** Which process serves the registry. */
export type Component = 'agent' | 'compute';

/**
 * A registry with the default process metrics and `merak_build_info{component,version}`.
 * @param component - the process kind, a label of merak_build_info.
 * @param version - Merak's version (package.json), a label of merak_build_info.
 */
export function createRegistry(component: Component, version: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const info = new Gauge({ ...spec(METRICS.buildInfo), registers: [registry] });
  info.set({ component, version }, 1);
  return registry;
}

function spec(m: MetricSpec): { name: string; help: string; labelNames: string[] } {
  return { name: m.name, help: m.help, labelNames: [...m.labelNames] };
}

/** The node counters' metrics in a registry; `set` replaces their values with a fresh reading. */
export interface CounterMetrics {
  set(docs: readonly CountersDocument[]): void;
}

/**
 * Registers the eBPF counter metrics (endpoint traffic and drops, node drops, collector health)
 * in `registry`. Their values are the collectors' cumulative counters, replaced at every `set`
 * (called before each scrape): a VM that is gone no longer has series.
 */
export function registerCounterMetrics(registry: Registry): CounterMetrics {
  const counter = (m: MetricSpec) => new Counter({ ...spec(m), registers: [registry] });
  const gauge = (m: MetricSpec) => new Gauge({ ...spec(m), registers: [registry] });
  const rxP = counter(METRICS.endpointRxPackets);
  const rxB = counter(METRICS.endpointRxBytes);
  const txP = counter(METRICS.endpointTxPackets);
  const txB = counter(METRICS.endpointTxBytes);
  const epDrop = counter(METRICS.endpointDropped);
  const drop = counter(METRICS.dropped);
  const up = gauge(METRICS.collectorUp);
  const cpu = counter(METRICS.collectorCpu);
  const bpf = counter(METRICS.collectorBpfRun);
  const lost = counter(METRICS.collectorLost);
  const watched = gauge(METRICS.collectorWatched);
  const all = [rxP, rxB, txP, txB, epDrop, drop, up, cpu, bpf, lost, watched];
  return {
    set(docs) {
      for (const m of all) m.reset();
      for (const doc of docs) {
        for (const n of doc.nodes) {
          const node = { scenario: doc.scenario, node: n.node };
          up.set(node, n.collector.running ? 1 : 0);
          if (!n.collector.running) continue;
          cpu.inc(node, n.collector.cpuSeconds ?? 0);
          bpf.inc(node, n.collector.bpfRunSeconds ?? 0);
          lost.inc({ ...node, map: 'traffic' }, n.collector.lost?.traffic ?? 0);
          lost.inc({ ...node, map: 'drops' }, n.collector.lost?.drops ?? 0);
          watched.set(node, n.collector.watchedNamespaces ?? 0);
          for (const [reason, count] of Object.entries(n.totals.drops)) drop.inc({ ...node, reason }, count);
          for (const e of n.endpoints) {
            const ep = { ...node, vm: String(e.vm), interface: e.interface };
            rxP.inc(ep, e.rxPackets);
            rxB.inc(ep, e.rxBytes);
            txP.inc(ep, e.txPackets);
            txB.inc(ep, e.txBytes);
            for (const [reason, count] of Object.entries(e.drops)) epDrop.inc({ ...ep, reason }, count);
          }
        }
      }
    },
  };
}

/**
 * The reserved time-to-reachable histogram (seconds), for the work that measures it: registered
 * by whoever observes it, so a process that does not measure it does not expose an empty one.
 * @param buckets - upper bounds in seconds. @default 0.05 s doubling to 51.2 s
 */
export function registerReachableHistogram(registry: Registry, buckets: number[] = Array.from({ length: 11 }, (_, i) => 0.05 * 2 ** i)): Histogram {
  return new Histogram({ ...spec(METRICS.endpointReachable), buckets, registers: [registry] });
}
