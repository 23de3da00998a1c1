/**
 * What a scenario test in local mode runs on: a real Temporal dev server, the reference network
 * plugin on loopback (or the plugin the test starts, e.g. the OVN plugin), the compute worker and one agent Worker per node (with the testing
 * activities), all in the test's process; and the checks every such test ends with.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createTestingActivities, type TestingDeps } from '../../src/activities/testing/activities';
import { spawnRunner } from '../../src/dataplane/command';
import { cleanAll } from '../../src/dataplane/clean';
import { FileOwnerRecords } from '../../src/dataplane/owner-records';
import { startReferencePlugin, type RunningReferencePlugin } from '../../src/plugin/reference/server';
import { createAgentWorkers, type AgentWorkerOptions } from '../../src/workers/agent';
import { createComputeWorker } from '../../src/workers/compute';
import { statusQuery } from '../../src/workflows/messages';
import type { ScenarioStatus } from '../../src/model/status';
import { bundleWorkflows, createTestEnv, type CreateTestEnvOptions } from './temporal';

/** What the harness needs of a network plugin: where it answers, and how to stop it. */
export interface LocalPlugin {
  address: string;
  close(): Promise<void>;
}

export interface LocalCloud<P extends LocalPlugin = RunningReferencePlugin> {
  env: TestWorkflowEnvironment;
  plugin: P;
  /** Where the agents keep their owner records; stop() removes it. */
  stateDir: string;
  /** Starts agent Workers (one per node, the harness's agent options) that run until stop(). */
  addAgents(nodes: string[]): Promise<void>;
  /**
   * Stops the workers, the plugin and the server, then asserts that no namespace whose name holds
   * `marker` (or matches it) was left (read before the owner-record cleanup that removes them, as
   * `merak clean --all` would) and that the root namespace's addresses and routes are as they were.
   */
  stop(marker: string | RegExp): Promise<void>;
}

/** `ip -j addr` and every routing table of the root namespace, to compare before and after. */
export const rootNet = (): string =>
  JSON.stringify([execFileSync('ip', ['-j', 'addr'], { encoding: 'utf8' }), execFileSync('ip', ['-j', 'route', 'show', 'table', 'all'], { encoding: 'utf8' })]);
/** `ip netns list`, as text. */
export const netnsList = (): string => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });

/**
 * Starts the local cloud: the dev server (`server` goes to createTestEnv), the network plugin
 * (`startPlugin`; default the reference plugin on a free loopback port), the compute worker, and
 * agent Workers: one per name in `nodes` (default none), plus the pooled Worker when `pool`.
 * With no node and no pool no agent runs (stage-1-only tests). The agents keep their state in
 * `stateDir` (default a new temporary folder), removed by stop(); they carry the testing
 * activities (`testing` goes to them: a test's runner wrapper, say), then `extraActivities`
 * (which replace activities of the same name: a fault-injecting createBatch, say).
 * `maxConcurrentActivityTaskPolls` goes to every agent Worker.
 */
export async function startLocalCloud<P extends LocalPlugin = RunningReferencePlugin>(
  o: {
    nodes?: string[];
    pool?: boolean;
    stateDir?: string;
    server?: CreateTestEnvOptions;
    startPlugin?: () => Promise<P>;
    testing?: Omit<TestingDeps, 'stateDir'>;
    extraActivities?: AgentWorkerOptions['extraActivities'];
    maxConcurrentActivityTaskPolls?: number;
  } = {},
): Promise<LocalCloud<P>> {
  const rootBefore = rootNet();
  const stateDir = o.stateDir ?? mkdtempSync(join(tmpdir(), 'merak-cloud-'));
  const env = await createTestEnv(o.server);
  const plugin = (o.startPlugin ? await o.startPlugin() : await startReferencePlugin({ port: 0 })) as P;
  const compute = await createComputeWorker({ connection: env.nativeConnection, workflowBundle: await bundleWorkflows() });
  const workers: Worker[] = [compute.worker];
  const runs: Promise<void>[] = [compute.worker.run()];
  const start = async (nodes: string[], pool: boolean): Promise<void> => {
    const agents = await createAgentWorkers({
      connection: env.nativeConnection,
      nodes,
      pool,
      stateDir,
      extraActivities: { ...createTestingActivities({ ...o.testing, stateDir }), ...o.extraActivities },
      ...(o.maxConcurrentActivityTaskPolls !== undefined ? { maxConcurrentActivityTaskPolls: o.maxConcurrentActivityTaskPolls } : {}),
    });
    workers.push(...agents);
    runs.push(...agents.map((w) => w.run()));
  };
  if ((o.nodes ?? []).length > 0 || o.pool) await start(o.nodes ?? [], o.pool ?? false);
  return {
    env,
    plugin,
    stateDir,
    addAgents: (nodes) => start(nodes, false),
    async stop(marker) {
      workers.forEach((w) => w.shutdown());
      await Promise.all(runs);
      compute.close();
      await plugin.close();
      await env.teardown();
      const leaked = netnsList()
        .split('\n')
        .filter((l) => (typeof marker === 'string' ? l.includes(marker) : marker.test(l)));
      await cleanAll({ runner: spawnRunner, records: new FileOwnerRecords(stateDir) });
      rmSync(stateDir, { recursive: true, force: true });
      expect(leaked).toEqual([]);
      expect(rootNet()).toBe(rootBefore);
    },
  };
}

/**
 * Polls the scenario's status query every `everyMs` (default 500) ms until `ok` holds; gives up early when the
 * scenario failed. `context` adds lines (logs of the test's processes) to the error.
 * @throws Error naming `what` and the last status, after `timeoutMs` (default 300 s) or a failed phase
 */
export async function waitForStatus(
  handle: WorkflowHandle,
  ok: (s: ScenarioStatus) => boolean,
  what: string,
  o: { timeoutMs?: number; everyMs?: number; context?: () => string } = {},
): Promise<ScenarioStatus> {
  const deadline = Date.now() + (o.timeoutMs ?? 300_000);
  let last: ScenarioStatus | undefined;
  while (Date.now() < deadline) {
    last = await handle.query(statusQuery);
    if (ok(last)) return last;
    if (last.phase === 'failed') break;
    await new Promise((r) => setTimeout(r, o.everyMs ?? 500));
  }
  throw new Error(`${what} not reached; last status ${JSON.stringify(last)}${o.context ? `\n${o.context()}` : ''}`);
}
