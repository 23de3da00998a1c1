/**
 * OVN benchmark (`npm run bench:ovn -- --chassis 10,50 --vms 5`, as root): Merak driving a real
 * OVN (docs/providers/ovn.md) with every emulated node a real chassis, without Temporal: the OVN
 * network plugin over gRPC (its own central: NB, SB, northd) and Merak's agent activities with
 * the `ovn` endpoint plugin, as test/integration/ovn-endpoint.test.ts drives them.
 *
 * For each chassis count C (one run each, everything removed before the next):
 * 1. C nodes, each ensured by the agent (namespace, fabric, chassis: ovsdb-server, ovs-vswitchd on
 *    the userspace datapath, ovn-controller) and created at the plugin (CreateNode waits for the
 *    chassis in the southbound database); one VPC with one subnet;
 * 2. an anchor VM (VM 0) per chassis, the ping source for the next chassis; the run waits until
 *    every anchor answers the anchor of the chassis before it (tunnels up everywhere);
 * 3. then, chassis after chassis, N VMs (1..N) in one `createBatch` with Merak's time-to-reachable
 *    probing on (every endpoint; src/activities/agent/measure.ts: the nearest peer of the batch,
 *    on the same chassis). From the moment each batch is requested, for every endpoint of it:
 *    - OVN's own `ovn-installed`: the OVS Interface's external_ids:ovn-installed=true that
 *      ovn-controller sets once the port's flows are in, seen by an `ovsdb-client monitor` per
 *      chassis (no polling);
 *    - the first reply to a ping from the anchor of the next chassis (Geneve across chassis),
 *      by Merak's own probe (measure.ts probeOnce: an echo request every 50 ms). The anchor has
 *      the endpoint's MAC as a permanent neighbour (pinNeighbours), so the measure is when OVN
 *      forwards, with no ARP in it and no ARP flood to every chassis while the port is missing;
 *    the next chassis starts once all three are known for this one (ovn-heater's way: each port's
 *    wait is its own, not a queue's).
 * 4. per chassis: memory (RSS of its three daemons) and CPU (utime + stime from /proc, over the
 *    build and over an idle window after it); the central's daemons the same.
 *
 * Arguments: --chassis LIST (comma-separated counts, each ≥ 2; default 3), --vms N (measured VMs
 * per chassis, default 2), --timeout-ms T (per probe, default 30000), --idle-s S (idle window,
 * default 10), --mesh-timeout-s S (the tunnel mesh's wait, default 600), --anchor-timeout-s S (an
 * anchor's wait, default 180), --no-docs (write only bench/results/ovn.json), --docs-only (rewrite
 * the docs section from bench/results/ovn.json, run nothing). Writes
 * bench/results/ovn.json (this invocation's runs, and the earlier runs of other sizes: mergeRuns)
 * and the OVN section of docs/BENCHMARKS.md; everything it started is stopped and removed at the
 * end, and on Ctrl-C.
 */
import { writeDocsSection } from './docs-section';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fs, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { createAgentActivities } from '../src/activities/agent/activities';
import { probeOnce } from '../src/activities/agent/measure';
import type { EndpointBatch, SubnetRef } from '../src/activities/agent/types';
import { cleanScenario } from '../src/dataplane/clean';
import { spawnRunner } from '../src/dataplane/command';
import { daemonPid } from '../src/dataplane/daemon';
import { runBatch } from '../src/dataplane/ip-batch';
import { hostVeth, vmNetns } from '../src/dataplane/names';
import { centralDaemons, chassisDaemons } from '../src/dataplane/ovn/daemons';
import { centralDir, chassisDir, chassisFiles } from '../src/dataplane/ovn/paths';
import { FileOwnerRecords } from '../src/dataplane/owner-records';
import { findTag } from '../src/dataplane/tags';
import { createPluginRegistry } from '../src/endpoint-plugins/registry';
import { packageRoot } from '../src/install/paths';
import { forEachBounded } from '../src/model/concurrency';
import { pluginNodeName } from '../src/model/identity';
import { gateway, hostAddress } from '../src/model/ipam';
import { endpointMac } from '../src/model/mac';
import { mergeMetrics, MetricsRecorder, summarizeHistogram, type Metrics } from '../src/model/metrics';
import { createNetworkPluginClient, type NetworkPluginClient } from '../src/plugin/client';
import { startOvnPlugin, type RunningOvnPlugin } from '../src/plugin/ovn/server';
import { cpuSnapshot, diagnosePair, logSurvey, ovnLogs, phaseCpu, pidsByRole, type CpuSnapshot, type PhaseCpu } from './ovn-diag';
import { interfaceRows, mergeRuns, parseArgs, type Args } from './ovn-parts';
import { procCpuMs, procMem } from './scenario-probe';

const log = (line: string): void => void process.stderr.write(`bench:ovn: ${line}\n`);
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
const UNDERLAY = '100.72.0.0/16';
const SUBNET = { ip: '10.80.0.0', prefix: 16 };
const CHASSIS_AT_ONCE = 4;
/**
 * A permanent neighbour entry in VM namespace `ns` for each target, so its pings need no ARP.
 * An ARP request for an address whose logical port does not exist yet is flooded by OVN to every
 * chassis of the switch (its _MC_flood group: 99 Geneve copies at 100 chassis), and the kernel
 * repeats it while the ping waits; with a static entry the echo request is a unicast that OVN's
 * L2 lookup drops until the port exists and is bound, then forwards: the first reply is when OVN
 * forwards, with no ARP in it and no flood.
 */
async function pinNeighbours(ns: string, targets: ReadonlyArray<{ ip: string; mac: string }>): Promise<void> {
  await runBatch(
    spawnRunner,
    targets.map((t) => `neigh replace ${t.ip} lladdr ${t.mac} dev eth0 nud permanent`),
    { netns: ns },
  );
}

interface Dist {
  probed: number;
  reached: number;
  p50: number;
  p95: number;
  max: number;
  never: string[];
}

function dist(m: Metrics | undefined): Dist {
  const r = m?.reachability;
  if (!r) return { probed: 0, reached: 0, p50: 0, p95: 0, max: 0, never: [] };
  const s = summarizeHistogram(r.histogram);
  return { probed: r.probed, reached: r.reachable, p50: s.p50, p95: s.p95, max: s.max, never: r.unreachable };
}

interface ProcStats {
  rssBytes: number;
  cpuMs: number;
}

interface RunResult {
  chassis: number;
  vmsPerChassis: number;
  date: string;
  loadBefore: string;
  loadAfter: string;
  chassisUpMs?: number;
  anchorsMs?: number;
  buildMs?: number;
  /** Per endpoint, from its batch's request: OVN's ovn-installed, the first ping from the next chassis, Merak's own probe (peer on the same chassis). */
  ovnInstalled?: Dist;
  pingOtherChassis?: Dist;
  merakProbe?: Dist;
  /** (Merak − ovn-installed) / ovn-installed, %, at p50 and p95: for the cross-chassis ping and for Merak's own probe. */
  vsInstalledPct?: { pingOtherChassis: { p50: number; p95: number }; merakProbe: { p50: number; p95: number } };
  ops?: Record<string, { count: number; failed: number; p50: number; p95: number; p99: number; max: number }>;
  perChassis?: {
    rssMeanBytes: number;
    rssMaxBytes: number;
    /** CPU of a chassis's three daemons from start to the end of the build, ms (mean, max). */
    cpuToBuiltMeanMs: number;
    cpuToBuiltMaxMs: number;
    /** Over the idle window after the build: % of one core per chassis (mean, max) and all chassis together. */
    idleCpuPctMean: number;
    idleCpuPctMax: number;
    idleCpuPctAll: number;
  };
  central?: Record<string, ProcStats & { idleCpuPct: number }>;
  left?: { processes: number; namespaces: string[] };
  /** When each chassis had its tunnels to all others (Geneve interfaces with an OpenFlow port), from the first chassis's start. */
  meshMs?: number;
  meshTimeline?: Array<{ ms: number; chassisComplete: number; tunnels: number; of: number }>;
  /** Anchors: making them (ms), and each one's first answer to the anchor of the chassis before it, from when all were made. */
  anchorsCreateMs?: number;
  anchorPing?: Dist;
  /** Per phase: wall time, cores used by each daemon role (all chassis together) and by the whole machine, load average at its end. */
  cpuByPhase?: Array<PhaseCpu & { load: string }>;
  /** Slow-loop and disconnect lines in the daemons' logs over the run, by role (bench/ovn-parts.ts logSignals). */
  logSignals?: Record<string, { counts: Record<string, number>; samples: Record<string, string[]> }>;
  /** When anchors did not answer: the state of the first three pairs (bench/ovn-diag.ts diagnosePair). */
  diagnosis?: Array<Record<string, unknown>>;
  error?: string;
}

interface Summary {
  date: string;
  machine: string;
  versions: Record<string, string>;
  runs: RunResult[];
}

/**
 * One chassis's OVS Interface table as `ovsdb-client monitor` streams it (no polling): when each
 * interface first got ovn-installed=true, and its Geneve tunnels that have an OpenFlow port (the
 * ones ovn-controller made for the other chassis and ovs-vswitchd has added).
 */
class ChassisWatcher {
  private readonly child: ChildProcess;
  private readonly seen = new Map<string, number>();
  private readonly waiting = new Map<string, Array<(t: number) => void>>();
  private readonly tunnelPorts = new Map<string, number>();

  constructor(dbSocket: string) {
    this.child = spawn('ovsdb-client', ['--format=json', 'monitor', `unix:${dbSocket}`, 'Open_vSwitch', 'Interface', 'name,type,ofport,external_ids'], { stdio: ['ignore', 'pipe', 'ignore'] });
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => this.onLine(line));
  }

  private onLine(line: string): void {
    const now = Date.now();
    for (const r of interfaceRows(line)) {
      if (r.type === 'geneve') {
        if (r.action !== 'delete' && r.ofport !== undefined && r.ofport > 0) this.tunnelPorts.set(r.name, r.ofport);
        else this.tunnelPorts.delete(r.name);
      }
      if (!r.installed || r.action === 'delete' || this.seen.has(r.name)) continue;
      this.seen.set(r.name, now);
      for (const w of this.waiting.get(r.name) ?? []) w(now);
      this.waiting.delete(r.name);
    }
  }

  /** Geneve tunnels with an OpenFlow port now. */
  tunnels(): number {
    return this.tunnelPorts.size;
  }

  /** Forgets `name` (its next ovn-installed counts), e.g. before the interface is made. */
  reset(name: string): void {
    this.seen.delete(name);
  }

  /** When `name` got ovn-installed=true, waiting at most `timeoutMs`; undefined when it did not. */
  when(name: string, timeoutMs: number): Promise<number | undefined> {
    const at = this.seen.get(name);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      const list = this.waiting.get(name) ?? [];
      list.push((t) => {
        clearTimeout(timer);
        resolve(t);
      });
      this.waiting.set(name, list);
    });
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((r) => {
      this.child.once('exit', () => r());
      this.child.kill('SIGTERM');
    });
  }
}

/** Sum of RSS and CPU of live pids. */
function procStats(pids: readonly number[]): ProcStats {
  return { rssBytes: pids.reduce((s, p) => s + procMem(p, 'VmRSS'), 0), cpuMs: pids.reduce((s, p) => s + procCpuMs(p), 0) };
}

async function pidsOf(pidfiles: readonly string[]): Promise<number[]> {
  return (await Promise.all(pidfiles.map((f) => daemonPid(f)))).filter((p): p is number => p !== undefined);
}

/** Pids whose command line mentions `needle`. */
function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const pct = (a: number, b: number): number => (b > 0 ? +(((a - b) / b) * 100).toFixed(1) : 0);

/** One run at C chassis; `stop` is set by Ctrl-C and makes it skip to its teardown. */
async function run(c: number, a: Args, state: { stop: boolean; cleanups: Set<() => Promise<void>> }): Promise<RunResult> {
  const result: RunResult = { chassis: c, vmsPerChassis: a.vms, date: new Date().toISOString(), loadBefore: load(), loadAfter: '' };
  const stateDir = mkdtempSync(path.join(tmpdir(), 'merak-bench-ovn-'));
  const central = `b${process.pid % 100000}c${c}`;
  const scenario = `bovn-${process.pid % 100000}-${c}`;
  const records = new FileOwnerRecords(stateDir);
  const agent = createAgentActivities({ mode: 'local', runner: spawnRunner, records, plugins: createPluginRegistry({ runner: spawnRunner, dirs: [] }) });
  const nodes = Array.from({ length: c }, (_, i) => `n${i}`);
  const rec = new MetricsRecorder();
  const installed = new MetricsRecorder();
  const cross = new MetricsRecorder();
  let merakMetrics: Metrics | undefined;
  let plugin: RunningOvnPlugin | undefined;
  let client: NetworkPluginClient | undefined;
  let tag = '';
  const watchers: ChassisWatcher[] = [];
  const underlay: string[] = [];
  const phases: Array<PhaseCpu & { load: string }> = [];
  let subnet: SubnetRef | undefined;
  const batchOf = (i: number, from: number, count: number): EndpointBatch => ({
    scenario,
    node: nodes[i]!,
    nodeSlot: i,
    from,
    count,
    endpointsPerVm: 1,
    plugin: 'ovn',
    underlayCidr: UNDERLAY,
    segments: [{ vmFrom: from, vmCount: count, endpoint: 0, subnet: subnet!, ipIndexFrom: i * (a.vms + 1) + from }],
  });
  const ipOf = (i: number, vm: number): string => hostAddress(`${SUBNET.ip}/${SUBNET.prefix}`, i * (a.vms + 1) + vm);
  // As the agent gives it (src/activities/agent/expand.ts): endpoint 0 of VM `vm` on the node in slot i.
  const macOf = (i: number, vm: number): string => endpointMac(scenario, i, vm, 0);
  const chassisPids = (i: number): Promise<number[]> => pidsOf(chassisDaemons(chassisDir(tag, nodes[i]!), '').map((d) => d.pidfile));
  const centralPids = async (): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const d of centralDaemons(central, '')) {
      const p = await daemonPid(d.pidfile);
      if (p !== undefined) out[d.role] = p;
    }
    return out;
  };
  let tornDown = false;
  const teardown = async (): Promise<void> => {
    if (tornDown) return;
    tornDown = true;
    await Promise.all(watchers.map((w) => w.stop()));
    if (client && subnet) {
      // As a scenario's teardown: endpoints, VMs and nodes, then the plugin's objects. Errors are
      // collected, not thrown: the records and the central's removal below take what is left.
      await forEachBounded(nodes, CHASSIS_AT_ONCE, async (node, i) => {
        await agent.deleteEndpoints(batchOf(i, 0, a.vms + 1)).catch((e: unknown) => log(`deleteEndpoints ${node}: ${String(e)}`));
      });
    }
    await forEachBounded(nodes, CHASSIS_AT_ONCE, async (node) => {
      await agent.deleteVms({ scenario, node, from: 0, count: a.vms + 1, plugin: 'ovn' }).catch((e: unknown) => log(`deleteVms ${node}: ${String(e)}`));
      await client?.deleteNode({ name: pluginNodeName(scenario, node), scenario }).catch((e: unknown) => log(`DeleteNode ${node}: ${String(e)}`));
      await agent.deleteNode({ scenario, node, plugin: 'ovn' }).catch((e: unknown) => log(`deleteNode ${node}: ${String(e)}`));
    });
    if (client && subnet) {
      await client.deleteSubnet({ id: subnet.id }).catch((e: unknown) => log(`DeleteSubnet: ${String(e)}`));
      await client.deleteVpc({ id: subnet.vpc }).catch((e: unknown) => log(`DeleteVpc: ${String(e)}`));
    }
    client?.close();
    await plugin?.close().catch((e: unknown) => log(`closing the plugin: ${String(e)}`));
    await cleanScenario({ runner: spawnRunner, records }, scenario).catch((e: unknown) => log(`clean: ${String(e)}`));
    const netns = existsNetns().filter((n) => (tag !== '' && n.startsWith(`mk-${tag}`)) || n === `mk-ovn-${central}`);
    const procs = [...(tag ? nodes.flatMap((n) => processesMentioning(chassisDir(tag, n))) : []), ...processesMentioning(centralDir(central))];
    result.left = { processes: procs.length, namespaces: netns };
    rmSync(stateDir, { recursive: true, force: true });
  };
  state.cleanups.add(teardown);
  const checkStop = (): void => {
    if (state.stop) throw new Error('interrupted');
  };
  try {
    log(`C=${c} chassis × ${a.vms} VMs: starting the central (${central})`);
    plugin = await startOvnPlugin({ port: 0, central, stateDir, registrationWaitMs: 120_000, dbTimeoutSec: 60 });
    client = createNetworkPluginClient(plugin.address, { deadlineMs: 180_000 });
    const cl = client;
    const config = (await cl.getState()).node_config;
    const tUp = performance.now();
    // CPU of the chassis phase: its daemons start in it, so it counts from zero.
    let snap: CpuSnapshot = { ...cpuSnapshot({}), roles: {} };
    let pids: Record<string, number[]> = {};
    const phaseEnd = async (phase: string): Promise<void> => {
      pids = await pidsByRole(tag ? nodes.map((n) => chassisDir(tag, n)) : [], central);
      const now = cpuSnapshot(pids);
      phases.push({ ...phaseCpu(phase, snap, now, cpus().length), load: load() });
      snap = now;
    };
    await forEachBounded(nodes, CHASSIS_AT_ONCE, async (node, i) => {
      checkStop();
      const r = await rec.time('agent.ensureNode (chassis start)', performance.now.bind(performance), () => agent.ensureNode({ scenario, node, nodeSlot: i, plugin: 'ovn', underlayCidr: UNDERLAY, providerConfig: config }));
      underlay[i] = r.underlay;
      tag ||= (await findTag(stateDir, scenario))!;
      // From its start: the tunnels to the chassis registered after it are seen as they come.
      watchers[i] = new ChassisWatcher(chassisFiles(chassisDir(tag, node)).dbSocket);
      const mac = `02:4d:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
      await rec.time('plugin.CreateNode', performance.now.bind(performance), () => cl.createNode({ node: { name: pluginNodeName(scenario, node), ip: r.underlay, mac, scenario } }));
    });
    result.chassisUpMs = Math.round(performance.now() - tUp);
    log(`  ${c} chassis registered in ${result.chassisUpMs} ms`);
    await phaseEnd('chassis up (registered in the southbound database)');
    // The full mesh: every chassis has a Geneve tunnel with an OpenFlow port to each other one.
    // Registration is not that: ovn-controller makes the tunnels afterwards, on every chassis for
    // every new one, and ovs-vswitchd adds them.
    const meshDeadline = performance.now() + a.meshTimeoutS * 1000;
    result.meshTimeline = [];
    let lastMark = 0;
    for (;;) {
      checkStop();
      const counts = watchers.map((w) => w.tunnels());
      const complete = counts.filter((n) => n >= c - 1).length;
      const t = performance.now();
      if (complete === c || t >= meshDeadline || t - lastMark >= 5000) {
        result.meshTimeline.push({ ms: Math.round(t - tUp), chassisComplete: complete, tunnels: counts.reduce((x, y) => x + y, 0), of: c * (c - 1) });
        lastMark = t;
      }
      if (complete === c) break;
      if (t >= meshDeadline) {
        const short = counts.map((n, i) => [nodes[i]!, n] as const).filter(([, n]) => n < c - 1);
        throw new Error(`the tunnel mesh is not complete ${a.meshTimeoutS} s after the chassis started: ${short.length} chassis lack tunnels (${short.slice(0, 5).map(([n, k]) => `${n}: ${k}/${c - 1}`).join(', ')}${short.length > 5 ? ' …' : ''})`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    result.meshMs = Math.round(performance.now() - tUp);
    log(`  tunnel mesh complete (${c * (c - 1)} tunnels) ${result.meshMs} ms after the first chassis started`);
    await phaseEnd('tunnel mesh complete');
    const vpc = `${scenario}-vpc`;
    await rec.time('plugin.CreateVpc', performance.now.bind(performance), () => cl.createVpc({ vpc: { id: vpc, vni: 1, ip: SUBNET.ip, prefix: SUBNET.prefix } }));
    const s = (await rec.time('plugin.CreateSubnet', performance.now.bind(performance), () => cl.createSubnet({ subnet: { id: `${scenario}-s1`, vpc, vni: 0, ip: SUBNET.ip, prefix: SUBNET.prefix } }))).subnet;
    const cidr = `${SUBNET.ip}/${SUBNET.prefix}`;
    subnet = { id: `${scenario}-s1`, vpc, cidr, gateway: gateway(cidr), vni: s.vni };
    // Anchors: VM 0 of every chassis, then each must answer the anchor of the chassis before it.
    const tA = performance.now();
    await forEachBounded(nodes, CHASSIS_AT_ONCE, async (_n, i) => {
      checkStop();
      await agent.createBatch({ ...batchOf(i, 0, 1) });
    });
    // Each anchor pings the next one's address with its MAC pinned (pinNeighbours).
    await forEachBounded(nodes, CHASSIS_AT_ONCE, async (_n, i) => {
      const to = (i + 1) % c;
      await pinNeighbours(vmNetns(tag, nodes[i]!, 0), [{ ip: ipOf(to, 0), mac: macOf(to, 0) }]);
    });
    const anchorsMade = performance.now();
    // All at once (a ping process each, sleeping between its requests), so the wait is bounded
    // by one timeout; each anchor's answer time is kept.
    const tP = Date.now();
    const answered = await Promise.all(nodes.map((_n, i) => probeOnce(spawnRunner, { fromNs: vmNetns(tag, nodes[(i + c - 1) % c]!, 0), ip: ipOf(i, 0), name: `anchor ${i}` }, a.anchorTimeoutS * 1000, Date.now)));
    const anchorRec = new MetricsRecorder();
    answered.forEach((at, i) => anchorRec.probe(nodes[i]!, at === undefined ? undefined : at - tP));
    result.anchorsCreateMs = Math.round(anchorsMade - tA);
    result.anchorPing = dist(anchorRec.metrics());
    const silent = answered.flatMap((at, i) => (at === undefined ? [i] : []));
    if (silent.length > 0) {
      await phaseEnd('anchors (failed)');
      const ref = (i: number) => ({ node: nodes[i]!, dir: chassisDir(tag, nodes[i]!), encapIp: underlay[i]!, tunnels: watchers[i]!.tunnels() });
      const sbSocket = `${centralDir(central)}/sb.sock`;
      result.diagnosis = [];
      for (const i of silent.slice(0, 3)) {
        const from = (i + c - 1) % c;
        const d = await diagnosePair(spawnRunner, {
          from: ref(from),
          to: ref(i),
          anchorIf: hostVeth(tag, 0, 0),
          anchorIp: ipOf(i, 0),
          sbSocket,
          fromNs: vmNetns(tag, nodes[from]!, 0),
          fromIp: ipOf(from, 0),
          fromMac: macOf(from, 0),
          toMac: macOf(i, 0),
        });
        // A datapath flow in use is never idled out: if the one cached before OVN's flows were in
        // kept its old actions, the ping answers once it stops for longer than OVS's idle time (10 s).
        await new Promise((r) => setTimeout(r, 12_000));
        const quiet = await probeOnce(spawnRunner, { fromNs: vmNetns(tag, nodes[from]!, 0), ip: ipOf(i, 0), name: `anchor ${i}` }, 15_000, Date.now);
        d['after 12 s without traffic'] = quiet === undefined ? 'still silent 15 s later' : 'answers';
        // Does a full recompute of either ovn-controller (its incremental processing bypassed) make it answer?
        for (const side of quiet === undefined ? [i, from] : []) {
          const dir = chassisDir(tag, nodes[side]!);
          const pid = await daemonPid(`${dir}/ovn-controller.pid`);
          if (pid === undefined) continue;
          await spawnRunner.run(['ovn-appctl', '-t', `${dir}/ovn-controller.${pid}.ctl`, '--timeout=5', 'recompute'], { timeoutMs: 10_000 });
          const at = await probeOnce(spawnRunner, { fromNs: vmNetns(tag, nodes[from]!, 0), ip: ipOf(i, 0), name: `anchor ${i}` }, 15_000, Date.now);
          d[`afterRecomputeOf ${nodes[side]}`] = at === undefined ? 'still silent 15 s later' : 'answers';
          if (at !== undefined) break;
        }
        result.diagnosis.push(d);
      }
      throw new Error(`${silent.length} of ${c} anchors do not answer the anchor of the chassis before them within ${a.anchorTimeoutS} s: ${silent.slice(0, 8).map((i) => nodes[i]).join(', ')}${silent.length > 8 ? ' …' : ''}`);
    }
    result.anchorsMs = Math.round(performance.now() - tA);
    log(`  anchors answer across chassis after ${result.anchorsMs} ms (made in ${result.anchorsCreateMs} ms; ping p50/p95/max ${result.anchorPing.p50}/${result.anchorPing.p95}/${result.anchorPing.max} ms)`);
    await phaseEnd('anchors');
    // The measured batches, chassis after chassis.
    const before = await Promise.all(nodes.map((_n, i) => chassisPids(i)));
    const cpuStart = before.map((p) => procStats(p).cpuMs);
    const tB = performance.now();
    for (let i = 0; i < c; i++) {
      checkStop();
      const next = (i + 1) % c;
      const fromNs = vmNetns(tag, nodes[next]!, 0);
      const eps = Array.from({ length: a.vms }, (_, k) => ({ vm: k + 1, ip: ipOf(i, k + 1), mac: macOf(i, k + 1), ifname: hostVeth(tag, k + 1, 0) }));
      for (const ep of eps) watchers[i]!.reset(ep.ifname);
      await pinNeighbours(fromNs, eps);
      const t0 = Date.now();
      const probes = eps.map(async (ep) => {
        const name = `${nodes[i]}/vm${ep.vm}/eth0 ${ep.ip}`;
        const [ping, inst] = await Promise.all([
          probeOnce(spawnRunner, { fromNs, ip: ep.ip, name }, a.timeoutMs, Date.now).catch(() => undefined),
          watchers[i]!.when(ep.ifname, a.timeoutMs),
        ]);
        cross.probe(name, ping === undefined ? undefined : ping - t0);
        installed.probe(name, inst === undefined ? undefined : inst - t0);
      });
      const r = await agent.createBatch({ ...batchOf(i, 1, a.vms), reachability: { every: 1, offset: 0, timeoutMs: a.timeoutMs } });
      merakMetrics = mergeMetrics(merakMetrics, r.metrics);
      await Promise.all(probes);
      if ((i + 1) % 10 === 0 || i === c - 1) {
        const d = dist(installed.metrics());
        const p = dist(cross.metrics());
        log(`  ${i + 1}/${c} chassis built in ${Math.round(performance.now() - tB)} ms; so far ovn-installed p50/max ${d.p50}/${d.max} ms, ping ${p.p50}/${p.max} ms (${p.reached}/${p.probed}); load ${load()}`);
      }
    }
    result.buildMs = Math.round(performance.now() - tB);
    await phaseEnd('measured VMs, chassis after chassis');
    const pidsNow = await Promise.all(nodes.map((_n, i) => chassisPids(i)));
    const built = pidsNow.map((p) => procStats(p));
    const cpuToBuilt = built.map((b, i) => b.cpuMs - cpuStart[i]!);
    // Idle window: nothing asked of OVN.
    const cp = await centralPids();
    const idle0 = pidsNow.map((p) => procStats(p).cpuMs);
    const central0 = Object.fromEntries(Object.entries(cp).map(([r, p]) => [r, procCpuMs(p)]));
    const tI = performance.now();
    await new Promise((r) => setTimeout(r, a.idleS * 1000));
    const idleMs = performance.now() - tI;
    await phaseEnd('idle');
    const idlePct = pidsNow.map((p, i) => ((procStats(p).cpuMs - idle0[i]!) / idleMs) * 100);
    result.perChassis = {
      rssMeanBytes: Math.round(built.reduce((x, b) => x + b.rssBytes, 0) / c),
      rssMaxBytes: Math.max(...built.map((b) => b.rssBytes)),
      cpuToBuiltMeanMs: Math.round(cpuToBuilt.reduce((x, y) => x + y, 0) / c),
      cpuToBuiltMaxMs: Math.max(...cpuToBuilt),
      idleCpuPctMean: +(idlePct.reduce((x, y) => x + y, 0) / c).toFixed(2),
      idleCpuPctMax: +Math.max(...idlePct).toFixed(2),
      idleCpuPctAll: +idlePct.reduce((x, y) => x + y, 0).toFixed(1),
    };
    result.central = Object.fromEntries(
      Object.entries(cp).map(([role, p]) => [role, { rssBytes: procMem(p, 'VmRSS'), cpuMs: procCpuMs(p), idleCpuPct: +(((procCpuMs(p) - central0[role]!) / idleMs) * 100).toFixed(2) }]),
    );
    const all = mergeMetrics(rec.metrics(), merakMetrics);
    result.ops = Object.fromEntries(
      Object.entries(all.ops).map(([k, o]) => {
        const t = summarizeHistogram(o!.histogram);
        return [k, { count: o!.count, failed: o!.failed, p50: t.p50, p95: t.p95, p99: t.p99, max: t.max }];
      }),
    );
    result.ovnInstalled = dist(installed.metrics());
    result.pingOtherChassis = dist(cross.metrics());
    result.merakProbe = dist(merakMetrics);
    const inst = result.ovnInstalled;
    result.vsInstalledPct = {
      pingOtherChassis: { p50: pct(result.pingOtherChassis.p50, inst.p50), p95: pct(result.pingOtherChassis.p95, inst.p95) },
      merakProbe: { p50: pct(result.merakProbe.p50, inst.p50), p95: pct(result.merakProbe.p95, inst.p95) },
    };
    log(
      `  ovn-installed p50/p95/max ${inst.p50}/${inst.p95}/${inst.max} ms (${inst.reached}/${inst.probed}); ping from the next chassis ${result.pingOtherChassis.p50}/${result.pingOtherChassis.p95}/${result.pingOtherChassis.max} ms (${result.pingOtherChassis.reached}/${result.pingOtherChassis.probed}); Merak's probe ${result.merakProbe.p50}/${result.merakProbe.p95}/${result.merakProbe.max} ms (${result.merakProbe.reached}/${result.merakProbe.probed})`,
    );
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`  FAILED: ${result.error}`);
  } finally {
    result.loadAfter = load();
    result.cpuByPhase = phases;
    if (tag) {
      const logs = ovnLogs(nodes.map((n) => chassisDir(tag, n)), centralDir(central));
      result.logSignals = Object.fromEntries(Object.entries(logs).map(([role, files]) => [role, logSurvey(files)]));
    }
    await teardown();
    state.cleanups.delete(teardown);
    log(`  removed; left: ${result.left?.processes ?? '?'} processes, ${result.left?.namespaces.length ?? '?'} namespaces`);
  }
  return result;
}

function existsNetns(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

const mbText = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`;

function distCell(d: Dist | undefined): string {
  if (!d) return '-';
  return `${d.p50} / ${d.p95} / ${d.max} (${d.reached}/${d.probed}${d.never.length ? `; never: ${d.never.slice(0, 3).join(', ')}${d.never.length > 3 ? ' …' : ''}` : ''})`;
}

function markdown(s: Summary): string {
  const rows = s.runs.map((r) => {
    const v = r.vsInstalledPct;
    const pc = r.perChassis;
    return `| ${r.chassis}×${r.vmsPerChassis} | ${r.date.slice(0, 16)} | ${r.chassisUpMs ?? '-'} / ${r.meshMs ?? '-'} | ${r.anchorPing ? `${r.anchorPing.p50} / ${r.anchorPing.max} (${r.anchorPing.reached}/${r.anchorPing.probed})` : '-'} | ${distCell(r.ovnInstalled)} | ${distCell(r.pingOtherChassis)} | ${distCell(r.merakProbe)} | ${v ? `${v.pingOtherChassis.p50} / ${v.pingOtherChassis.p95}` : '-'} | ${v ? `${v.merakProbe.p50} / ${v.merakProbe.p95}` : '-'} | ${pc ? `${mbText(pc.rssMeanBytes)} / ${mbText(pc.rssMaxBytes)}` : '-'} | ${pc ? `${pc.cpuToBuiltMeanMs} / ${pc.cpuToBuiltMaxMs}` : '-'} | ${pc ? `${pc.idleCpuPctMean} / ${pc.idleCpuPctMax} / ${pc.idleCpuPctAll}` : '-'} | ${r.left ? `${r.left.processes} proc., ${r.left.namespaces.length} ns` : '-'} | ${r.loadBefore} → ${r.loadAfter} |${r.error ? ` failed: ${r.error}` : ''}`;
  });
  const opRows = s.runs.flatMap((r) =>
    Object.entries(r.ops ?? {})
      .sort(([x], [y]) => (x < y ? -1 : 1))
      .map(([k, o]) => `| ${r.chassis}×${r.vmsPerChassis} | ${k} | ${o.count} | ${o.failed} | ${o.p50} | ${o.p95} | ${o.p99} | ${o.max} |`),
  );
  const phaseRows = s.runs.flatMap((r) =>
    (r.cpuByPhase ?? []).map((p) => {
      const c = p.cores;
      const sum = (role: string): number => c[role] ?? 0;
      const central = Object.entries(c)
        .filter(([k]) => k.startsWith('central '))
        .reduce((x, [, v]) => x + v, 0);
      return `| ${r.chassis}×${r.vmsPerChassis} | ${p.phase} | ${p.wallMs} | ${sum('ovn-controller')} | ${sum('ovs-vswitchd')} | ${sum('ovsdb-server')} | ${+central.toFixed(2)} | ${p.machineCores} of ${p.of} | ${p.load} |`;
    }),
  );
  const centralRows = s.runs.flatMap((r) => Object.entries(r.central ?? {}).map(([role, x]) => `${r.chassis}×${r.vmsPerChassis} ${role} ${mbText(x.rssBytes)}, ${x.cpuMs} ms CPU, ${x.idleCpuPct} % idle`));
  return [
    '<!-- ovn:start -->',
    '## OVN provider (real OVN chassis)',
    '',
    `Measured by \`npm run bench:ovn\` on ${s.machine}, ${s.date}; ${Object.entries(s.versions).map(([k, v]) => `${k} ${v}`).join(', ')}. ` +
      'Without Temporal: the OVN network plugin (its own central: NB, SB, northd) over gRPC and the agent activities with the `ovn` endpoint plugin in the benchmark\'s process; every node a chassis (ovsdb-server, ovs-vswitchd on the userspace datapath, ovn-controller) in its own namespace, one VPC with one subnet. ' +
      'The run waits for the full tunnel mesh (every chassis with a Geneve port to each other one), makes an anchor VM per chassis (the ping source of the next chassis) and waits until every anchor answers the one before it, then, chassis after chassis, makes the measured VMs in one `createBatch` each with Merak\'s time-to-reachable probing on; the next chassis starts when all of its endpoints are known.',
    'Per endpoint, from its batch\'s create request: **ovn-installed** = OVN\'s own `external_ids:ovn-installed=true` on the OVS Interface (ovn-controller sets it once the port\'s flows are in; seen by `ovsdb-client monitor`); **ping from the next chassis** = first echo reply to the anchor of the next chassis (Merak\'s probe function, a request every 50 ms; the anchor has the endpoint\'s MAC as a permanent neighbour, so no ARP is in the measure and none is flooded to every chassis while the port does not exist yet); **Merak\'s probe** = Merak\'s time to reachable as a scenario measures it (the nearest peer of the batch, on the same chassis; the socket helper resolves the endpoint\'s MAC itself, an ARP request with each echo request until the first reply, so ARP is in the measure at the probe\'s 50 ms pace, not the VM\'s 1 s retry; since 2026-12-01, sockprobe protocol 3). Times in ms: p50 / p95 / max (reached/probed; endpoints never reached by name).',
    'Per chassis: RSS of its three daemons after the build (mean / max), their CPU from start to built (ms, mean / max), and over an idle window after the build (% of one core: mean / max / all chassis together).',
    'The machine was shared with other jobs while this ran (load averages in the table); OVN\'s times grow with that load.',
    '',
    '| chassis×VMs | run (UTC) | chassis registered / tunnel mesh complete, ms | anchors answer, ms p50 / max | ovn-installed | ping from the next chassis | Merak\'s probe (same chassis) | ping vs ovn-installed, % at p50 / p95 | Merak\'s probe vs ovn-installed, % at p50 / p95 | RSS per chassis | CPU ms per chassis to built | idle CPU % per chassis (mean / max / all) | left | load before → after |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'Operations (ms): plugin calls as the benchmark made them over gRPC, agent.ensureNode (the chassis start), and what the agent measured in its batches (VM, endpoint, endpoint-plugin calls).',
    '',
    '| chassis×VMs | operation | count | failed | p50 | p95 | p99 | max |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...opRows,
    '',
    `Central (RSS, CPU since start, idle): ${centralRows.join('; ') || '-'}.`,
    '',
    'CPU by phase: cores used on average by all chassis\'s daemons of a role together, by the central\'s daemons, and by the whole machine (other helpers\' jobs included), with the load average at the phase\'s end.',
    '',
    '| chassis×VMs | phase | wall ms | ovn-controller | ovs-vswitchd | ovsdb-server (chassis) | central | machine | load |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
    ...phaseRows,
    '',
    'Goal: Merak\'s time to reachable within 10 % of OVN\'s own ovn-installed time in the same run. Raw numbers: bench/results/ovn.json.',
    '<!-- ovn:end -->',
  ].join('\n');
}

async function versions(): Promise<Record<string, string>> {
  const first = async (argv: string[]): Promise<string> => {
    const r = await spawnRunner.run(argv);
    return /(\d+\.\d+\.\d+)/.exec(r.stdout)?.[1] ?? 'unknown';
  };
  return { OVN: await first(['ovn-controller', '--version']), OVS: await first(['ovs-vswitchd', '--version']) };
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.docsOnly) {
    const root = packageRoot();
    const summary = JSON.parse(await fs.readFile(path.join(root, 'bench', 'results', 'ovn.json'), 'utf8')) as Summary;
    await writeDocsSection(path.join(root, 'docs', 'BENCHMARKS.md'), 'ovn', markdown(summary));
    return;
  }
  if (process.getuid?.() !== 0) throw new Error('the OVN benchmark creates namespaces and daemons: run it as root');
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  for (const tool of ['ovn-nbctl', 'ovn-northd', 'ovs-vswitchd', 'ovn-controller', 'ovsdb-client', 'ethtool']) {
    if (!dirs.some((d) => d !== '' && existsSync(path.join(d, tool)))) throw new Error(`${tool} is missing: install Debian's ovn-central ovn-host openvswitch-switch ethtool (.ci/apt-packages.txt)`);
  }
  const state = { stop: false, cleanups: new Set<() => Promise<void>>() };
  const onSignal = (): void => {
    if (state.stop) return;
    state.stop = true;
    log('interrupted: stopping and removing what the benchmark started');
    void Promise.all([...state.cleanups].map((f) => f().catch(() => undefined))).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const summary: Summary = { date: new Date().toISOString(), machine: `${cpus().length} CPU (${cpus()[0]?.model ?? 'unknown'})`, versions: await versions(), runs: [] };
  const root = packageRoot();
  const file = path.join(root, 'bench', 'results', 'ovn.json');
  const earlier = await fs
    .readFile(file, 'utf8')
    .then((t) => (JSON.parse(t) as Summary).runs ?? [])
    .catch(() => [] as RunResult[]);
  const fresh: RunResult[] = [];
  for (const c of a.chassis) {
    fresh.push(await run(c, a, state));
    summary.runs = mergeRuns(earlier, fresh);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, JSON.stringify(summary, null, 2) + '\n');
    if (state.stop) return;
  }
  if (a.docs) {
    const docs = path.join(root, 'docs', 'BENCHMARKS.md');
    await writeDocsSection(docs, 'ovn', markdown(summary));
  }
  process.stdout.write(JSON.stringify(summary) + '\n');
  if (fresh.some((r) => r.error)) process.exitCode = 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:ovn: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
