/**
 * Per-VM cost as the machine fills (`npm run bench:growth`, as root): N nodes x 1000 VMs built one
 * after another with the agent activities directly (no Temporal), reference plugin, one batch at a
 * time. A per-VM cost that grows from node to node means something in the kernel or in the agent
 * scales with everything already built (it did: a /proc/sys write per VM namespace, see
 * docs/dataplane.md). Writes bench/results/growth.json; prints the summary as JSON last.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import * as path from 'node:path';
import { createAgentActivities } from '../src/activities/agent/activities';
import { spawnRunner } from '../src/dataplane/command';
import { cleanScenario } from '../src/dataplane/clean';
import { FileOwnerRecords } from '../src/dataplane/owner-records';
import { createPluginRegistry } from '../src/endpoint-plugins/registry';
import { packageRoot } from '../src/install/paths';

const NODES = Number(process.env.MERAK_BENCH_GROWTH_NODES ?? 8);
const VMS = 1000;
const BATCH = 500;
const ROOT = packageRoot();

async function main(): Promise<void> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'merak-bench-growth-'));
  const records = new FileOwnerRecords(stateDir);
  const agent = createAgentActivities({ mode: 'local', runner: spawnRunner, records, plugins: createPluginRegistry({ runner: spawnRunner, dirs: [] }) });
  const scenario = 'bench-growth';
  const perNode: Array<{ node: number; vmsBefore: number; msPerVm: number }> = [];
  try {
    for (let n = 0; n < NODES; n++) {
      const t0 = performance.now();
      for (let from = 0; from < VMS; from += BATCH) {
        await agent.createBatch({
          scenario,
          node: `g${n}`,
          nodeSlot: n,
          from,
          count: BATCH,
          endpointsPerVm: 1,
          ensureNode: from === 0,
          segments: [{ vmFrom: from, vmCount: BATCH, endpoint: 0, subnet: { id: 's', vpc: 'v', cidr: '10.64.0.0/16', gateway: '10.64.0.1', vni: 3001 }, ipIndexFrom: n * VMS + from }],
        });
      }
      const msPerVm = +((performance.now() - t0) / VMS).toFixed(2);
      perNode.push({ node: n, vmsBefore: n * VMS, msPerVm });
      process.stderr.write(`bench:growth node ${n} (${n * VMS} VMs before it): ${msPerVm} ms/VM\n`);
    }
  } finally {
    await cleanScenario({ runner: spawnRunner, records }, scenario);
    rmSync(stateDir, { recursive: true, force: true });
  }
  const summary = {
    date: new Date().toISOString(),
    machine: `${cpus().length} CPU (${cpus()[0]?.model ?? 'unknown'})`,
    vmsPerNode: VMS,
    batch: BATCH,
    perNode,
    lastOverFirst: +(perNode[perNode.length - 1]!.msPerVm / perNode[0]!.msPerVm).toFixed(2),
  };
  mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench', 'results', 'growth.json'), JSON.stringify(summary, null, 2) + '\n');
  process.stdout.write(JSON.stringify(summary) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:growth failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
