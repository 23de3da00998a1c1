/**
 * The scenario benchmark's knobs, all read from the environment once, with their defaults.
 * `npm run bench:scenario` with none set runs the full benchmark (docs/BENCHMARKS.md).
 */
import * as path from 'node:path';

const env = process.env;

export type ServerKind = 'wal' | 'memory';

/** "10x1000,2x500" -> [[10,1000],[2,500]] */
export function sizes(text: string): Array<[number, number]> {
  return text
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => {
      const [n, v] = s.split('x').map(Number);
      if (!Number.isInteger(n) || !Number.isInteger(v) || n! < 1 || v! < 1) throw new Error(`size ${JSON.stringify(s)}: must be NODESxVMS, e.g. 10x1000`);
      return [n!, v!];
    });
}

/** Reference cases, MERAK_BENCH_REF_SIZES: NODESxVMS,... */
export const REF_SIZES = sizes(env.MERAK_BENCH_REF_SIZES ?? '2x500,10x200,10x1000');
/**
 * `none` cases, MERAK_BENCH_NONE, as NODESxVMS@SERVER/AGENTS: dev server wal|memory; AGENTS is
 * `pool` (the spec's agentPool: one pooled Worker on merak-agent-pool) or a number (one Worker
 * per node with that many activity polls).
 */
export const NONE_CASES = (env.MERAK_BENCH_NONE ?? '100x1000@wal/pool,100x1000@wal/1,1000x1000@wal/pool,1000x1000@memory/pool,10000x100@wal/pool').split(',').map((c) => {
  const [size, variant] = c.split('@');
  const [server, polls] = (variant ?? 'wal/1').split('/');
  if (server !== 'wal' && server !== 'memory') throw new Error(`none case ${c}: server must be wal or memory`);
  const [[n, v]] = sizes(size!) as [[number, number]];
  if (polls !== 'pool' && !(Number(polls) >= 1)) throw new Error(`none case ${c}: agents must be pool or a poll count`);
  return { nodes: n, vmsPerNode: v, server: server as ServerKind, polls: polls === 'pool' ? ('pool' as const) : Number(polls) };
});
/** VMs of the overhead case, MERAK_BENCH_OVERHEAD_VMS. */
export const OVERHEAD_VMS = Number(env.MERAK_BENCH_OVERHEAD_VMS ?? 1000);
/**
 * Workflow/direct pairs of the overhead case, MERAK_BENCH_OVERHEAD_ROUNDS. Single pairs ranged
 * from −12 % to +44 % on the shared 2-core machine; the figure is the median over the pairs.
 */
export const OVERHEAD_ROUNDS = Number(env.MERAK_BENCH_OVERHEAD_ROUNDS ?? 9);
/**
 * How often the overhead case polls the status query while a build runs, ms
 * (MERAK_BENCH_OVERHEAD_POLL_MS): its time comes from the history, so the polling only has to
 * notice `ready`, and each query is load the direct calls do not have. @default 1000
 */
export const OVERHEAD_POLL_MS = Number(env.MERAK_BENCH_OVERHEAD_POLL_MS ?? 1000);
/** Which case groups run, MERAK_BENCH_CASES: overhead, reference, none (comma-separated). */
export const CASES = new Set((env.MERAK_BENCH_CASES ?? 'overhead,reference,none').split(','));
/** How long a scenario may take to be ready, MERAK_BENCH_READY_TIMEOUT_MS. */
export const READY_TIMEOUT_MS = Number(env.MERAK_BENCH_READY_TIMEOUT_MS ?? 600_000);
/** VMs per agent activity (the spec's batchSize) for reference cases, MERAK_BENCH_BATCH. */
export const BATCH = Number(env.MERAK_BENCH_BATCH ?? 500);
/** The same for `none` cases, MERAK_BENCH_NONE_BATCH. */
export const NONE_BATCH = Number(env.MERAK_BENCH_NONE_BATCH ?? 1000);
/** Kernel batches at once per agent, MERAK_BENCH_KERNEL_CONCURRENCY. Default: createAgentWorkers' own. */
export const KERNEL_CONCURRENCY = env.MERAK_BENCH_KERNEL_CONCURRENCY ? Number(env.MERAK_BENCH_KERNEL_CONCURRENCY) : undefined;
/** Log the overhead case's workflow events with their times, MERAK_BENCH_TIMELINE=1. */
export const TIMELINE = env.MERAK_BENCH_TIMELINE === '1';
/**
 * The nodes' eBPF collectors in reference cases, MERAK_BENCH_COLLECTOR: off (default, as the
 * earlier runs), on (every node gets one; a node whose collector cannot start fails). With them
 * on, each case reports their CPU time (/proc/<pid>/stat) from start to ready.
 */
export const COLLECTOR: 'on' | 'off' = env.MERAK_BENCH_COLLECTOR === 'on' ? 'on' : 'off';
/** Agent activity executions per node Worker (createAgentWorkers' default is 4). */
export const AGENT_EXEC = 4;
export const COMPUTE_WF_EXEC = 64;
export const COMPUTE_ACT_EXEC = 64;

/**
 * The dev server limits long polls per namespace (frontend.namespaceCount, 1200 by default): a
 * thousand node Workers with one poll each plus the compute worker go past it and every poll
 * after that is refused ("namespace concurrent poller limit exceeded"), so it is raised.
 */
const DYNAMIC_CONFIG = [
  '--dynamic-config-value',
  'frontend.namespaceCount=20000',
  // Experiments, MERAK_BENCH_DYNAMIC_CONFIG: more dev-server settings, space-separated (e.g. matching.numTaskqueueReadPartitions=1).
  ...(env.MERAK_BENCH_DYNAMIC_CONFIG ?? '').split(' ').filter((v) => v !== '').flatMap((v) => ['--dynamic-config-value', v]),
];
/** Where to save each case's scenario build-run history as JSON for replay and profiling (MERAK_BENCH_SAVE_HISTORY_DIR); nowhere when unset. */
export const SAVE_HISTORY_DIR = env.MERAK_BENCH_SAVE_HISTORY_DIR;
/** Experiments write elsewhere (MERAK_BENCH_RESULTS_FILE) and leave docs/BENCHMARKS.md alone. @default bench/results/scenario.json */
export const RESULTS_FILE = env.MERAK_BENCH_RESULTS_FILE;
/**
 * With MERAK_BENCH_RESULTS_FILE, also write the run's own section of docs/BENCHMARKS.md under this
 * marker name (MERAK_BENCH_DOCS_SECTION, letters, digits and dashes), beside the full run's: a run
 * of some cases keeps its numbers without replacing the others'. @default none
 */
export const DOCS_SECTION = env.MERAK_BENCH_DOCS_SECTION;
if (DOCS_SECTION !== undefined && (!/^[a-z0-9-]+$/.test(DOCS_SECTION) || DOCS_SECTION === 'scenario' || RESULTS_FILE === undefined)) {
  throw new Error(`MERAK_BENCH_DOCS_SECTION ${JSON.stringify(DOCS_SECTION)}: must be lower-case letters, digits and dashes, not "scenario", and needs MERAK_BENCH_RESULTS_FILE`);
}

/**
 * Pause before each timed build of the overhead case (MERAK_BENCH_SETTLE_MS): the kernel frees
 * deleted namespaces asynchronously for a while after their teardown returns, and whichever build
 * came next paid for it (the same direct calls took 2.9 to 4.0 s depending on what ran before them).
 */
export const SETTLE_MS = Number(env.MERAK_BENCH_SETTLE_MS ?? 5000);

/** Dev server arguments of each kind: a WAL SQLite file in `dir`, or the default in-memory SQLite. */
export function serverArgs(kind: ServerKind, dir: string): string[] {
  if (kind === 'memory') return [...DYNAMIC_CONFIG]; // no --db-filename: the dev server's default, SQLite in memory
  return ['--db-filename', path.join(dir, 'temporal.db'), '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL', ...DYNAMIC_CONFIG];
}
