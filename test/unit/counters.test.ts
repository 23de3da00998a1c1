/**
 * The eBPF counters' pure parts: a collector reading turned into per-endpoint counters, rates
 * between readings, documents of several agents merged, the monitor view, the Prometheus
 * series, and the capture command's helpers.
 */
import { Registry } from 'prom-client';
import {
  COUNTERS_SCHEMA,
  CollectorReadingError,
  mergeCounters,
  monitorDocument,
  nodeCounters,
  nodeWithoutCounters,
  parseCollectorReading,
  type CollectorReading,
  type CountersDocument,
} from '../../src/model/counters';
import { registerCounterMetrics } from '../../src/metrics/registry';
import { parseMetricsPort } from '../../src/metrics/server';
import { dropsText, humanRate, renderMonitor } from '../../src/report/monitor';
import { captureArgv, endpointInterface, parseVmRef } from '../../src/cli/commands/capture';
import { InvalidArgumentError } from 'commander';
import { endpointLabel } from '../../src/model/pairs';
import { vmName } from '../../src/model/names';

const NODE_NS = 4026530001;
const VM0_NS = 4026530002;
const VM1_NS = 4026530003;
const STRANGER_NS = 4026539999;

function reading(over: Partial<CollectorReading> = {}): CollectorReading {
  return {
    collector: 'merak-collector',
    protocol: 1,
    pid: 100,
    startedAt: Date.parse('2026-01-01T00:00:00Z'),
    time: Date.parse('2026-01-01T00:00:10Z'),
    cpuSeconds: 0.5,
    programs: [
      { name: 'mc_xmit', id: 1, runCount: 10, runTimeNs: 1000 },
      { name: 'mc_drop', id: 2, runCount: 5, runTimeNs: 500 },
    ],
    maps: { watched: 1, traffic: 2, drops: 3 },
    lost: { traffic: 0, drops: 0 },
    watched: [
      [NODE_NS, 0],
      [VM0_NS, 1],
      [VM1_NS, 2],
    ],
    interfaces: [
      [VM0_NS, 2, 'eth0', 10, 1000, 20, 2000],
      [VM0_NS, 1, 'lo', 4, 400, 4, 400],
      [VM1_NS, 2, 'eth0', 1, 100, 2, 200],
      [NODE_NS, 7, 'mabcv0e0', 20, 2000, 10, 1000],
      [STRANGER_NS, 3, 'other', 99, 99, 99, 99],
    ],
    drops: [
      [VM1_NS, 2, 'NETFILTER_DROP', 5],
      [VM0_NS, 0, 'SOCKET_RCVBUFF', 2],
      [NODE_NS, 7, 'CPU_BACKLOG', 3],
      [STRANGER_NS, 3, 'NETFILTER_DROP', 1000],
    ],
    ...over,
  };
}

describe('parseCollectorReading', () => {
  test('accepts a reading of the protocol', () => {
    expect(parseCollectorReading(reading(), 1).pid).toBe(100);
  });
  test.each([
    ['collector', { collector: 'x' }, /collector/],
    ['protocol', { protocol: 2 }, /protocol is 2, this agent speaks 1: rebuild/],
    ['pid', { pid: 'x' }, /pid is not a number/],
    ['lost', { lost: { traffic: 1 } }, /lost/],
    ['watched', { watched: [[1]] }, /watched/],
    ['interfaces', { interfaces: [[1, 2, 3, 4, 5, 6, 7]] }, /interfaces/],
    ['drops', { drops: [[1, 2, 'R']] }, /drops/],
  ])('refuses a bad %s, naming it', (_f, over, msg) => {
    expect(() => parseCollectorReading({ ...reading(), ...over }, 1)).toThrow(CollectorReadingError);
    expect(() => parseCollectorReading({ ...reading(), ...over }, 1)).toThrow(msg);
  });
  test('refuses what is no object', () => {
    expect(() => parseCollectorReading(null, 1)).toThrow(/reply is not an object/);
  });
});

describe('nodeCounters', () => {
  const n = nodeCounters('node-0', reading());
  test('endpoints are the VMs\' interfaces but loopback, by VM; the node\'s devices and loopback are interfaces', () => {
    expect(n.endpoints.map((e) => [e.vm, e.interface])).toEqual([
      [0, 'eth0'],
      [1, 'eth0'],
    ]);
    expect(n.endpoints[0]).toMatchObject({ ifindex: 2, rxPackets: 10, rxBytes: 1000, txPackets: 20, txBytes: 2000, drops: {} });
    expect(n.endpoints[1]!.drops).toEqual({ NETFILTER_DROP: 5 });
    expect(n.interfaces.map((e) => [e.vm, e.interface, e.ifindex])).toEqual([
      [null, 'mabcv0e0', 7],
      [0, '', 0],
      [0, 'lo', 1],
    ]);
  });
  test('a namespace the collector does not watch is left out (its drops too)', () => {
    expect(JSON.stringify(n)).not.toContain('other');
    expect(n.totals.drops.NETFILTER_DROP).toBe(5);
  });
  test('totals add the endpoints\' traffic and every drop of the node', () => {
    expect(n.totals).toEqual({ rxPackets: 11, rxBytes: 1100, txPackets: 22, txBytes: 2200, drops: { NETFILTER_DROP: 5, SOCKET_RCVBUFF: 2, CPU_BACKLOG: 3 } });
  });
  test('collector status: pid, start, CPU, BPF run time, watched namespaces', () => {
    expect(n.collector).toEqual({
      running: true,
      pid: 100,
      startedAt: '2026-01-01T00:00:00.000Z',
      cpuSeconds: 0.5,
      bpfRunSeconds: 1.5e-6,
      bpfRuns: 15,
      watchedNamespaces: 3,
      lost: { traffic: 0, drops: 0 },
    });
    expect(n.time).toBe('2026-01-01T00:00:10.000Z');
  });
});

const doc = (r: CollectorReading, scenario = 's', node = 'node-0'): CountersDocument => ({ schema: COUNTERS_SCHEMA, scenario, time: new Date(r.time).toISOString(), nodes: [nodeCounters(node, r)] });

describe('monitorDocument', () => {
  const first = monitorDocument(undefined, doc(reading()));
  test('the first reading has rates 0 and interval 0', () => {
    expect(first.intervalMs).toBe(0);
    expect(first.nodes[0]!.rates).toEqual({ rxPps: 0, txPps: 0, rxBps: 0, txBps: 0, drops: {}, dropsPerSecond: 0 });
  });
  test('rates are increases over each node\'s own time between readings', () => {
    const later = reading({
      time: Date.parse('2026-01-01T00:00:12Z'),
      interfaces: [
        [VM0_NS, 2, 'eth0', 30, 3000, 20, 2000],
        [VM1_NS, 2, 'eth0', 1, 100, 2, 200],
      ],
      drops: [[VM1_NS, 2, 'NETFILTER_DROP', 9]],
    });
    const m = monitorDocument(first, doc(later));
    expect(m.intervalMs).toBe(2000);
    const vm0 = m.nodes[0]!.endpoints.find((e) => e.vm === 0)!;
    expect(vm0.rates).toMatchObject({ rxPps: 10, rxBps: 1000, txPps: 0 });
    const vm1 = m.nodes[0]!.endpoints.find((e) => e.vm === 1)!;
    expect(vm1.rates.drops).toEqual({ NETFILTER_DROP: 2 });
    expect(m.nodes[0]!.rates.dropsPerSecond).toBe(2);
  });
  test('a restarted collector (another pid) starts again at rate 0, never negative', () => {
    const restarted = reading({ pid: 101, time: Date.parse('2026-01-01T00:00:12Z'), interfaces: [[VM0_NS, 2, 'eth0', 1, 1, 1, 1]], drops: [] });
    const m = monitorDocument(first, doc(restarted));
    expect(m.nodes[0]!.rates.rxPps).toBe(0);
    expect(m.nodes[0]!.endpoints[0]!.rates.rxPps).toBe(0);
  });
});

describe('mergeCounters', () => {
  test('nodes of several agents, sorted; a node answered twice is taken where its collector runs', () => {
    const a = doc(reading(), 's', 'node-b');
    const down: CountersDocument = { schema: COUNTERS_SCHEMA, scenario: 's', time: 't', nodes: [nodeWithoutCounters('node-a', 0, 'no collector')] };
    const up = doc(reading(), 's', 'node-a');
    const m = mergeCounters('s', 'T', [a, down, up]);
    expect(m.nodes.map((n) => [n.node, n.collector.running])).toEqual([
      ['node-a', true],
      ['node-b', true],
    ]);
    expect(m).toMatchObject({ schema: COUNTERS_SCHEMA, scenario: 's', time: 'T' });
    expect(mergeCounters('s', 'T', []).nodes).toEqual([]);
  });
});

describe('monitor view', () => {
  test('humanRate and dropsText', () => {
    expect(humanRate(0)).toBe('0');
    expect(humanRate(12)).toBe('12');
    expect(humanRate(1234, 'B')).toBe('1.2kB');
    expect(humanRate(5e6)).toBe('5.0M');
    expect(dropsText({}, true)).toBe('-');
    expect(dropsText({ A: 1, B: 5, C: 0 }, true)).toBe('B 5/s, A 1/s');
    expect(dropsText({ A: 1, B: 2, C: 3, D: 4 }, false, 2)).toBe('D 4, C 3, +2 more');
  });
  test('a line per node, the endpoints by traffic, cut to the rows given', () => {
    const m = monitorDocument(undefined, { ...doc(reading()), nodes: [nodeCounters('node-0', reading()), nodeWithoutCounters('node-1', 0, 'no collector runs for this node')] });
    const text = renderMonitor(m, { rows: 12, columns: 200, source: '1 agent' });
    expect(text).toMatch(/^merak monitor s .* first reading/);
    expect(text).toMatch(/^node-0 .* pid 100, 3 ns/m);
    expect(text).toMatch(/^node-1 .* DOWN: no collector runs for this node/m);
    expect(text).toContain('drops since the collectors started: NETFILTER_DROP 5, CPU_BACKLOG 3, SOCKET_RCVBUFF 2');
    // VMs named as the test results and `merak capture` name them.
    expect(text).toMatch(/^node-0\/vm-1 eth0 .*NETFILTER_DROP 5$/m);
    expect(text.split('\n').length).toBeLessThanOrEqual(14);
    const narrow = renderMonitor(m, { rows: 10, columns: 40 });
    expect(narrow.split('\n').every((l) => l.length <= 40)).toBe(true);
  });
});

describe('Prometheus series of the counters', () => {
  test('node drops by reason, endpoint traffic and drops, collector health; series of gone VMs disappear', async () => {
    const registry = new Registry();
    const m = registerCounterMetrics(registry);
    m.set([doc(reading())]);
    const text = await registry.metrics();
    expect(text).toContain('merak_dropped_packets_total{scenario="s",node="node-0",reason="NETFILTER_DROP"} 5');
    expect(text).toContain('merak_dropped_packets_total{scenario="s",node="node-0",reason="CPU_BACKLOG"} 3');
    expect(text).toContain('merak_endpoint_rx_bytes_total{scenario="s",node="node-0",vm="0",interface="eth0"} 1000');
    expect(text).toContain('merak_endpoint_dropped_packets_total{scenario="s",node="node-0",vm="1",interface="eth0",reason="NETFILTER_DROP"} 5');
    expect(text).toContain('merak_collector_up{scenario="s",node="node-0"} 1');
    expect(text).toContain('merak_collector_watched_namespaces{scenario="s",node="node-0"} 3');
    m.set([{ ...doc(reading()), nodes: [nodeWithoutCounters('node-0', 0, 'gone')] }]);
    const after = await registry.metrics();
    expect(after).toContain('merak_collector_up{scenario="s",node="node-0"} 0');
    expect(after).not.toContain('vm="1"');
  });
  test('parseMetricsPort: a port, 0, or off; anything else names the flag', () => {
    expect(parseMetricsPort('9478')).toBe(9478);
    expect(parseMetricsPort('0')).toBe(0);
    expect(parseMetricsPort('off')).toBeUndefined();
    expect(() => parseMetricsPort('65536', '--metrics-port')).toThrow(/--metrics-port must be a port number 0-65535 .* got "65536"/);
    expect(() => parseMetricsPort('x', 'MERAK_AGENT_METRICS_PORT')).toThrow(/MERAK_AGENT_METRICS_PORT/);
  });
});

describe('capture helpers', () => {
  test('parseVmRef: the form the results print (node/vm-N, with or without its address), and the short node/N', () => {
    expect(parseVmRef('node-0/vm-3')).toEqual({ node: 'node-0', vm: 3 });
    expect(parseVmRef('node-0/3')).toEqual({ node: 'node-0', vm: 3 });
    expect(parseVmRef('node-a/vm-0 (10.81.1.2)')).toEqual({ node: 'node-a', vm: 0 });
    // Whatever the results table prints for a pair end is a VM capture takes.
    for (const [node, vmIndex] of [['node-1', 0], ['xp-0', 17], ['a', 999_999]] as const) {
      const label = endpointLabel({ node, vmIndex, ip: '10.0.0.5' });
      expect(parseVmRef(label)).toEqual({ node, vm: vmIndex });
      expect(parseVmRef(label.split(' ')[0]!)).toEqual({ node, vm: vmIndex });
      expect(vmName(node, vmIndex)).toBe(label.split(' ')[0]);
    }
    for (const bad of ['node-0', 'node-0/x', '/3', 'node-0/vm-', 'node-0/vm3', 'node-0/-1', 'node-0/3 (x)', 'a/b/3', 'node-0/99999999999999999999']) {
      expect(() => parseVmRef(bad)).toThrow(/must be NODE\/vm-INDEX as the results print it .* or NODE\/INDEX/);
    }
    expect(() => parseVmRef('Node/3')).toThrow(/node "Node" must be 1-40 lower-case letters/);
    expect(() => parseVmRef('No de/3')).toThrow(/NODE\/vm-INDEX/);
    expect(() => parseVmRef('No de/3')).toThrow(InvalidArgumentError);
  });
  test('endpointInterface: prefix + endpoint number, exactly one', () => {
    expect(endpointInterface(['lo', 'eth0', 'eth1'], 1)).toBe('eth1');
    expect(endpointInterface(['lo', 'net0', 'net10'], 0)).toBe('net0');
    expect(endpointInterface(['lo', 'net0', 'net10'], 10)).toBe('net10');
    expect(() => endpointInterface(['lo', 'eth0'], 2)).toThrow(/no interface of endpoint 2 in this VM \(it has eth0\); name one with --interface/);
    expect(() => endpointInterface(['lo', 'eth0', 'net0'], 0)).toThrow(/more than one/);
    expect(() => endpointInterface(['lo'], 0)).toThrow(/none but lo/);
  });
  test('captureArgv: tcpdump text, pcap file or stdout, tshark for pcapng; all inside the namespace', () => {
    expect(captureArgv({ netns: 'ns', ifname: 'eth0' })).toEqual({ capture: ['ip', 'netns', 'exec', 'ns', 'tcpdump', '-i', 'eth0', '-n', '--immediate-mode', '-s', '262144', '-l'] });
    expect(captureArgv({ netns: 'ns', ifname: 'eth0', write: '-', count: 5, filter: 'icmp' })).toEqual({
      capture: ['ip', 'netns', 'exec', 'ns', 'tcpdump', '-i', 'eth0', '-n', '--immediate-mode', '-s', '262144', '-c', '5', '-U', '-w', '-', 'icmp'],
    });
    expect(captureArgv({ netns: 'ns', ifname: 'eth0', write: 'a.pcapng', count: 2, filter: 'arp' })).toEqual({
      capture: ['ip', 'netns', 'exec', 'ns', 'tcpdump', '-i', 'eth0', '-n', '--immediate-mode', '-s', '262144', '-c', '2', '-U', '-w', '-', 'arp'],
      convert: ['tshark', '-i', '-', '-q', '-F', 'pcapng', '-w', 'a.pcapng'],
    });
  });
});
