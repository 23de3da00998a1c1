/** The dev server, the reference plugin and the compute worker every case runs against. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { startReferencePlugin, type RunningReferencePlugin } from '../../src/plugin/reference/server';
import { createComputeWorker } from '../../src/workers/compute';
import { bundleWorkflows, createTestEnv } from '../../test/helpers/temporal';
import { devServerPid, threadsNamed } from '../scenario-probe';
import { COMPUTE_ACT_EXEC, COMPUTE_WF_EXEC, serverArgs, type ServerKind } from './config';
import { log } from './log';

export interface Server {
  kind: ServerKind;
  args: string[];
  env: TestWorkflowEnvironment;
  plugin: RunningReferencePlugin;
  compute: Worker;
  computeRun: Promise<void>;
  closeCompute(): void;
  pid: number | undefined;
  dir: string;
  /**
   * The compute worker's workflow thread(s): the Node worker threads (comm `node`; the SDK's
   * Rust threads carry their own names) that creating the worker added to this process. With
   * the SDK's default reuseV8Context there is one, and every workflow activation runs on it.
   */
  workflowThreads: number[];
}

export async function startServer(kind: ServerKind, bundle: Awaited<ReturnType<typeof bundleWorkflows>>): Promise<Server> {
  const dir = mkdtempSync(path.join(tmpdir(), 'merak-bench-temporal-'));
  const args = serverArgs(kind, dir);
  const t0 = performance.now();
  const tenv = await createTestEnv({ extraArgs: args });
  const plugin = await startReferencePlugin({ port: 0 });
  const threadsBefore = new Set(threadsNamed('node'));
  const c = await createComputeWorker({
    connection: tenv.nativeConnection,
    workflowBundle: bundle,
    maxConcurrentWorkflowTaskExecutions: COMPUTE_WF_EXEC,
    maxConcurrentActivityTaskExecutions: COMPUTE_ACT_EXEC,
  });
  const workflowThreads = threadsNamed('node').filter((t) => !threadsBefore.has(t));
  log(`dev server (${kind}) and compute worker up in ${Math.round(performance.now() - t0)} ms; workflow thread(s) ${workflowThreads.join(', ') || 'not found'}`);
  return { kind, args, env: tenv, plugin, compute: c.worker, computeRun: c.worker.run(), closeCompute: c.close, pid: devServerPid(), dir, workflowThreads };
}

export async function stopServer(s: Server): Promise<void> {
  s.compute.shutdown();
  await s.computeRun;
  s.closeCompute();
  await s.plugin.close();
  await s.env.teardown();
  rmSync(s.dir, { recursive: true, force: true });
}

