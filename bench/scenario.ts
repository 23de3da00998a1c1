/**
 * Scenario benchmark (`npm run bench:scenario`, as root): whole scenarios end to end through a
 * real Temporal dev server, with the real compute worker, real agent workers and the reference
 * network plugin on loopback, all in this process.
 *
 * 1. reference dataplane, N nodes x M VMs (one endpoint each), ring ping on a sample with
 *    negative checks: time from workflow start to status `ready`, peak RSS, kernel memory delta;
 * 2. `none` dataplane at growing node counts: time to `ready`, history length of the scenario run
 *    and of every node run, under more than one dev-server / poller setting;
 * 3. Temporal overhead: one node x 1000 VMs through the workflow vs the same agent activity calls
 *    made directly (inputs read from the workflow's own history), alternated in the same run.
 *
 * Each scenario is torn down by its `teardown` signal and the kernel is compared with before.
 * Writes bench/results/scenario.json after every case (so a cut-short run leaves what it
 * measured) and the Scenario section of docs/BENCHMARKS.md; prints the summary as JSON last.
 *
 * This file runs the case groups in order; the parts, like sdk-typescript's load tests:
 * scenario/config.ts (the MERAK_BENCH_* knobs), scenario/server.ts (dev server, plugin and compute
 * worker lifecycle), scenario/runner.ts (the cases), scenario/report.ts (results, verdicts, docs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import * as path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { spawnRunner } from '../src/dataplane/command';
import { cleanAll } from '../src/dataplane/clean';
import { FileOwnerRecords } from '../src/dataplane/owner-records';
import { bundleWorkflows } from '../test/helpers/temporal';
import { AGENT_EXEC, BATCH, CASES, COMPUTE_ACT_EXEC, COMPUTE_WF_EXEC, NONE_BATCH, NONE_CASES, REF_SIZES, serverArgs } from './scenario/config';
import { log } from './scenario/log';
import { CASE_GROUPS, carryOver, readPrevious, write, type Summary } from './scenario/report';
import { overheadCase, scenarioCase } from './scenario/runner';
import { startServer, stopServer } from './scenario/server';

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the scenario benchmark creates namespaces: run it as root');
  const stateDir = mkdtempSync(path.join(tmpdir(), 'merak-bench-scenario-'));
  const sum: Summary = {
    date: new Date().toISOString(),
    machine: `${cpus().length} CPU (${cpus()[0]?.model ?? 'unknown'})`,
    partial: true,
    settings: {
      devServer: { wal: serverArgs('wal', '<tmp>'), memory: serverArgs('memory', '<tmp>') },
      compute: { maxConcurrentWorkflowTaskExecutions: COMPUTE_WF_EXEC, maxConcurrentActivityTaskExecutions: COMPUTE_ACT_EXEC },
      agent: { maxConcurrentActivityTaskExecutions: AGENT_EXEC },
      referenceBatchSize: BATCH,
      noneBatchSize: NONE_BATCH,
    },
    reference: [],
    none: [],
    targets: {},
  };
  // The groups this run leaves out keep the numbers of the run that measured them last.
  carryOver(sum, await readPrevious(), CASE_GROUPS.filter((g) => !CASES.has(g)));
  // One line per agent Worker at WARN ("no workflows registered") would bury the report.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const bundle = await bundleWorkflows(require.resolve('../src/workflows'));
  let server = await startServer('wal', bundle);
  try {
    if (CASES.has('overhead')) {
      sum.overhead = await overheadCase(server, stateDir);
      await write(sum);
    }
    if (CASES.has('reference')) {
      for (const [i, [n, v]] of REF_SIZES.entries()) {
        sum.reference.push(await scenarioCase(server, stateDir, { label: `reference ${n}x${v}`, name: `br${i}`, nodes: n, vmsPerNode: v, dataplane: 'reference', vni: 3000 + i * 2 }));
        await write(sum);
      }
    }
    if (CASES.has('none')) {
      for (const [k, c] of NONE_CASES.entries()) {
        if (c.server !== server.kind) {
          await stopServer(server);
          server = await startServer(c.server, bundle);
        }
        sum.none.push(
          await scenarioCase(server, stateDir, { label: `none ${c.nodes}x${c.vmsPerNode}`, name: `bn${k}`, nodes: c.nodes, vmsPerNode: c.vmsPerNode, dataplane: 'none', polls: c.polls, vni: 3500 + k * 2 }),
        );
        await write(sum);
      }
    }
    sum.partial = false;
    await write(sum);
    process.stdout.write(JSON.stringify(sum) + '\n');
  } finally {
    await stopServer(server).catch((e: unknown) => log(`stopping the server: ${String(e)}`));
    // Anything a failed case left is removed by its owner records, as `merak clean --all` does.
    await cleanAll({ runner: spawnRunner, records: new FileOwnerRecords(stateDir) }).catch((e: unknown) => log(`clean: ${String(e)}`));
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:scenario: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
