/**
 * Dataplane benchmark (`npm run bench:dataplane`, as root): on one local node, create 100, 500,
 * 1000 and 10,000 VMs with one endpoint each (reference plugin), then delete them; report ms per
 * VM (wall and CPU), the wall time of each kind of kernel step, kernel and agent memory, and the
 * same run's baseline (one `ip` process per step, interfaces moved between namespaces). Writes
 * bench/results/dataplane.json and the dataplane section of docs/BENCHMARKS.md; prints the
 * summary as JSON on its last line.
 *
 * Knobs: MERAK_BENCH_SIZES (comma-separated VM counts, default 100,500,1000,10000, each 1 to
 * 20000), MERAK_BENCH_BASELINE_VMS (100), MERAK_BENCH_REACHABILITY=0 (no time-to-reachable pass),
 * MERAK_BENCH_REACHABILITY_MAX_VMS (1000: sizes above it get no reachability pass, which would
 * build the size a second time).
 */
import { writeDocsSection } from './docs-section';
import { promises as fs, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { createAgentActivities } from '../src/activities/agent/activities';
import { spawnRunner, runChecked, type CommandRunner } from '../src/dataplane/command';
import { cleanScenario } from '../src/dataplane/clean';
import { runBatch } from '../src/dataplane/ip-batch';
import { FileOwnerRecords } from '../src/dataplane/owner-records';
import { listLinks } from '../src/dataplane/netns';
import { nodeNetns } from '../src/dataplane/names';
import { createPluginRegistry } from '../src/endpoint-plugins/registry';
import { packageRoot } from '../src/install/paths';
import { summarizeHistogram } from '../src/model/metrics';
import { REACHABILITY_DEFAULT_TIMEOUT_MS } from '../src/model/sla';
import { baselineCreate, baselineDelete, type BaselineVm } from './dataplane-baseline';

/** Largest size one run may build: 20,000 namespaces are ~6 GB of kernel memory (~300 KB of slab each, measured). */
const MAX_SIZE = 20_000;

/**
 * VM counts from a comma-separated list (MERAK_BENCH_SIZES).
 * @throws Error naming the variable and the value when an item is not an integer from 1 to 20000.
 */
function parseSizes(text: string): number[] {
  return text.split(',').map((item) => {
    const n = Number(item.trim());
    if (!Number.isInteger(n) || n < 1 || n > MAX_SIZE) throw new Error(`MERAK_BENCH_SIZES: ${JSON.stringify(item)} in ${JSON.stringify(text)} must be an integer from 1 to ${MAX_SIZE}`);
    return n;
  });
}

const SIZES = parseSizes(process.env.MERAK_BENCH_SIZES ?? '100,500,1000,10000');
const BASELINE_VMS = Number(process.env.MERAK_BENCH_BASELINE_VMS ?? 100);
/** Time-to-reachable pass after each size, MERAK_BENCH_REACHABILITY=0 to skip it. */
const REACHABILITY = process.env.MERAK_BENCH_REACHABILITY !== '0';
/** Sizes above this get no reachability pass (it builds the size again). */
const REACHABILITY_MAX_VMS = Number(process.env.MERAK_BENCH_REACHABILITY_MAX_VMS ?? 1000);
/** How long each probe waits for its first reply (the scenario default, model/sla.ts). */
const REACH_TIMEOUT_MS = REACHABILITY_DEFAULT_TIMEOUT_MS;
const repoRoot = packageRoot();

function meminfo(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync('/proc/meminfo', 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) out[m[1]] = Number(m[2]) * 1024;
  }
  return out;
}

/** CPU milliseconds used by this process and its waited-for children (ip, the helper) so far. */
function cpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  // After the command name: field 14/15 are cutime/cstime in clock ticks (100 Hz on Linux).
  const children = (Number(fields[13]) + Number(fields[14])) * 10;
  const own = process.cpuUsage();
  return children + (own.user + own.system) / 1000;
}

/** What a kernel command does, from its argv and first input line (for the step table). */
function stepOf(argv: readonly string[], input: string | undefined): string {
  const first = (input ?? '').slice(0, 200).split('\n')[0];
  if (argv.some((a) => a.endsWith('nsconfig.py'))) return /"ifname": ?"lo"\}\]\}/.test(first) ? (first.includes('"create":true') ? 'helper: netns add + loopback up' : 'helper: loopback up') : 'helper: VM side (addrgen, up, address, route)';
  if (argv.includes('-batch')) {
    if (first.startsWith('netns ')) return input?.includes('netns add') ? 'ip: netns add' : 'ip: netns del';
    if (/^link add \S+ netns /.test(first)) return 'ip: veth add (both ends in place)';
    if (input?.includes(' master ')) return 'ip: node side (bridges, ports up)';
    if (argv[0] === 'bridge') return 'bridge: fdb';
    return `ip -batch: ${first.split(' ').slice(0, 2).join(' ')}`;
  }
  // The node's namespace name carries a tag that differs from size to size.
  return argv.slice(0, 4).map((a, i) => (argv[i - 1] === '-n' ? 'NODE' : a)).join(' ');
}

/** Wall time and calls per kind of step, summed over a build (steps of consecutive chunks overlap). */
type StepTimes = Record<string, { calls: number; ms: number }>;

/** spawnRunner, timing each command by stepOf into `into.current` when set. */
function timedRunner(into: { current?: StepTimes }): CommandRunner {
  return {
    async run(argv, options) {
      const sink = into.current;
      if (!sink) return spawnRunner.run(argv, options);
      const t = performance.now();
      try {
        return await spawnRunner.run(argv, options);
      } finally {
        const k = stepOf(argv, options?.input);
        const e = (sink[k] ??= { calls: 0, ms: 0 });
        e.calls++;
        e.ms += performance.now() - t;
      }
    },
  };
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function agentMem(): { heap: number; rss: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
}

interface SizeResult {
  vms: number;
  createMs: number;
  createMsPerVm: number;
  /** CPU time (agent + its child processes) per VM for create: the part that does not depend on how busy the machine is. */
  createCpuMsPerVm: number;
  deleteMs: number;
  deleteMsPerVm: number;
  kernelSlabBytesPerVm: number;
  kernelUsedBytesPerVm: number;
  agentHeapBytesPerVm: number;
  agentRssBytesPerVm: number;
  /**
   * Time to reachable of every endpoint (ms from the batch's create request to the first echo
   * reply from its peer), from a second build of the same size through createBatch with Merak's
   * probing on (src/activities/agent/measure.ts), so the timed build above carries no probes.
   */
  /** Wall ms and calls of each kind of kernel command during create (chunks overlap: the sum exceeds createMs). */
  createSteps: StepTimes;
  /** 1-minute load average before and after the timed create. */
  createLoad: [number, number];
  reachability?: { probed: number; reached: number; p50: number; p95: number; max: number; never: string[]; buildMs: number; /** 1-minute load average before and after this pass. */ load: [number, number] };
}

async function measureSize(n: number, stateDir: string): Promise<SizeResult> {
  const scenario = `bench-${process.pid}-${n}`;
  const records = new FileOwnerRecords(stateDir);
  const steps: { current?: StepTimes } = {};
  const runner = timedRunner(steps);
  const agent = createAgentActivities({ mode: 'local', runner, records, plugins: createPluginRegistry({ runner, dirs: [] }) });
  try {
    await agent.ensureNode({ scenario, node: 'node-0', nodeSlot: 0 });
    // Warm-up over the same code paths: first-use costs (module loading, schema compilation, the
    // helper's interpreter lookup) are paid once per agent process, not per VM.
    const warm = { scenario, node: 'node-0', from: 1_000_000, count: 5 };
    const warmEndpoints = (from: number, count: number) => ({
      scenario,
      node: 'node-0',
      nodeSlot: 0,
      from,
      count,
      endpointsPerVm: 1,
      segments: [{ vmFrom: from, vmCount: count, endpoint: 0, subnet: { id: 's', vpc: 'v', cidr: '10.200.0.0/16', gateway: '10.200.0.1', vni: 4242 }, ipIndexFrom: from === 0 ? 0 : 60_000 }],
    });
    await agent.createVms(warm);
    await agent.createEndpoints(warmEndpoints(warm.from, warm.count));
    await agent.deleteVms(warm);
    const k0 = meminfo();
    const a0 = agentMem();
    const c0 = cpuMs();
    const createSteps: StepTimes = {};
    steps.current = createSteps;
    const l0 = +loadavg()[0].toFixed(2);
    const t0 = performance.now();
    await agent.createVms({ scenario, node: 'node-0', from: 0, count: n });
    await agent.createEndpoints(warmEndpoints(0, n));
    const createMs = performance.now() - t0;
    const createCpu = cpuMs() - c0;
    steps.current = undefined;
    const createLoad: [number, number] = [l0, +loadavg()[0].toFixed(2)];
    for (const v of Object.values(createSteps)) v.ms = Math.round(v.ms);
    const k1 = meminfo();
    const a1 = agentMem();
    const t1 = performance.now();
    // deleteVms returns once the kernel has torn the namespaces down (their veths are gone).
    await agent.deleteVms({ scenario, node: 'node-0', from: 0, count: n });
    const deleteMs = performance.now() - t1;
    let reachability: SizeResult['reachability'];
    if (REACHABILITY && n <= REACHABILITY_MAX_VMS) {
      const l2 = +loadavg()[0].toFixed(2);
      const t2 = performance.now();
      const r = await agent.createBatch({ ...warmEndpoints(0, n), reachability: { every: 1, offset: 0, timeoutMs: REACH_TIMEOUT_MS } });
      const buildMs = Math.round(performance.now() - t2);
      const m = r.metrics?.reachability;
      const t = summarizeHistogram(m?.histogram ?? '');
      reachability = { probed: m?.probed ?? 0, reached: m?.reachable ?? 0, p50: t.p50, p95: t.p95, max: t.max, never: m?.unreachable.slice(0, 10) ?? [], buildMs, load: [l2, +loadavg()[0].toFixed(2)] };
      await agent.deleteVms({ scenario, node: 'node-0', from: 0, count: n });
    }
    return {
      vms: n,
      createMs: Math.round(createMs),
      createMsPerVm: +(createMs / n).toFixed(3),
      createCpuMsPerVm: +(createCpu / n).toFixed(3),
      deleteMs: Math.round(deleteMs),
      deleteMsPerVm: +(deleteMs / n).toFixed(3),
      kernelSlabBytesPerVm: Math.round((k1.Slab - k0.Slab) / n),
      kernelUsedBytesPerVm: Math.round((k0.MemAvailable - k1.MemAvailable) / n),
      agentHeapBytesPerVm: Math.round((a1.heap - a0.heap) / n),
      agentRssBytesPerVm: Math.round((a1.rss - a0.rss) / n),
      createSteps,
      createLoad,
      ...(reachability ? { reachability } : {}),
    };
  } finally {
    await cleanScenario({ runner: spawnRunner, records }, scenario);
  }
}

async function measureBaseline(n: number, stateDir: string): Promise<Summary['baseline']> {
  const scenario = `bench-${process.pid}-base`;
  const records = new FileOwnerRecords(stateDir);
  const agent = createAgentActivities({ mode: 'local', runner: spawnRunner, records, plugins: createPluginRegistry({ runner: spawnRunner, dirs: [] }) });
  const { tag } = await agent.ensureNode({ scenario, node: 'node-0', nodeSlot: 0 });
  const node = nodeNetns(tag, 'node-0');
  const bridge = `m${tag}base`;
  const vms: BaselineVm[] = Array.from({ length: n }, (_, i) => ({
    vm: `mk-${tag}-node-0_${i}`,
    host: `m${tag}h${i}`,
    tmp: `m${tag}t${i}`,
    ip: `10.201.${i >> 8}.${(i & 255) + 2}/16`,
    gateway: '10.201.0.1',
    mac: `02:bb:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
    bridge,
  }));
  try {
    await runBatch(spawnRunner, [`link add ${bridge} type bridge`, `link set ${bridge} up`], { netns: node });
    // Recorded like every other namespace, so a crash here is cleaned by `merak clean`.
    await records.intend(scenario, 'node-0', vms.map((v) => ({ kind: 'netns', name: v.vm })));
    const c0 = cpuMs();
    const t0 = performance.now();
    await baselineCreate(spawnRunner, node, vms);
    const createMs = performance.now() - t0;
    const createCpu = cpuMs() - c0;
    const t1 = performance.now();
    await baselineDelete(spawnRunner, vms);
    // Same end condition as ours: the node ends of the veths are gone.
    const deadline = Date.now() + 30_000;
    while ((await listLinks(spawnRunner, node)).some((l) => l.ifname.startsWith(`m${tag}h`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const deleteMs = performance.now() - t1;
    return { vms: n, createMsPerVm: +(createMs / n).toFixed(2), createCpuMsPerVm: +(createCpu / n).toFixed(2), deleteMsPerVm: +(deleteMs / n).toFixed(2) };
  } finally {
    await cleanScenario({ runner: spawnRunner, records }, scenario);
  }
}

function reachCell(r: SizeResult['reachability']): string {
  if (!r) return '-';
  return `${r.p50} / ${r.p95} / ${r.max} (${r.reached}/${r.probed}${r.never.length ? `; never: ${r.never.join(', ')}` : ''}; build ${r.buildMs} ms; load ${r.load[0]} → ${r.load[1]})`;
}

function stepTable(sizes: readonly SizeResult[]): string {
  const kinds = [...new Set(sizes.flatMap((s) => Object.keys(s.createSteps)))].sort();
  const head = `| step | ${sizes.map((s) => `${s.vms} VMs`).join(' | ')} |`;
  const rule = `| --- | ${sizes.map(() => '---:').join(' | ')} |`;
  const rows = kinds.map((k) => `| ${k} | ${sizes.map((s) => (s.createSteps[k] ? `${(s.createSteps[k].ms / s.vms).toFixed(3)} (${s.createSteps[k].calls})` : '-')).join(' | ')} |`);
  return [head, rule, ...rows].join('\n');
}

function markdown(summary: Summary): string {
  const rows = summary.sizes
    .map(
      (s) =>
        `| ${s.vms} | ${s.createMsPerVm} | ${s.createCpuMsPerVm} | ${s.createMs} | ${s.createLoad[0]} → ${s.createLoad[1]} | ${s.deleteMsPerVm} | ${s.deleteMs} | ${s.kernelSlabBytesPerVm} | ${s.kernelUsedBytesPerVm} | ${s.agentHeapBytesPerVm} | ${s.agentRssBytesPerVm} | ${reachCell(s.reachability)} |`,
    )
    .join('\n');
  return [
    '<!-- dataplane:start -->',
    '## Dataplane (node agent, local mode)',
    '',
    `Measured by \`npm run bench:dataplane\` on ${summary.machine}, ${summary.date}; 1-minute load average ${summary.load[0]} before, ${summary.load[1]} after. One node, reference plugin,`,
    'one endpoint per VM (namespace with loopback up + veth with requested name, MAC, address, default route, node end on the VNI bridge).',
    'Delete = `deleteVms`, which returns once the kernel has torn the namespaces down (their veths are gone).',
    '"create CPU" is the CPU time of the agent and its child processes (ip, the namespace helper), which depends less on how busy the machine is than wall-clock time; kernel work done in kernel threads is not in it.',
    '"kernel used" is the change of MemAvailable and moves with everything else on the machine; Slab is the steadier kernel figure.',
    '',
    '"time to reachable" comes from a second build of each size through `createBatch` with Merak\'s probing on every endpoint (src/activities/agent/measure.ts: from the batch\'s create request to the first echo reply from the nearest other VM of its VPC, a request every 50 ms from one socket helper process per batch, at most 128 probes at once), so the timed build carries no probes: ms p50 / p95 / max (reached/probed); "build ms" is that build\'s create request to the last probe\'s end. The local cloud raises the IPv4 neighbour table\'s limits (gc_thresh1..3) while it exists (docs/dataplane.md): each probe adds an entry in two VMs. The eBPF collector\'s cost on such a node is in the collector section (`npm run bench:collector`).',
    '',
    '| VMs | create ms/VM | create CPU ms/VM | create total ms | load during create | delete ms/VM | delete total ms | kernel Slab B/VM | kernel used B/VM | agent heap B/VM | agent RSS B/VM | time to reachable ms |',
    '| ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    rows,
    '',
    'Wall ms per VM of each kind of kernel command during create, summed over its calls (calls in parentheses). A chunk of 250 VMs goes through the steps in order, and the next chunk\'s namespaces or veths are made while the helper and the plugin finish the previous one, so the steps add up to more than the create time.',
    '',
    stepTable(summary.sizes),
    '',
    `Baseline in the same run (${summary.baseline.vms} VMs, one \`ip\` process per step, veth created on the node then moved into the VM, the original Go agent's pattern): ` +
      `**${summary.baseline.createMsPerVm} ms/VM** create (${summary.baseline.createCpuMsPerVm} CPU ms/VM), ${summary.baseline.deleteMsPerVm} ms/VM delete. ` +
      `Ratio baseline / Merak at ${summary.baseline.vms} VMs: **${summary.ratioCreate}x** create, ${summary.ratioDelete}x delete.`,
    '',
    `Targets: create ≤ 1.5 ms/VM at every size, largest / smallest ≤ 1.2x (issue 15) — ${summary.targets.create}; delete 1000 VMs ≤ 2 s — ${summary.targets.delete}; heap ≤ 1 KB/VM — ${summary.targets.heap}.`,
    'How it is done and why: docs/dataplane.md. Raw numbers: bench/results/dataplane.json.',
    '<!-- dataplane:end -->',
  ].join('\n');
}

interface Summary {
  date: string;
  machine: string;
  sizes: SizeResult[];
  baseline: { vms: number; createMsPerVm: number; createCpuMsPerVm: number; deleteMsPerVm: number };
  /** 1-minute load average before and after the run: other work on the machine inflates wall-clock times. */
  load: [number, number];
  ratioCreate: number;
  ratioDelete: number;
  targets: { create: string; delete: string; heap: string };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the dataplane benchmark creates namespaces: run it as root');
  await runChecked(spawnRunner, ['ip', '-V']);
  const stateDir = mkdtempSync(path.join(tmpdir(), 'merak-bench-'));
  const load0 = loadavg()[0];
  try {
    const sizes: SizeResult[] = [];
    for (const n of SIZES) {
      const r = await measureSize(n, stateDir);
      process.stderr.write(`dataplane: ${n} VMs: create ${r.createMsPerVm} ms/VM, delete ${r.deleteMs} ms total\n`);
      sizes.push(r);
    }
    const baseline = await measureBaseline(BASELINE_VMS, stateDir);
    process.stderr.write(`dataplane: baseline ${baseline.vms} VMs: create ${baseline.createMsPerVm} ms/VM\n`);
    const ref = sizes.find((s) => s.vms === BASELINE_VMS) ?? sizes[0];
    const at1000 = sizes.find((s) => s.vms === 1000);
    const maxCreate = Math.max(...sizes.map((s) => s.createMsPerVm));
    const minCreate = Math.min(...sizes.map((s) => s.createMsPerVm));
    const summary: Summary = {
      date: new Date().toISOString(),
      machine: `${cpus().length} CPU (${cpus()[0]?.model ?? 'unknown'})`,
      sizes,
      baseline,
      load: [+load0.toFixed(2), +loadavg()[0].toFixed(2)],
      ratioCreate: +(baseline.createMsPerVm / ref.createMsPerVm).toFixed(1),
      ratioDelete: +(baseline.deleteMsPerVm / ref.deleteMsPerVm).toFixed(1),
      targets: {
        create: maxCreate <= 1.5 && maxCreate / minCreate <= 1.2 ? `met (max ${maxCreate}, spread ${(maxCreate / minCreate).toFixed(2)}x)` : `missed (max ${maxCreate} ms/VM, spread ${(maxCreate / minCreate).toFixed(2)}x)`,
        delete: at1000 ? (at1000.deleteMs <= 2000 ? `met (${at1000.deleteMs} ms)` : `missed (${at1000.deleteMs} ms)`) : 'not measured at 1000',
        // Per size, so a fixed first-use cost spread over few VMs is visible as such.
        heap: `${Math.max(...sizes.map((s) => s.agentHeapBytesPerVm)) <= 1024 ? 'met' : 'missed'} (${sizes.map((s) => `${s.agentHeapBytesPerVm} B/VM at ${s.vms}`).join(', ')})`,
      },
    };
    await fs.mkdir(path.join(repoRoot, 'bench', 'results'), { recursive: true });
    await fs.writeFile(path.join(repoRoot, 'bench', 'results', 'dataplane.json'), JSON.stringify(summary, null, 2) + '\n');
    const docs = path.join(repoRoot, 'docs', 'BENCHMARKS.md');
    await writeDocsSection(docs, 'dataplane', markdown(summary));
    process.stdout.write(JSON.stringify(summary) + '\n');
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:dataplane: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exitCode = 1;
});
