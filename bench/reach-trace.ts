/**
 * Trace of the dataplane benchmark's time-to-reachable pass (`npm run bench:reach-trace`, as
 * root; MERAK_BENCH_SIZES=500 by default): one node, one `createBatch` of N VMs with Merak's
 * probing on every endpoint, exactly as bench/dataplane.ts makes it, with every probe's ping run
 * logged (start and end from the batch's request, exit code, ping's own summary and errors) and
 * the kernel's IPv4 neighbour-table statistics (/proc/net/stat/arp_cache: entries, table_fulls)
 * sampled every 100 ms. For finding out why an endpoint took long or was never reached: prints
 * the summaries, writes them to bench/results/reach-trace.json and every ping run and sample to
 * <tmpdir>/merak-reach-trace-<N>.json. With the socket helper probing (no ping process), the
 * ping runs are only those of the fallback, and the queue figures come from the histogram alone.
 */
import { promises as fs, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import * as path from 'node:path';
import { createAgentActivities } from '../src/activities/agent/activities';
import { spawnRunner, type CommandRunner } from '../src/dataplane/command';
import { cleanScenario } from '../src/dataplane/clean';
import { FileOwnerRecords } from '../src/dataplane/owner-records';
import { createPluginRegistry } from '../src/endpoint-plugins/registry';
import { packageRoot } from '../src/install/paths';
import { summarizeHistogram } from '../src/model/metrics';
import { REACHABILITY_DEFAULT_TIMEOUT_MS } from '../src/model/sla';

const SIZES = (process.env.MERAK_BENCH_SIZES ?? '500').split(',').map(Number);

/** One ping run of a probe. */
interface PingRun {
  from: string;
  ip: string;
  /** ms from the batch's request */
  start: number;
  end: number;
  code: number | null;
  out: string;
}

/** arp_cache statistics: the first row's entries (the table's, not per CPU) and the per-CPU counters summed. */
function arpStats(): { entries: number; tableFulls: number; forcedGc: number; resFailed: number } {
  const lines = readFileSync('/proc/net/stat/arp_cache', 'utf8').trim().split('\n');
  const head = lines[0]!.trim().split(/\s+/);
  const rows = lines.slice(1).map((l) => l.trim().split(/\s+/).map((h) => parseInt(h, 16)));
  const col = (name: string) => head.indexOf(name);
  const sum = (name: string) => rows.reduce((s, r) => s + r[col(name)]!, 0);
  return { entries: rows[0]![col('entries')]!, tableFulls: sum('table_fulls'), forcedGc: sum('forced_gc_runs'), resFailed: sum('res_failed') };
}

function sysctl(name: string): number {
  return Number(readFileSync(path.join('/proc/sys', ...name.split('.')), 'utf8').trim());
}

async function trace(n: number, stateDir: string): Promise<unknown> {
  const scenario = `trace-${process.pid}-${n}`;
  const records = new FileOwnerRecords(stateDir);
  const runs: PingRun[] = [];
  let t0 = 0;
  const runner: CommandRunner = {
    async run(argv, opts) {
      const isPing = argv[0] === 'ip' && argv[1] === 'netns' && argv[4] === 'ping';
      const start = performance.now() - t0;
      const r = await spawnRunner.run(argv, opts);
      if (isPing) {
        const out = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l && !l.startsWith('PING') && !l.startsWith('---')).join(' | ');
        runs.push({ from: argv[3]!, ip: argv[argv.length - 1]!, start: Math.round(start), end: Math.round(performance.now() - t0), code: r.code, out });
      }
      return r;
    },
  };
  const agent = createAgentActivities({ mode: 'local', runner, records, plugins: createPluginRegistry({ runner, dirs: [] }) });
  const samples: Array<{ t: number; entries: number; tableFulls: number }> = [];
  try {
    await agent.ensureNode({ scenario, node: 'node-0', nodeSlot: 0 });
    const limits = { gc_thresh1: sysctl('net.ipv4.neigh.default.gc_thresh1'), gc_thresh2: sysctl('net.ipv4.neigh.default.gc_thresh2'), gc_thresh3: sysctl('net.ipv4.neigh.default.gc_thresh3') };
    const a0 = arpStats();
    const load0 = loadavg().map((l) => +l.toFixed(2));
    t0 = performance.now();
    const timer = setInterval(() => {
      const s = arpStats();
      samples.push({ t: Math.round(performance.now() - t0), entries: s.entries, tableFulls: s.tableFulls - a0.tableFulls });
    }, 100);
    const r = await agent.createBatch({
      scenario,
      node: 'node-0',
      nodeSlot: 0,
      from: 0,
      count: n,
      endpointsPerVm: 1,
      segments: [{ vmFrom: 0, vmCount: n, endpoint: 0, subnet: { id: 's', vpc: 'v', cidr: '10.200.0.0/16', gateway: '10.200.0.1', vni: 4242 }, ipIndexFrom: 0 }],
      reachability: { every: 1, offset: 0, timeoutMs: REACHABILITY_DEFAULT_TIMEOUT_MS },
    });
    clearInterval(timer);
    const a1 = arpStats();
    const m = r.metrics?.reachability;
    const h = summarizeHistogram(m?.histogram ?? '');
    // Per target: its runs in order; the first run's start is when the probe left the queue.
    const byIp = new Map<string, PingRun[]>();
    for (const run of runs) byIp.set(run.ip, [...(byIp.get(run.ip) ?? []), run]);
    const probes = [...byIp.entries()].map(([ip, rs]) => ({ ip, from: rs[0]!.from, queuedUntil: rs[0]!.start, runs: rs.length, reachedAt: rs.find((x) => x.code === 0)?.end, last: rs[rs.length - 1]!.out }));
    const failed = runs.filter((x) => x.code !== 0);
    const outcomes = new Map<string, number>();
    for (const f of failed) {
      const key = f.out.replace(/\d+(\.\d+)?/g, '#').slice(0, 160);
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    const never = probes.filter((p) => p.reachedAt === undefined);
    const summary = {
      vms: n,
      limits,
      load: [load0, loadavg().map((l) => +l.toFixed(2))],
      buildMs: Math.round(r.ms ?? 0),
      endpointsMs: r.endpoints.ms,
      ttr: { probed: m?.probed, reached: m?.reachable, p50: h.p50, p95: h.p95, max: h.max },
      pingRuns: runs.length,
      failedRuns: failed.length,
      failedRunOutputs: Object.fromEntries([...outcomes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8)),
      arp: { entriesBefore: a0.entries, entriesAfter: a1.entries, maxEntries: Math.max(0, ...samples.map((s) => s.entries)), tableFulls: a1.tableFulls - a0.tableFulls, forcedGcRuns: a1.forcedGc - a0.forcedGc, resFailed: a1.resFailed - a0.resFailed },
      queueWaitMs: summarizeSorted(probes.map((p) => p.queuedUntil)),
      firstReplyAfterQueueMs: summarizeSorted(probes.flatMap((p) => (p.reachedAt === undefined ? [] : [p.reachedAt - p.queuedUntil]))),
      never: never.map((p) => `${p.ip} from ${p.from.replace(/^.*_/, 'vm')}: left queue ${p.queuedUntil} ms, ${p.runs} runs, last: ${p.last}`),
    };
    const full = path.join(tmpdir(), `merak-reach-trace-${n}.json`);
    await fs.writeFile(full, JSON.stringify({ summary, runs, samples }, null, 1) + '\n');
    process.stderr.write(`reach-trace: every ping run and neighbour-table sample in ${full}\n`);
    await agent.deleteVms({ scenario, node: 'node-0', from: 0, count: n });
    return summary;
  } finally {
    await cleanScenario({ runner: spawnRunner, records }, scenario);
  }
}

function summarizeSorted(xs: number[]): { n: number; p50: number; p95: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { n: s.length, p50: at(0.5), p95: at(0.95), max: s[s.length - 1] ?? 0 };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the trace creates namespaces: run it as root');
  const stateDir = mkdtempSync(path.join(tmpdir(), 'merak-trace-'));
  try {
    const sizes: unknown[] = [];
    for (const n of SIZES) {
      sizes.push(await trace(n, stateDir));
      process.stdout.write(JSON.stringify(sizes[sizes.length - 1], null, 1) + '\n');
    }
    const file = path.join(packageRoot(), 'bench', 'results', 'reach-trace.json');
    await fs.writeFile(file, JSON.stringify({ date: new Date().toISOString(), sizes }, null, 1) + '\n');
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:reach-trace: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exitCode = 1;
});
