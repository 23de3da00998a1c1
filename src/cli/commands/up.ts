import { spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { addTemporalOptions, type TemporalFlagValues } from '../../temporal/connection';
import { findTemporalCli } from '../../temporal/cli-path';
import { startDevServer } from '../../temporal/dev-server';
import { packagePath } from '../../install/paths';
import { localStateDir, releaseDaemons, withRegistry, type Daemon, type DaemonRequest, type Registry } from '../../local/daemons';
import { fnv1a32 } from '../../model/mac';
import { applyUpdate, specQuery, statusQuery } from '../../workflows/messages';
import { fetchResults } from '../results-fetch';
import type { ApplyCounts, ApplyResult, ScenarioStatus } from '../../model/status';
import { COMPUTE_TASK_QUEUE, scenarioWorkflowId } from '../../model/queues';
import { diffSpecs, sameSpec } from '../../model/diff';
import { checkSpec, pluginObjectCount, type ScenarioInput, type ScenarioSpec } from '../../model/spec';
import { LiveProgress } from '../live-progress';
import { readSpecFile } from '../spec-file';
import { validateFile } from './validate';
import { clientFor, scenarioHandle, webUiLink } from '../scenario-client';
import { printResults, writeJunit } from '../results-output';
import { collectReport, defaultReportDir, enforceSla, writeReport } from '../report-output';

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

/**
 * Adds the scenario to a shared daemon's users (starting it unless it runs) and remembers it when
 * this call is what made the scenario a user, so a failed `up` releases exactly that.
 */
interface Acquire {
  use(registry: Registry, req: DaemonRequest): { daemon: Daemon; started: boolean };
  join(registry: Registry, daemon: Daemon): void;
}

/** Starts what a local scenario needs and is not running yet: dev server, the network plugin (reference, or OVN with plugin.provider: ovn), workers. */
async function ensureLocal(spec: ScenarioSpec, flags: UpFlags, external: boolean, acquire: Acquire): Promise<void> {
  if (!external) {
    if (!(await answers('127.0.0.1:7233'))) {
      const cliPath = provideTemporalCli();
      log('starting the Temporal dev server (gRPC 127.0.0.1:7233, web UI http://localhost:8233)');
      await startDevServer({ cliPath });
    }
  }
  await ensureDaemons(spec, flags, acquire);
}

/**
 * The reference plugin and the workers, shared with the other scenarios on this machine
 * (local/daemons.ts): those already running are reused and this scenario is added to their users,
 * so `merak down` of another scenario leaves them running for this one.
 */
async function ensureDaemons(spec: ScenarioSpec, flags: UpFlags, acquire: Acquire): Promise<void> {
  const temporal = flagsToArgs(flags);
  const suffix = temporal.length ? `-${fnv1a32(temporal.join(' ')).toString(36)}` : '';
  const pluginAnswers = await answers(spec.plugin.address);
  await withRegistry((registry) => {
    const port = spec.plugin.address.slice(spec.plugin.address.lastIndexOf(':') + 1);
    const provider = spec.plugin.provider ?? 'reference';
    const pluginName = provider === 'ovn' ? `plugin-ovn-${port}` : `plugin-${port}`;
    const ours = registry.live().find((d) => d.name === pluginName);
    if (ours && isLoopback(spec.plugin.address)) acquire.join(registry, ours);
    else if (!pluginAnswers) {
      if (!isLoopback(spec.plugin.address)) {
        throw new Error(`the network plugin at ${spec.plugin.address} does not answer; start it, or point plugin.address at 127.0.0.1:<port> to let merak run the reference plugin`);
      }
      log(`starting the ${provider} network plugin on 127.0.0.1:${port}`);
      // The OVN plugin keeps its state in its central's databases; a central per port, so two such plugins never share one.
      const args = provider === 'ovn' ? ['plugin', 'serve', '--provider', 'ovn', '--port', port, '--central', `port-${port}`] : ['plugin', 'serve', '--port', port, '--state-file', join(localStateDir(), `plugin-${port}.json`)];
      acquire.use(registry, { name: pluginName, kind: 'plugin', args });
    }
    if (!flags.local) return;
    const compute = acquire.use(registry, { name: `compute${suffix}`, kind: 'compute', args: ['worker', 'compute', ...temporal], temporal });
    if (spec.agentPool) {
      const pool = acquire.use(registry, { name: `agent-pool${suffix}`, kind: 'agent', args: ['worker', 'agent', '--pool', ...temporal], pool: true, temporal });
      log(`${compute.started ? 'started' : 'sharing'} the compute worker; ${pool.started ? 'started' : 'sharing'} one pooled agent (merak-agent-pool) for the ${spec.nodes.length} local nodes`);
      return;
    }
    const agents = startNodeAgents(registry, spec, temporal, acquire);
    log(
      `${compute.started ? 'started' : 'sharing'} the compute worker; agents for local nodes: ${agents.started.length ? `started for ${agents.started.join(', ')}` : ''}${agents.started.length && agents.shared.length ? '; ' : ''}${agents.shared.length ? `sharing the running one(s) for ${agents.shared.join(', ')}` : ''}`,
    );
  });
}

/** Temporal flags passed on to the background workers. */
function flagsToArgs(flags: TemporalFlagValues): string[] {
  const out: string[] = [];
  const f = flags as unknown as Record<string, unknown>;
  if (typeof f.address === 'string') out.push('--address', f.address);
  if (typeof f.namespace === 'string') out.push('--namespace', f.namespace);
  return out;
}

/** The phases `merak up` stops following at. */
const atRest = (s: ScenarioStatus) => s.phase === 'ready' || s.phase === 'failed' || s.phase === 'deleted';

/**
 * Polls the status query, drawing progress bars, until `stop` says so (default: the scenario is
 * ready, failed or deleted) or the workflow is closed. VMs of nodes still building are counted
 * live (their child workflows' progress, see LiveProgress).
 */
async function follow(
  handle: ReturnType<typeof scenarioHandle>,
  timeoutMs: number,
  onBars: (stop: () => void) => void,
  expectedObjects: number,
  live?: LiveProgress,
  stop: (s: ScenarioStatus) => boolean = atRest,
): Promise<ScenarioStatus | undefined> {
  const bars = new MultiBar(
    { format: ' {label} [{bar}] {value}/{total} {phase}', hideCursor: true, clearOnComplete: false, stream: process.stderr, noTTYOutput: true, notTTYSchedule: 5_000 },
    Presets.shades_classic,
  );
  onBars(() => bars.stop());
  // Made at the first answer, so the first frame shows real totals, not a placeholder 0/1.
  let shown: { plugin: SingleBar; vms: SingleBar } | undefined;
  const deadline = Date.now() + timeoutMs;
  let status: ScenarioStatus | undefined;
  let unpolled = '';
  try {
    while (Date.now() < deadline) {
      try {
        status = await handle.query(statusQuery);
        if (live) status = await live.refresh(status);
      } catch (err) {
        const desc = await handle.describe();
        if (desc.status.name !== 'RUNNING') return status;
        if (Date.now() > deadline) throw err;
      }
      if (status) {
        const objects = status.built.length;
        // While building, the spec's count; while deleting (or after a change), what is held.
        const objectsTotal = Math.max(1, objects, status.phase === 'tearing-down' ? 0 : expectedObjects);
        const want = status.nodes.reduce((s, n) => s + n.desiredVms, 0);
        const have = status.nodes.reduce((s, n) => s + n.vms, 0);
        shown ??= {
          plugin: bars.create(objectsTotal, objects, { label: 'plugin objects', phase: status.phase }),
          vms: bars.create(Math.max(1, want), have, { label: 'VMs           ', phase: status.phase }),
        };
        shown.plugin.setTotal(objectsTotal);
        shown.plugin.update(objects, { phase: status.phase });
        shown.vms.setTotal(Math.max(1, want));
        shown.vms.update(have, { phase: status.phase });
        const idle = noPollerHint(status);
        if (idle !== unpolled && idle !== '') bars.log(`merak: ${idle}\n`);
        unpolled = idle;
        if (stop(status)) return status;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`the scenario was not ready after ${Math.round(timeoutMs / 1000)} s; see \`merak status\` and the web UI`);
  } finally {
    bars.stop();
  }
}

/** Which nodes wait for an agent no worker runs, and what to do; '' when none. */
export function noPollerHint(s: ScenarioStatus): string {
  const idle = s.nodes.filter((n) => n.noPoller !== undefined);
  if (idle.length === 0) return '';
  const names = idle.map((n) => n.name);
  const list = `${names.slice(0, 10).join(', ')}${names.length > 10 ? ` and ${names.length - 10} more` : ''}`;
  return `no worker polls the agent queue of node${names.length > 1 ? 's' : ''} ${list} (${idle[0]!.noPoller}${names.length > 1 ? ', …' : ''}): they wait for an agent; start one (merak worker agent --node NAME) or see \`merak status ${s.name}\``;
}

/** `+1 ~2 -0` for what an apply created, updated and deleted of one kind. */
function counts(c: ApplyCounts): string {
  return `+${c.created} ~${c.updated} -${c.deleted}`;
}

/** One line saying what an apply did. */
export function applySummary(r: ApplyResult): string {
  const kinds = (['vpcs', 'subnets', 'nodes'] as const).filter((k) => r[k].created + r[k].updated + r[k].deleted > 0).map((k) => `${k} ${counts(r[k])}`);
  return `${kinds.length > 0 ? kinds.join(', ') : 'no plugin object changed'}${r.vmsRebuilt ? '; every VM rebuilt (the subnet layout changed)' : ''}; now ${r.nodeCount} nodes, ${r.vms} VMs`;
}

/**
 * `merak up` on a scenario that is already running: `up` is declarative. The same spec as the
 * one the scenario runs (or is about to) is only followed; a changed one is sent as the `apply`
 * update, whose validator refuses what cannot be applied (then nothing changed and this throws
 * with the reason), and followed with progress until the scenario is ready again.
 * @throws Error when the change is refused, or the apply fails half-way (with the reason)
 */
async function upOnRunning(
  handle: ReturnType<typeof scenarioHandle>,
  live: LiveProgress,
  input: ScenarioInput,
  spec: ScenarioSpec,
  timeoutMs: number,
  hooks: { applying: () => void; onBars: (stop: () => void) => void },
): Promise<void> {
  const runningInput = await handle.query(specQuery);
  // A spec this version of merak no longer accepts is simply different: the validator judges the file.
  const running = checkSpec(runningInput);
  if (running.ok && sameSpec(running.spec, spec)) {
    log(`scenario ${spec.name} is already running with this spec: following it`);
    return;
  }
  let planned = '';
  if (running.ok) {
    const d = diffSpecs(running.spec, spec);
    planned = ` (${(['vpcs', 'subnets', 'nodes'] as const).map((k) => `${k} +${d[k].create.length} ~${d[k].update.length} -${d[k].delete.length}`).join(', ')}${d.layoutChanged ? ', VMs rebuilt' : ''})`;
  }
  log(`scenario ${spec.name} is running with a different spec: applying the change${planned}`);
  // A refusal by the validator comes back as the update's failure, at once or from result().
  const refusal = (err: unknown): Error | undefined => {
    if (!(err instanceof WorkflowUpdateFailedError)) return undefined;
    const cause = err.cause;
    const type = cause instanceof ApplicationFailure ? cause.type : undefined;
    // The handler's own failures say what happened; anything else is the validator's refusal.
    if (type === 'ApplyFailed' || type === 'ApplyDropped') return new Error(`scenario ${spec.name}: ${cause?.message}`);
    return new Error(`scenario ${spec.name}: the change was refused and nothing changed: ${cause?.message ?? err.message}`);
  };
  let update;
  try {
    update = await handle.startUpdate(applyUpdate, { args: [input], waitForStage: WorkflowUpdateStage.ACCEPTED });
  } catch (err) {
    throw refusal(err) ?? err;
  }
  let settled = false;
  const result = update.result().finally(() => (settled = true));
  result.catch(() => undefined); // observed below, after the progress stops
  // A refused update has its outcome already (result() settles at once): only an accepted one
  // changes the scenario, and then what this command started serves it.
  await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 200))]);
  if (!settled || (await result.then(() => true, (err: unknown) => refusal(err)?.message.includes('the change was refused') !== true))) hooks.applying();
  await follow(handle, timeoutMs, hooks.onBars, pluginObjectCount(spec), live, () => settled);
  if (!settled) throw new Error(`the apply to scenario ${spec.name} was not finished after ${Math.round(timeoutMs / 1000)} s; see \`merak status ${spec.name}\``);
  let applied: ApplyResult;
  try {
    applied = await result;
  } catch (err) {
    throw refusal(err) ?? err;
  }
  if (applied.supersededBy !== undefined) {
    throw new Error(`scenario ${spec.name}: another apply replaced this file's before it ran, and the scenario runs that one (${applySummary(applied)}); see \`merak status ${spec.name}\``);
  }
  log(`scenario ${spec.name}: applied: ${applySummary(applied)}`);
}

/** The nodes an agent daemon polls the queues of, from its command line (`--node NAME`). */
export function agentNodes(argv: readonly string[]): string[] {
  const nodes: string[] = [];
  argv.forEach((a, i) => a === '--node' && argv[i + 1] !== undefined && nodes.push(argv[i + 1]!));
  return nodes;
}

/**
 * The nodes of `spec` that no live agent daemon serves, from the daemons' recorded command lines
 * (`--node NAME`).
 * @param daemons the argv of each live agent daemon
 */
export function nodesWithoutAgent(spec: Pick<ScenarioSpec, 'nodes'>, daemons: readonly (readonly string[])[]): string[] {
  const served = new Set(daemons.flatMap(agentNodes));
  return spec.nodes.map((n) => n.name).filter((n) => !served.has(n));
}

/**
 * Agents for the scenario's local nodes, through the shared registry (called with its lock held).
 * An agent polls merak-agent-<node> whichever scenario the node belongs to: the running agents of
 * the same Temporal target that serve one of the spec's nodes are joined, and one new agent is
 * started for the nodes none serves: all of them on the first `up`, the ones a changed file adds
 * when `up` applies it to the running scenario. Either way the scenario is among the agents'
 * users, so `merak down` of another scenario leaves them running and `merak down` of this one
 * releases them (and a failed `up` releases what this one acquired).
 * @param temporal the Temporal flags the workers are started with
 * @returns the nodes a new agent was started for, and the nodes running agents already serve
 */
function startNodeAgents(registry: Registry, spec: ScenarioSpec, temporal: string[], acquire: Acquire): { started: string[]; shared: string[] } {
  const wanted = spec.nodes.map((n) => n.name);
  const serving = registry
    .live()
    .filter((d) => d.kind === 'agent' && (d.temporal ?? []).join(' ') === temporal.join(' ') && agentNodes(d.argv).some((n) => wanted.includes(n)));
  for (const d of serving) acquire.join(registry, d);
  const missing = nodesWithoutAgent(spec, serving.map((d) => d.argv));
  if (missing.length > 0) {
    const name = `agent-${fnv1a32([...missing, ...temporal].join(' ')).toString(36)}`;
    acquire.use(registry, { name, kind: 'agent', args: ['worker', 'agent', ...missing.flatMap((n) => ['--node', n]), ...temporal], nodes: missing, temporal });
  }
  return { started: missing, shared: wanted.filter((n) => !missing.includes(n)) };
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

    // The shared daemons this invocation made the scenario a user of, so a failed `up` releases
    // exactly those (stopping the ones no other scenario uses) and nothing it used before.
    const acquired: string[] = [];
    let stage: 'preparing' | 'following' | 'done' = 'preparing';
    let stopBars: () => void = () => undefined;
    const acquire: Acquire = {
      use(registry, req) {
        if (stage !== 'preparing') throw new Error('interrupted');
        const already = registry.live().some((d) => d.name === req.name && (d.users ?? []).includes(spec.name));
        const got = registry.use(spec.name, req);
        if (!already) acquired.push(req.name);
        return got;
      },
      join(registry, daemon) {
        if (stage !== 'preparing') throw new Error('interrupted');
        if (!(daemon.users ?? []).includes(spec.name)) acquired.push(daemon.name);
        registry.addUser(daemon, spec.name);
      },
    };
    const stopStarted = async (why: string): Promise<void> => {
      if (acquired.length === 0) return;
      const names = acquired.splice(0);
      const r = await releaseDaemons(spec.name, { names });
      // A daemon that exited by itself (a worker that could not reach Temporal) is gone all the same.
      const gone = [...r.stopped, ...r.stale.map((n) => `${n} (had exited)`)].sort();
      if (gone.length > 0) log(`${why}: stopped what this command started for ${spec.name}: ${gone.join(', ')}`);
      if (r.kept.length > 0) log(`${why}: left running for other scenarios: ${r.kept.map((k) => `${k.name} (${k.users.join(', ')})`).join('; ')}`);
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
      await ensureLocal(spec, flags, external, acquire);
      const { client, namespace, close } = await clientFor(flags);
      try {
        const handle = scenarioHandle(client, spec.name);
        const live = new LiveProgress(client, spec.name);
        try {
          await client.workflow.start('scenarioWorkflow', { taskQueue: COMPUTE_TASK_QUEUE, workflowId, args: [input] });
          log(`started scenario ${spec.name} (workflow ${workflowId})`);
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          // Declarative: the same spec is followed, a changed one applied (a refusal leaves `stage` at preparing, so what this command started is stopped).
          await upOnRunning(handle, live, input, spec, flags.timeout * 1000, {
            applying: () => (stage = 'following'),
            onBars: (stop) => (stopBars = stop),
          });
        }
        stage = 'following';
        const status = await follow(handle, flags.timeout * 1000, (stop) => (stopBars = stop), pluginObjectCount(spec), live);
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
        const { results } = await fetchResults(handle);
        printResults(results, flags.output);
        if (flags.junit) await writeJunit(flags.junit, spec.name, results);
        log(`scenario ${spec.name} is ready: ${status.nodes.length} nodes, ${status.nodes.reduce((s, n) => s + n.vms, 0)} VMs`);
        log(`web UI: ${webUiLink(flags.uiUrl, namespace, spec.name)}`);
        log(`next: merak status ${spec.name} · merak scale ${spec.name} --vms-per-node N · merak test ${spec.name} · merak report ${spec.name} · merak down ${spec.name}`);
        if (results.some((r) => !r.pass)) process.exitCode = 1;
        // The report (issue 12): written where the local state is, its SLA gates enforced.
        const dir = defaultReportDir(spec.name);
        const report = await collectReport(handle);
        const written = await writeReport(report, { json: join(dir, 'report.json'), html: join(dir, 'report.html') });
        log(`report: ${written.html} (JSON: ${written.json}); again any time with: merak report ${spec.name} --html FILE`);
        enforceSla(report);
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
