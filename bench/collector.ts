/**
 * Collector benchmark (`npm run bench:collector`, as root): what the eBPF collector of one node
 * (collector/, docs/observability.md) costs while traffic runs. One local node with
 * MERAK_BENCH_COLLECTOR_VMS VMs (default 1000, reference plugin, one endpoint each) is built by
 * the real agent activities with the collector on; then, for a fixed window each:
 *
 * 1. idle: nothing sent;
 * 2. traffic: MERAK_BENCH_COLLECTOR_PAIRS ping pairs (default 100, one echo request every
 *    MERAK_BENCH_COLLECTOR_PING_MS = 50 ms each way's request) plus one iperf3 TCP stream capped at
 *    MERAK_BENCH_COLLECTOR_IPERF_RATE (default 100M), all between the node's own VMs.
 *
 * During both windows the agent reads the collector every 2 s, as `merak monitor` and a
 * Prometheus scrape do. Measured per window: the collector process's CPU time from
 * /proc/<pid>/stat (utime + stime) as % of one core, and the kernel's time in the collector's
 * eBPF programs (kernel.bpf_stats_enabled, switched on for the run and put back after): tracepoint
 * programs run in the context of whatever sends or receives the packet, so their cost is not in
 * the process's own times. Writes bench/results/collector.json and the collector section of
 * docs/BENCHMARKS.md; everything it made is removed at the end, and on Ctrl-C.
 */
import { writeDocsSection } from './docs-section';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { createAgentActivities } from '../src/activities/agent/activities';
import { createNodeCollectors } from '../src/activities/agent/collectors';
import { collectorFiles, findCollector } from '../src/dataplane/collector';
import { spawnRunner } from '../src/dataplane/command';
import { cleanScenario } from '../src/dataplane/clean';
import { daemonPid } from '../src/dataplane/daemon';
import { vmNetns } from '../src/dataplane/names';
import { FileOwnerRecords } from '../src/dataplane/owner-records';
import { findTag } from '../src/dataplane/tags';
import { createPluginRegistry } from '../src/endpoint-plugins/registry';
import { packageRoot } from '../src/install/paths';
import { hostAddress } from '../src/model/ipam';
import type { NodeCounters } from '../src/model/counters';
import { procCpuMs } from './scenario-probe';

const env = process.env;
const VMS = Number(env.MERAK_BENCH_COLLECTOR_VMS ?? 1000);
const PAIRS = Number(env.MERAK_BENCH_COLLECTOR_PAIRS ?? 100);
const PING_MS = Number(env.MERAK_BENCH_COLLECTOR_PING_MS ?? 50);
const IPERF_RATE = env.MERAK_BENCH_COLLECTOR_IPERF_RATE ?? '100M';
const WINDOW_S = Number(env.MERAK_BENCH_COLLECTOR_WINDOW_S ?? 30);
const READ_EVERY_MS = 2000;
const TARGET_PCT = 3;
const SUBNET = '10.200.0.0/16';
const BPF_STATS = '/proc/sys/kernel/bpf_stats_enabled';
const repoRoot = packageRoot();

const log = (line: string): void => void process.stderr.write(`bench:collector: ${line}\n`);
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

interface WindowResult {
  name: 'idle' | 'traffic';
  seconds: number;
  /** Collector process (utime + stime) over the window, ms, and as % of one core. */
  collectorCpuMs: number;
  collectorCpuPctOfCore: number;
  /** Kernel time in the collector's eBPF programs over the window (bpf_stats), ms, % of one core, and runs. */
  bpfRunMs: number;
  bpfPctOfCore: number;
  bpfRuns: number;
  /** ns per program run. */
  bpfNsPerRun: number;
  /** Frames the node's interfaces received and sent over the window (the collector's own counts), per second. */
  packetsPerSecond: number;
  reads: number;
  load: [string, string];
}

interface Summary {
  date: string;
  machine: string;
  vms: number;
  pairs: number;
  pingIntervalMs: number;
  iperfRate: string;
  windows: WindowResult[];
  /** Whether ping pairs answered during the traffic window (each pair's ping exit code 0). */
  pingPairsAnswered: number;
  iperfOk: boolean;
  collectorRssBytes: number;
  target: string;
}

function vmIp(i: number): string {
  return hostAddress(SUBNET, i);
}

/** Reads the node's counters (one collector read, as a scrape does). */
async function readNode(collectors: ReturnType<typeof createNodeCollectors>, scenario: string): Promise<NodeCounters> {
  const doc = await collectors.read(scenario);
  const n = doc.nodes[0];
  if (!n?.collector.running) throw new Error(`the collector does not answer: ${n?.collector.error ?? 'no node'}`);
  return n;
}

const packets = (n: NodeCounters): number =>
  [...n.endpoints, ...n.interfaces].reduce((s, i) => s + i.rxPackets + i.txPackets, 0);

async function measureWindow(name: WindowResult['name'], seconds: number, pid: number, read: () => Promise<NodeCounters>): Promise<WindowResult> {
  const l0 = load();
  const before = await read();
  const c0 = procCpuMs(pid);
  const t0 = performance.now();
  let reads = 0;
  while (performance.now() - t0 < seconds * 1000) {
    await new Promise((r) => setTimeout(r, Math.min(READ_EVERY_MS, seconds * 1000 - (performance.now() - t0))));
    await read();
    reads++;
  }
  const ms = performance.now() - t0;
  const c1 = procCpuMs(pid);
  const after = await read();
  const bpfRunMs = ((after.collector.bpfRunSeconds ?? 0) - (before.collector.bpfRunSeconds ?? 0)) * 1000;
  const bpfRuns = (after.collector.bpfRuns ?? 0) - (before.collector.bpfRuns ?? 0);
  return {
    name,
    seconds: +(ms / 1000).toFixed(1),
    collectorCpuMs: c1 - c0,
    collectorCpuPctOfCore: +(((c1 - c0) / ms) * 100).toFixed(2),
    bpfRunMs: Math.round(bpfRunMs),
    bpfPctOfCore: +((bpfRunMs / ms) * 100).toFixed(2),
    bpfRuns,
    bpfNsPerRun: bpfRuns > 0 ? Math.round((bpfRunMs * 1e6) / bpfRuns) : 0,
    packetsPerSecond: Math.round((packets(after) - packets(before)) / (ms / 1000)),
    reads,
    load: [l0, load()],
  };
}

function markdown(s: Summary): string {
  const rows = s.windows.map(
    (w) => `| ${w.name} | ${w.seconds} | ${w.packetsPerSecond} | ${w.collectorCpuMs} | **${w.collectorCpuPctOfCore} %** | ${w.bpfRunMs} | ${w.bpfPctOfCore} % | ${w.bpfRuns} | ${w.bpfNsPerRun} | ${w.reads} | ${w.load[0]} → ${w.load[1]} |`,
  );
  return [
    '<!-- collector:start -->',
    '## eBPF collector cost (one node)',
    '',
    `Measured by \`npm run bench:collector\` on ${s.machine}, ${s.date}. One local node with ${s.vms} VMs (reference plugin, one endpoint each) built by the agent activities with its collector on; ` +
      `traffic window: ${s.pairs} ping pairs between the node's VMs (an echo request every ${s.pingIntervalMs} ms each) and one iperf3 TCP stream capped at ${s.iperfRate}bit/s; the agent reads the collector every ${READ_EVERY_MS / 1000} s, as \`merak monitor\` does.`,
    '"collector CPU" is the collector process\'s utime + stime from /proc/<pid>/stat over the window. The eBPF programs run on tracepoints in the context of whatever sends or receives each packet (softirq, the sender\'s system call), so their time is not in the process\'s: "eBPF run time" is the kernel\'s own count for the collector\'s programs (`kernel.bpf_stats_enabled=1` for the run, put back after). The tracepoints fire for every packet on the machine, so that figure also covers other work\'s packets the programs look at and skip.',
    'The machine was shared with other jobs while this ran (load averages in the table): packets per second and eBPF time per run move with that load.',
    '',
    '| window | s | frames/s counted | collector CPU ms | collector CPU % of one core | eBPF run time ms | eBPF % of one core | eBPF runs | ns/run | reads | load (1/5/15 min) before → after |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows,
    '',
    `Pings answered in ${s.pingPairsAnswered}/${s.pairs} pairs; iperf3 ${s.iperfOk ? 'ran' : 'FAILED'}. Collector RSS at the end: ${Math.round(s.collectorRssBytes / 1024 / 1024)} MB.`,
    `Target: collector ≤ ${TARGET_PCT} % of one core per node at 1000 VMs while traffic runs — ${s.target}.`,
    'Raw numbers: bench/results/collector.json.',
    '<!-- collector:end -->',
  ].join('\n');
}

function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Waits for a child to exit; its exit code (null when killed). */
const exited = (c: ChildProcess): Promise<number | null> => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))));

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the collector benchmark creates namespaces and loads eBPF programs: run it as root');
  if (!Number.isInteger(VMS) || VMS < 2 || VMS > 60_000) throw new Error(`MERAK_BENCH_COLLECTOR_VMS=${VMS}: must be a whole number from 2 to 60000`);
  if (!Number.isInteger(PAIRS) || PAIRS < 1 || PAIRS * 2 + 2 > VMS) throw new Error(`MERAK_BENCH_COLLECTOR_PAIRS=${PAIRS}: must be ≥ 1 and leave 2 VMs for iperf3 (2 × pairs + 2 ≤ VMs = ${VMS})`);
  if (!(PING_MS >= 10)) throw new Error(`MERAK_BENCH_COLLECTOR_PING_MS=${PING_MS}: must be ≥ 10`);
  if (!(WINDOW_S >= 5 && WINDOW_S <= 600)) throw new Error(`MERAK_BENCH_COLLECTOR_WINDOW_S=${WINDOW_S}: must be from 5 to 600`);
  findCollector(); // fails here, with how to build it, before anything is made
  const stateDir = mkdtempSync(path.join(tmpdir(), 'merak-bench-collector-'));
  const records = new FileOwnerRecords(stateDir);
  const scenario = `bcol-${process.pid}`;
  const collectors = createNodeCollectors({ mode: 'on', runner: spawnRunner, records, nodeMode: 'local', log });
  const agent = createAgentActivities({ mode: 'local', runner: spawnRunner, records, plugins: createPluginRegistry({ runner: spawnRunner, dirs: [] }), collectors });
  const children: ChildProcess[] = [];
  const statsBefore = readFileSync(BPF_STATS, 'utf8').trim();
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await Promise.all(children.map(exited));
    writeFileSync(BPF_STATS, `${statsBefore}\n`);
    // The collector is a daemon record of the node: the clean stops it with the namespaces.
    await cleanScenario({ runner: spawnRunner, records }, scenario);
    rmSync(stateDir, { recursive: true, force: true });
  };
  const onSignal = (): void => {
    log('interrupted: removing what the benchmark made');
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    writeFileSync(BPF_STATS, '1\n');
    await agent.ensureNode({ scenario, node: 'node-0', nodeSlot: 0 });
    const t0 = performance.now();
    await agent.createVms({ scenario, node: 'node-0', from: 0, count: VMS });
    await agent.createEndpoints({
      scenario,
      node: 'node-0',
      nodeSlot: 0,
      from: 0,
      count: VMS,
      endpointsPerVm: 1,
      segments: [{ vmFrom: 0, vmCount: VMS, endpoint: 0, subnet: { id: 's', vpc: 'v', cidr: SUBNET, gateway: '10.200.0.1', vni: 4243 }, ipIndexFrom: 0 }],
    });
    log(`${VMS} VMs built in ${Math.round(performance.now() - t0)} ms`);
    const tag = (await findTag(stateDir, scenario))!;
    const pid = await daemonPid(collectorFiles(tag, 'node-0').pidfile);
    if (pid === undefined) throw new Error('no collector runs for the node after ensureNode');
    const read = () => readNode(collectors, scenario);
    const first = await read();
    log(`collector pid ${pid}, watching ${first.collector.watchedNamespaces} namespaces`);
    const windows: WindowResult[] = [];
    windows.push(await measureWindow('idle', Math.min(WINDOW_S, 15), pid, read));
    log(`idle: collector ${windows[0]!.collectorCpuPctOfCore} % of a core, eBPF ${windows[0]!.bpfPctOfCore} %`);
    // Traffic: each pair (2k → 2k+1), and iperf3 between the last two VMs, for the whole window (+2 s).
    const dur = String(WINDOW_S + 2);
    const pings = Array.from({ length: PAIRS }, (_, k) => {
      const c = spawn('ip', ['netns', 'exec', vmNetns(tag, 'node-0', 2 * k), 'ping', '-q', '-n', '-i', String(PING_MS / 1000), '-w', dur, vmIp(2 * k + 1)], { stdio: 'ignore' });
      children.push(c);
      return c;
    });
    const server = spawn('ip', ['netns', 'exec', vmNetns(tag, 'node-0', VMS - 1), 'iperf3', '-s', '-1'], { stdio: 'ignore' });
    children.push(server);
    await new Promise((r) => setTimeout(r, 500));
    const client = spawn('ip', ['netns', 'exec', vmNetns(tag, 'node-0', VMS - 2), 'iperf3', '-c', vmIp(VMS - 1), '-t', dur, '-b', IPERF_RATE], { stdio: 'ignore' });
    children.push(client);
    await new Promise((r) => setTimeout(r, 1000)); // past ARP and TCP start
    windows.push(await measureWindow('traffic', WINDOW_S, pid, read));
    const w = windows[1]!;
    log(`traffic: ${w.packetsPerSecond} frames/s; collector ${w.collectorCpuPctOfCore} % of a core, eBPF ${w.bpfPctOfCore} % (${w.bpfNsPerRun} ns/run)`);
    const codes = await Promise.all(pings.map(exited));
    const iperfCode = await exited(client);
    const summary: Summary = {
      date: new Date().toISOString(),
      machine: `${cpus().length} CPU (${cpus()[0]?.model ?? 'unknown'})`,
      vms: VMS,
      pairs: PAIRS,
      pingIntervalMs: PING_MS,
      iperfRate: IPERF_RATE,
      windows,
      // ping with a deadline and no count exits 0 when at least one reply came, 1 when none (ping(8)).
      pingPairsAnswered: codes.filter((c) => c === 0).length,
      iperfOk: iperfCode === 0,
      collectorRssBytes: rssBytes(pid),
      target: VMS < 1000 ? `not measured at 1000 VMs (${VMS})` : `${w.collectorCpuPctOfCore <= TARGET_PCT ? 'met' : 'missed'} (collector process ${w.collectorCpuPctOfCore} %; with its eBPF programs' kernel time ${+(w.collectorCpuPctOfCore + w.bpfPctOfCore).toFixed(2)} %)`,
    };
    await fs.mkdir(path.join(repoRoot, 'bench', 'results'), { recursive: true });
    await fs.writeFile(path.join(repoRoot, 'bench', 'results', 'collector.json'), JSON.stringify(summary, null, 2) + '\n');
    const docs = path.join(repoRoot, 'docs', 'BENCHMARKS.md');
    await writeDocsSection(docs, 'collector', markdown(summary));
    process.stdout.write(JSON.stringify(summary) + '\n');
  } finally {
    await cleanup();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:collector: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
