import { spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { MultiBar, Presets } from 'cli-progress';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { addTemporalOptions, type TemporalFlagValues } from '../../temporal/connection';
import { findTemporalCli } from '../../temporal/cli-path';
import { startDevServer } from '../../temporal/dev-server';
import { packagePath } from '../../install/paths';
import { localStateDir, startDaemon } from '../../local/daemons';
import { statusQuery, resultsQuery } from '../../workflows/messages';
import type { ScenarioStatus } from '../../model/status';
import { COMPUTE_TASK_QUEUE, scenarioWorkflowId } from '../../model/queues';
import type { ScenarioSpec } from '../../model/spec';
import { readSpecFile } from '../spec-file';
import { clientFor, scenarioHandle, webUiLink } from '../scenario-client';
import { printResults, writeJunit } from '../results-output';

interface UpFlags extends TemporalFlagValues {
  file: string;
  local: boolean;
  timeout: number;
  output: 'table' | 'json';
  junit?: string;
  uiUrl: string;
}

const log = (line: string) => process.stderr.write(`merak: ${line}\n`);

/** True when something accepts TCP connections at host:port within `timeoutMs`. */
export function answers(address: string, timeoutMs = 1_000): Promise<boolean> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(at + 1));
  return new Promise((done) => {
    const socket = createConnection({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

const isLoopback = (address: string) => /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+$/.test(address);

/** The Temporal CLI, built by temporal/provide.sh when it is nowhere yet. */
function provideTemporalCli(): string {
  try {
    return findTemporalCli();
  } catch {
    log('no Temporal CLI found: building it with temporal/provide.sh (a few minutes, once)');
    const script = packagePath('temporal', 'provide.sh');
    const r = spawnSync('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    if (r.status !== 0) throw new Error('temporal/provide.sh could not provide the Temporal CLI (see above)');
    return r.stdout.trim().split('\n').pop()!;
  }
}

/** Starts what a local scenario needs and is not running yet: dev server, reference plugin, workers. */
async function ensureLocal(spec: ScenarioSpec, flags: UpFlags, external: boolean): Promise<void> {
  if (!external) {
    if (!(await answers('127.0.0.1:7233'))) {
      const cliPath = provideTemporalCli();
      log('starting the Temporal dev server (gRPC 127.0.0.1:7233, web UI http://localhost:8233)');
      await startDevServer({ cliPath });
    }
  }
  if (!(await answers(spec.plugin.address))) {
    if (!isLoopback(spec.plugin.address)) {
      throw new Error(`the network plugin at ${spec.plugin.address} does not answer; start it, or point plugin.address at 127.0.0.1:<port> to let merak run the reference plugin`);
    }
    const port = spec.plugin.address.slice(spec.plugin.address.lastIndexOf(':') + 1);
    log(`starting the reference network plugin on 127.0.0.1:${port}`);
    startDaemon(spec.name, 'plugin', ['plugin', 'serve', '--port', port, '--state-file', join(localStateDir(), `plugin-${port}.json`)]);
  }
  const temporalArgs = flagsToArgs(flags);
  if (flags.local) {
    startDaemon(spec.name, 'compute', ['worker', 'compute', ...temporalArgs]);
    if (spec.agentPool) {
      log(`starting the compute worker and one pooled agent (merak-agent-pool) for the ${spec.nodes.length} local nodes`);
      startDaemon(spec.name, 'agent', ['worker', 'agent', '--pool', ...temporalArgs]);
    } else {
      log(`starting the compute worker and the agent for local nodes ${spec.nodes.map((n) => n.name).join(', ')}`);
      startDaemon(spec.name, 'agent', ['worker', 'agent', ...spec.nodes.flatMap((n) => ['--node', n.name]), ...temporalArgs]);
    }
  }
}

/** Temporal flags passed on to the background workers. */
function flagsToArgs(flags: TemporalFlagValues): string[] {
  const out: string[] = [];
  const f = flags as unknown as Record<string, unknown>;
  if (typeof f.address === 'string') out.push('--address', f.address);
  if (typeof f.namespace === 'string') out.push('--namespace', f.namespace);
  return out;
}

/** Polls the status query, drawing progress bars, until the scenario is ready, failed or closed. */
async function follow(handle: ReturnType<typeof scenarioHandle>, timeoutMs: number): Promise<ScenarioStatus | undefined> {
  const bars = new MultiBar(
    { format: ' {label} [{bar}] {value}/{total} {phase}', hideCursor: true, clearOnComplete: false, stream: process.stderr, noTTYOutput: true, notTTYSchedule: 5_000 },
    Presets.shades_classic,
  );
  const pluginBar = bars.create(1, 0, { label: 'plugin objects', phase: '' });
  const vmBar = bars.create(1, 0, { label: 'VMs           ', phase: '' });
  const deadline = Date.now() + timeoutMs;
  let status: ScenarioStatus | undefined;
  try {
    while (Date.now() < deadline) {
      try {
        status = await handle.query(statusQuery);
      } catch (err) {
        const desc = await handle.describe();
        if (desc.status.name !== 'RUNNING') return status;
        if (Date.now() > deadline) throw err;
      }
      if (status) {
        const objects = status.built.length;
        pluginBar.setTotal(Math.max(1, objects));
        pluginBar.update(objects, { phase: status.phase });
        const want = status.nodes.reduce((s, n) => s + n.desiredVms, 0);
        const have = status.nodes.reduce((s, n) => s + n.vms, 0);
        vmBar.setTotal(Math.max(1, want));
        vmBar.update(have, { phase: status.phase });
        if (status.phase === 'ready' || status.phase === 'failed' || status.phase === 'deleted') return status;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`the scenario was not ready after ${Math.round(timeoutMs / 1000)} s; see \`merak status\` and the web UI`);
  } finally {
    bars.stop();
  }
}

export function register(program: Command): void {
  const up = program
    .command('up')
    .alias('deploy')
    .description('build a scenario: starts what is missing locally (Temporal dev server, reference plugin, workers), runs it, shows progress and test results')
    .requiredOption('-f, --file <file>', 'scenario file (YAML or JSON)')
    .option('--no-local', 'do not start workers on this machine (agents run elsewhere, e.g. in Kubernetes pods)')
    .option('--timeout <seconds>', 'how long to wait for the scenario to be built and tested', (v) => Number(v), 900)
    .option('--junit <file>', 'also write the test results as JUnit XML')
    .option('--ui-url <url>', 'base URL of the Temporal web UI', 'http://localhost:8233')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'));
  addTemporalOptions(up).action(async (flags: UpFlags) => {
    const { input, spec } = await readSpecFile(flags.file);
    const external = Boolean((flags as unknown as Record<string, unknown>).address ?? process.env.TEMPORAL_ADDRESS);
    await ensureLocal(spec, flags, external);
    const { client, namespace, close } = await clientFor(flags);
    try {
      try {
        await client.workflow.start('scenarioWorkflow', { taskQueue: COMPUTE_TASK_QUEUE, workflowId: scenarioWorkflowId(spec.name), args: [input] });
        log(`started scenario ${spec.name} (workflow ${scenarioWorkflowId(spec.name)})`);
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        log(`scenario ${spec.name} is already running: following it`);
      }
      const handle = scenarioHandle(client, spec.name);
      const status = await follow(handle, flags.timeout * 1000);
      if (!status || status.phase !== 'ready') {
        const outcome = await handle.result().then(
          () => 'ended',
          (e: unknown) => (e instanceof Error ? `${e.message}${(e as { cause?: Error }).cause ? `: ${(e as { cause?: Error }).cause!.message}` : ''}` : String(e)),
        );
        throw new Error(`scenario ${spec.name} was not built: ${status?.error ?? outcome}`);
      }
      const results = await handle.query(resultsQuery);
      printResults(results, flags.output);
      if (flags.junit) await writeJunit(flags.junit, spec.name, results);
      log(`scenario ${spec.name} is ready: ${status.nodes.length} nodes, ${status.nodes.reduce((s, n) => s + n.vms, 0)} VMs`);
      log(`web UI: ${webUiLink(flags.uiUrl, namespace, spec.name)}`);
      log(`next: merak status ${spec.name} · merak scale ${spec.name} --vms-per-node N · merak test ${spec.name} · merak down ${spec.name}`);
      if (results.some((r) => !r.pass)) process.exitCode = 1;
    } finally {
      await close();
    }
  });
}
