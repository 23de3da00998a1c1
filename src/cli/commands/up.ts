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
import { isAlive, localStateDir, readDaemon, startDaemon, stopDaemons } from '../../local/daemons';
import { statusQuery, resultsQuery } from '../../workflows/messages';
import type { ScenarioStatus } from '../../model/status';
import { COMPUTE_TASK_QUEUE, scenarioWorkflowId } from '../../model/queues';
import type { ScenarioSpec } from '../../model/spec';
import { readSpecFile } from '../spec-file';
import { validateFile } from './validate';
import { clientFor, scenarioHandle, webUiLink } from '../scenario-client';
import { printResults, writeJunit } from '../results-output';

interface UpFlags extends TemporalFlagValues {
  file: string;
  local: boolean;
  dryRun: boolean;
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

/** Starts a daemon of the scenario unless it runs already; records it in `started` when this call started it. */
type StartDaemon = (name: string, args: string[]) => void;

/** Starts what a local scenario needs and is not running yet: dev server, reference plugin, workers. */
async function ensureLocal(spec: ScenarioSpec, flags: UpFlags, external: boolean, start: StartDaemon): Promise<void> {
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
    start('plugin', ['plugin', 'serve', '--port', port, '--state-file', join(localStateDir(), `plugin-${port}.json`)]);
  }
  const temporalArgs = flagsToArgs(flags);
  if (flags.local) {
    start('compute', ['worker', 'compute', ...temporalArgs]);
    if (spec.agentPool) {
      log(`starting the compute worker and one pooled agent (merak-agent-pool) for the ${spec.nodes.length} local nodes`);
      start('agent', ['worker', 'agent', '--pool', ...temporalArgs]);
    } else {
      log(`starting the compute worker and the agent for local nodes ${spec.nodes.map((n) => n.name).join(', ')}`);
      start('agent', ['worker', 'agent', ...spec.nodes.flatMap((n) => ['--node', n.name]), ...temporalArgs]);
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
async function follow(handle: ReturnType<typeof scenarioHandle>, timeoutMs: number, onBars: (stop: () => void) => void): Promise<ScenarioStatus | undefined> {
  const bars = new MultiBar(
    { format: ' {label} [{bar}] {value}/{total} {phase}', hideCursor: true, clearOnComplete: false, stream: process.stderr, noTTYOutput: true, notTTYSchedule: 5_000 },
    Presets.shades_classic,
  );
  onBars(() => bars.stop());
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
    .option('--dry-run', 'check the file and print the plan, as `merak validate` does; start nothing', false)
    .option('--ui-url <url>', 'base URL of the Temporal web UI', 'http://localhost:8233')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'));
  addTemporalOptions(up).action(async (flags: UpFlags) => {
    if (flags.dryRun) {
      // The same checks and plan as `merak validate`; nothing is started, no Temporal needed.
      await validateFile(flags.file, { output: flags.output, local: flags.local });
      return;
    }
    const { input, spec } = await readSpecFile(flags.file, { local: flags.local });
    const external = Boolean((flags as unknown as Record<string, unknown>).address ?? process.env.TEMPORAL_ADDRESS);
    const workflowId = scenarioWorkflowId(spec.name);

    // What this invocation started, so a failed `up` stops exactly that (and nothing it found running).
    const started: string[] = [];
    let stage: 'preparing' | 'following' | 'done' = 'preparing';
    let stopBars: () => void = () => undefined;
    const start: StartDaemon = (name, args) => {
      if (stage !== 'preparing') throw new Error('interrupted');
      const before = readDaemon(spec.name, name);
      if (before && isAlive(before.pid)) return;
      startDaemon(spec.name, name, args);
      started.push(name);
    };
    const stopStarted = async (why: string): Promise<void> => {
      if (started.length === 0) return;
      const names = started.splice(0);
      log(`${why}: stopping what this command started for ${spec.name}: ${names.join(', ')}`);
      await stopDaemons(spec.name, names);
    };
    // Ctrl-C: before the workflow starts, undo what was started; once it runs, it keeps building
    // in Temporal without this command, so say so and how to follow or remove it.
    const onInterrupt = () => {
      stopBars();
      if (process.stderr.isTTY) process.stderr.write('\u001b[?25h\n'); // the progress bars hid the cursor
      if (stage !== 'preparing') {
        if (stage === 'following') {
          log(`interrupted: scenario ${spec.name} keeps building in Temporal (workflow ${workflowId}); this command only stopped watching it`);
          log(`  follow it again:  merak up -f ${flags.file}   (or: merak status ${spec.name})`);
          log(`  remove it:        merak down ${spec.name}`);
        }
        process.exit(130);
      }
      stage = 'done';
      void stopStarted('interrupted before the scenario started').finally(() => process.exit(130));
    };
    process.on('SIGINT', onInterrupt);
    try {
      await ensureLocal(spec, flags, external, start);
      const { client, namespace, close } = await clientFor(flags);
      try {
        try {
          await client.workflow.start('scenarioWorkflow', { taskQueue: COMPUTE_TASK_QUEUE, workflowId, args: [input] });
          log(`started scenario ${spec.name} (workflow ${workflowId})`);
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          log(`scenario ${spec.name} is already running: following it`);
        }
        const handle = scenarioHandle(client, spec.name);
        stage = 'following';
        const status = await follow(handle, flags.timeout * 1000, (stop) => (stopBars = stop));
        if (!status || status.phase !== 'ready') {
          const outcome = await handle.result().then(
            () => 'ended',
            (e: unknown) => (e instanceof Error ? `${e.message}${(e as { cause?: Error }).cause ? `: ${(e as { cause?: Error }).cause!.message}` : ''}` : String(e)),
          );
          // The workflow has closed (result() returned): its workers have nothing left to do.
          stage = 'done';
          await stopStarted('the scenario was not built');
          throw new Error(`scenario ${spec.name} was not built: ${status?.error ?? outcome}`);
        }
        stage = 'done';
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
    } catch (err) {
      // Still preparing (or the start was refused): nothing runs that needs what was started.
      // Following: the workflow is still running (timeout, lost connection) and needs its workers.
      if (stage === 'preparing') await stopStarted('merak up failed before the scenario started');
      else if (stage === 'following') log(`scenario ${spec.name} is still running in Temporal: its workers keep running (merak status ${spec.name}; merak down ${spec.name} removes both)`);
      throw err;
    } finally {
      process.off('SIGINT', onInterrupt);
    }
  });
}
