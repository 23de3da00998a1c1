import { join } from 'node:path';
import { TestWorkflowEnvironment, type LocalTestWorkflowEnvironmentOptions } from '@temporalio/testing';
import { IllegalStateError } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { findTemporalCli } from '../../src/temporal/cli-path';
import { MERAK_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { DEV_SERVER_DYNAMIC_CONFIG } from '../../src/temporal/dev-server-config';

// Shared by every integration test that needs Temporal: a real dev server from the Temporal CLI
// binary the toolchain provides (temporal/provide.sh) — never a download — with Merak's search
// attributes registered, on a free port, in memory, torn down by the test.

export interface CreateTestEnvOptions {
  /** Namespace to create and bind the client to. @default 'default' */
  namespace?: string;
  /** More `temporal server start-dev` arguments. @default [] */
  extraArgs?: string[];
  /** Temporal CLI binary. @default findTemporalCli() (MERAK_TEMPORAL_CLI, PATH, .tools/bin) */
  cliPath?: string;
}

/**
 * Starts a real Temporal dev server for a test file. Call `await env.teardown()` in `afterAll`.
 * Uses the same binary as `merak server start`; throws a clear error telling to run
 * temporal/provide.sh when there is none.
 */
export async function createTestEnv(options: CreateTestEnvOptions = {}): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const path = options.cliPath ?? findTemporalCli();
  const server: NonNullable<LocalTestWorkflowEnvironmentOptions['server']> = {
    executable: { type: 'existing-path', path },
    ip: '127.0.0.1',
    searchAttributes: [...MERAK_SEARCH_ATTRIBUTES],
    // The settings `merak server start` uses, so tests and benchmarks run what users run.
    extraArgs: ['--headless', ...DEV_SERVER_DYNAMIC_CONFIG.flatMap((v) => ['--dynamic-config-value', v]), ...(options.extraArgs ?? [])],
  };
  if (options.namespace !== undefined) server.namespace = options.namespace;
  return TestWorkflowEnvironment.createLocal({ server });
}

/**
 * Workers log every state change at INFO, which buries test output; keep WARN and above. A test
 * file that installed its own Runtime first keeps it (install then throws IllegalStateError).
 */
export function installQuietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch (err) {
    if (!(err instanceof IllegalStateError)) throw err;
  }
}

/** The project's workflow entry point, bundled by workers (`src/workflows/index.ts`). */
export const WORKFLOWS_ENTRY = join(__dirname, '..', '..', 'src', 'workflows', 'index.ts');

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/**
 * Bundles workflow code once per test process and path (bundling costs seconds of CPU); pass the
 * result to `Worker.create({ workflowBundle })`.
 * @param workflowsPath entry module. @default WORKFLOWS_ENTRY
 */
export function bundleWorkflows(workflowsPath: string = WORKFLOWS_ENTRY): Promise<WorkflowBundleWithSourceMap> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
    bundles.set(workflowsPath, bundle);
  }
  return bundle;
}

// The bundler logs every module at info level; keep warnings and errors only.
const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string, meta?: Record<string, unknown>) => console.warn(message, meta ?? ''),
  error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta ?? ''),
};
