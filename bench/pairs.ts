/**
 * Connectivity-test benchmark (`npm run bench:pairs`, as root): one scenario, reference
 * dataplane, N nodes x M VMs in one VPC, `tests: { kinds: [icmp], pairs: all, maxPairs: P }`,
 * through a real Temporal dev server, the compute worker, one agent Worker per node and the
 * reference plugin, all in this process (the same parts as bench:scenario, bench/scenario/server.ts).
 *
 * Measures the test phase alone (status `testing` to `ready`, polled every 200 ms): pairs per
 * second, checks lost (fewer results than the calls were given) and failed, the test calls (chunks) the workflow
 * made, the kernel's neighbour-table refusals during the run (/proc/net/stat/arp_cache
 * table_fulls), the times the workflow continued as new and the largest carry-over it sent
 * (the results ride in it, packed: issue 15), and the load average before and after (the machine
 * is shared: the number is only comparable with its load). Appends the row to bench/results/pairs.json and prints it as JSON.
 *
 * Knobs: MERAK_BENCH_PAIRS_NODES (default 2), MERAK_BENCH_PAIRS_VMS (400 per node),
 * MERAK_BENCH_PAIRS (20000: the case of issue 15).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import * as path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createTestingActivities } from '../src/activities/testing/activities';
import { parseNeighbourStat } from '../src/activities/testing/parse';
import { spawnRunner } from '../src/dataplane/command';
import { cleanAll } from '../src/dataplane/clean';
import { FileOwnerRecords } from '../src/dataplane/owner-records';
import { packageRoot } from '../src/install/paths';
import { COMPUTE_TASK_QUEUE, scenarioWorkflowId } from '../src/model/queues';
import type { ScenarioInput } from '../src/model/spec';
import type { ScenarioStatus } from '../src/model/status';
import { createAgentWorkers } from '../src/workers/agent';
import type { scenarioWorkflow } from '../src/workflows';
import { fetchResults } from '../src/cli/results-fetch';
import { statusQuery, teardownSignal } from '../src/workflows/messages';
import { bundleWorkflows } from '../test/helpers/temporal';
import { load } from './scenario-probe';
import { startServer, stopServer } from './scenario/server';

function knob(name: string, dflt: number, max: number): number {
  const raw = process.env[name];
  const v = raw === undefined ? dflt : Number(raw);
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`${name}: ${JSON.stringify(raw)} must be an integer from 1 to ${max}`);
  return v;
}

const NODES = knob('MERAK_BENCH_PAIRS_NODES', 2, 64);
const VMS = knob('MERAK_BENCH_PAIRS_VMS', 400, 4000);
const PAIRS = knob('MERAK_BENCH_PAIRS', 20_000, 100_000);
const RESULTS = path.join(packageRoot(), 'bench', 'results', 'pairs.json');

const tableFulls = (): number => parseNeighbourStat(readFileSync('/proc/net/stat/arp_cache', 'utf8'))?.tableFulls ?? 0;

async function waitPhase(h: WorkflowHandle<typeof scenarioWorkflow>, phase: ScenarioStatus['phase'], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await h.query(statusQuery);
    if (s.phase === phase) return;
    if (s.phase === 'failed') throw new Error(`scenario failed: ${s.error ?? ''}`);
    if (Date.now() > deadline) throw new Error(`phase ${phase} not reached in ${timeoutMs} ms (at ${s.phase})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the pairs benchmark creates namespaces: run it as root');
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const stateDir = mkdtempSync(path.join(tmpdir(), 'merak-bench-pairs-'));
  const server = await startServer('wal', await bundleWorkflows(require.resolve('../src/workflows')));
  const nodes = Array.from({ length: NODES }, (_, i) => `bp-${i}`);
  const agents = await createAgentWorkers({ connection: server.env.nativeConnection, nodes, stateDir, extraActivities: createTestingActivities({ stateDir }) });
  const agentsRun = Promise.all(agents.map((w) => w.run()));
  const name = 'bpairs';
  const input: ScenarioInput = {
    name,
    plugin: { address: server.plugin.address, deadlineMs: 10_000, retryWindowMs: 120_000 },
    dataplane: 'reference',
    vpcs: [{ id: `${name}-blue`, vni: 3900, cidr: '10.66.0.0/16', subnets: [{ id: `${name}-blue-1`, cidr: '10.66.0.0/16' }] }],
    nodes,
    vmsPerNode: VMS,
    underlay: { cidr: '100.97.0.0/24' },
    tests: { kinds: ['icmp'], pairs: 'all', maxPairs: PAIRS, negative: false, reachability: 'off' },
  };
  try {
    const h = await server.env.client.workflow.start<typeof scenarioWorkflow>('scenarioWorkflow', { taskQueue: COMPUTE_TASK_QUEUE, workflowId: scenarioWorkflowId(name), args: [input] });
    await waitPhase(h, 'testing', 60 * 60_000);
    const loadBefore = load();
    const fulls = tableFulls();
    const t0 = performance.now();
    await waitPhase(h, 'ready', 6 * 60 * 60_000);
    const seconds = (performance.now() - t0) / 1000;
    const { results } = await fetchResults(h);
    // The test calls may be in an earlier run: the history is large after them, so the workflow
    // continues as new, carrying the results (issue 15). Every run's events, first to last.
    type Events = NonNullable<Awaited<ReturnType<typeof h.fetchHistory>>['events']>;
    const events: Events = [];
    let carryBytes = 0;
    for (let runId: string | undefined = h.firstExecutionRunId, runs = 0; runId && runs < 100; runs++) {
      // Read in pages of 20 events: the chunks' inputs and results make one default page of this
      // history larger than gRPC's 4 MB receive limit (6.4 MB measured).
      const runEvents: Events = [];
      let token: Uint8Array | undefined;
      do {
        const page = await server.env.client.workflowService.getWorkflowExecutionHistory({
          namespace: server.env.client.options.namespace,
          execution: { workflowId: scenarioWorkflowId(name), runId },
          maximumPageSize: 20,
          ...(token ? { nextPageToken: token } : {}),
        });
        runEvents.push(...((page.history?.events ?? []) as Events));
        token = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
      } while (token);
      events.push(...runEvents);
      const next: Events[number]['workflowExecutionContinuedAsNewEventAttributes'] = runEvents.at(-1)?.workflowExecutionContinuedAsNewEventAttributes;
      if (next?.input?.payloads?.[0]?.data) carryBytes = Math.max(carryBytes, next.input.payloads[0].data.length);
      runId = next?.newExecutionRunId ?? undefined;
    }
    const calls = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runTests');
    // The checks the agents were given (the selection may hold fewer pairs than maxPairs): from the calls' own inputs.
    const checks = calls.reduce((n, e) => {
      const call = defaultPayloadConverter.fromPayload<{ kinds: string[]; pairs: unknown[] }>(e.activityTaskScheduledEventAttributes!.input!.payloads![0]!);
      return n + call.kinds.length * call.pairs.length;
    }, 0);
    const row = {
      date: new Date().toISOString(),
      machine: `${cpus().length} CPU (${cpus()[0]?.model ?? 'unknown'})`,
      case: `${NODES}x${VMS} icmp pairs all, maxPairs ${PAIRS}`,
      maxPairs: PAIRS,
      checksGiven: checks,
      results: results.length,
      lost: checks - results.length,
      failed: results.filter((r) => !r.pass).length,
      testCalls: calls.length,
      testSeconds: Math.round(seconds * 10) / 10,
      pairsPerSecond: Math.round((results.length / seconds) * 10) / 10,
      neighbourTableFulls: tableFulls() - fulls,
      // Times the workflow continued as new by the time the results were read, and the largest carry-over it sent (bytes).
      generation: (await h.query(statusQuery)).generation,
      carryOverBytes: carryBytes,
      loadBefore,
      loadAfter: load(),
    };
    await h.signal(teardownSignal);
    await h.result();
    const rows = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as unknown[]) : [];
    writeFileSync(RESULTS, `${JSON.stringify([...rows, row], null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  } finally {
    agents.forEach((w) => w.shutdown());
    await agentsRun;
    await stopServer(server);
    await cleanAll({ runner: spawnRunner, records: new FileOwnerRecords(stateDir) });
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:pairs failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
