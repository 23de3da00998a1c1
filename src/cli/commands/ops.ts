import { Command, InvalidArgumentError, Option } from 'commander';
import Table from 'cli-table3';
import { addTemporalOptions, type TemporalFlagValues } from '../../temporal/connection';
import { releaseDaemons, type Daemon } from '../../local/daemons';
import { createNetworkPluginClient } from '../../plugin/client';
import { scenarioWorkflowId } from '../../model/queues';
import { fetchResults, droppedNote } from '../results-fetch';
import { scaleUpdate, statusQuery, teardownSignal, testSignal } from '../../workflows/messages';
import type { ScenarioStatus } from '../../model/status';
import { TEST_KINDS, type TestKind } from '../../model/spec';
import { clientFor, scenarioCallError, scenarioHandle } from '../scenario-client';
import { LiveProgress } from '../live-progress';
import { FAN_OUT_LIMIT } from '../../model/progress';
import { printResults, writeJunit } from '../results-output';
import { collectReport, enforceSla } from '../report-output';
import { graphDot, graphMermaid } from '../graph';
import { scenarioListRow, scenarioListTable, statusCounts, type ScenarioListRow } from '../status-output';
import { forEachBounded } from '../../model/concurrency';

// Day-2 verbs on a running scenario: status, scale, test, graph, down.

type Output = 'table' | 'json';
interface Common extends TemporalFlagValues {
  output: Output;
}

const log = (line: string) => process.stderr.write(`merak: ${line}\n`);

function wholeNumber(flag: string) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw)) throw new InvalidArgumentError(`${flag} must be a whole number ≥ 0, got ${JSON.stringify(raw)}`);
    return Number(raw);
  };
}

function kinds(raw: string): TestKind[] {
  const list = raw.split(',').map((k) => k.trim());
  for (const k of list) {
    if (!(TEST_KINDS as readonly string[]).includes(k)) throw new InvalidArgumentError(`--kind: "${k}" is not one of ${TEST_KINDS.join(', ')}`);
  }
  return list as TestKind[];
}

function withCommon(cmd: Command): Command {
  return addTemporalOptions(cmd.addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table')));
}

async function withScenario<T>(flags: Common, name: string, fn: (h: ReturnType<typeof scenarioHandle>) => Promise<T>): Promise<T> {
  const { client, close } = await clientFor(flags);
  try {
    return await fn(scenarioHandle(client, name));
  } catch (err) {
    throw scenarioCallError(name, err);
  } finally {
    await close();
  }
}

/**
 * What `merak down` says of the workflow's end: the phase, the plugin objects deleted and the
 * cleanup errors (or that there were none); the error it ended with; or that there was none.
 */
export function outcomeText(outcome: unknown): string {
  if (outcome === undefined || outcome === null) return 'no such workflow';
  const o = outcome as { error?: string; phase?: string; deleted?: number; cleanupErrors?: string[] };
  if (o.error !== undefined) return `the workflow ended with an error: ${o.error}`;
  const errors = o.cleanupErrors ?? [];
  return `${o.phase ?? 'ended'}, ${o.deleted ?? 0} plugin objects deleted, ${errors.length === 0 ? 'no cleanup error' : `cleanup errors: ${errors.join('; ')}`}`;
}

function printStatus(s: ScenarioStatus, output: Output): void {
  if (output === 'json') {
    process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    return;
  }
  // Plain borders when piped: escape codes belong on a terminal only.
  const style = process.stdout.isTTY ? {} : { head: [], border: [] };
  const head = new Table({ style });
  head.push(
    { scenario: s.name },
    { phase: s.phase },
    { 'plugin objects': `${s.built.filter((b) => b.kind === 'vpc').length} VPCs, ${s.built.filter((b) => b.kind === 'subnet').length} subnets, ${s.built.filter((b) => b.kind === 'node').length} nodes` },
    ...statusCounts(s).map(([label, text]) => ({ [label]: text })),
  );
  if (s.error) head.push({ error: s.error });
  const unpolled = s.nodes.filter((n) => n.noPoller !== undefined).map((n) => n.name);
  if (unpolled.length > 0) {
    const list = `${unpolled.slice(0, 10).join(', ')}${unpolled.length > 10 ? ` and ${unpolled.length - 10} more` : ''}`;
    head.push({ 'no poller': `${list}: no worker polled their agent queue in the last 5 minutes (checked ${s.pollersCheckedAt}); start their agents (merak worker agent --node NAME)` });
  }
  if (s.cleanupErrors.length) head.push({ warnings: s.cleanupErrors.join('\n') });
  process.stdout.write(`${head.toString()}\n`);
  const nodes = new Table({ head: ['node', 'phase', 'VMs', 'desired', 'endpoints', 'note'], style });
  const note = (n: ScenarioStatus['nodes'][number]) => [n.running ? 'building' : '', n.noPoller !== undefined ? `no worker polls ${n.noPoller}` : ''].filter(Boolean).join('; ');
  for (const n of s.nodes) nodes.push([n.name, n.phase, n.vms, n.desiredVms, n.endpoints, note(n)]);
  process.stdout.write(`${nodes.toString()}\n`);
}

/** Waits until the scenario is back to `ready` (after a signal), bounded. */
async function waitReady(h: ReturnType<typeof scenarioHandle>, timeoutMs: number): Promise<ScenarioStatus> {
  const deadline = Date.now() + timeoutMs;
  await new Promise((r) => setTimeout(r, 300));
  for (;;) {
    const s = await h.query(statusQuery);
    if (s.phase === 'ready' || s.phase === 'failed') return s;
    if (Date.now() > deadline) throw new Error(`scenario ${s.name} is still ${s.phase} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Running scenario workflows looked at when deciding whether a shared daemon is still used (bounded). */
const MAX_OTHER_SCENARIOS = 200;

/**
 * Who else uses a local daemon without having registered with it (a scenario started from the
 * Temporal CLI, or by an older merak): for the workers, the other running scenarios on this
 * Temporal namespace (agents: those with one of the agent's nodes); for the reference plugin,
 * the scenarios owning objects in it.
 */
async function otherUsers(flags: Common, name: string): Promise<(d: Daemon) => Promise<string[]>> {
  let running: Array<{ name: string; nodes: string[] }> | undefined;
  const scenarios = async () => {
    if (running) return running;
    running = [];
    try {
      await withScenario(flags, name, async (h) => {
        const client = h.client;
        const query = `WorkflowType = 'scenarioWorkflow' AND ExecutionStatus = 'Running'`;
        for await (const wf of client.list({ query })) {
          if (wf.workflowId === scenarioWorkflowId(name) || running!.length >= MAX_OTHER_SCENARIOS) continue;
          const status = await client.getHandle(wf.workflowId).query(statusQuery).catch(() => undefined);
          running!.push({ name: status?.name ?? wf.workflowId.replace(/^merak-/, ''), nodes: status?.nodes.map((n) => n.name) ?? [] });
        }
      });
    } catch (err) {
      log(`could not list the other running scenarios (${err instanceof Error ? err.message : String(err)}); shared workers are stopped only if no recorded scenario uses them`);
    }
    return running;
  };
  return async (d: Daemon) => {
    if (d.kind === 'plugin') {
      const port = d.name.replace(/^plugin-/, '');
      const plugin = createNetworkPluginClient(`127.0.0.1:${port}`, { deadlineMs: 3_000 });
      try {
        const state = await plugin.getState();
        return [...new Set([...state.vpcs, ...state.subnets, ...state.nodes].map((o) => o.scenario).filter((s) => s !== '' && s !== name))];
      } catch {
        return [];
      } finally {
        plugin.close();
      }
    }
    const others = await scenarios();
    if (d.kind === 'agent' && !d.pool) return others.filter((o) => o.nodes.some((n) => (d.nodes ?? []).includes(n))).map((o) => o.name);
    return others.map((o) => o.name);
  };
}

/** Scenarios `merak status` lists at most (newest first). */
const MAX_LISTED = 200;
/** How long `merak status` waits for one scenario's answer when listing (a scenario whose worker is gone would hold the list). */
const LIST_QUERY_MS = 5_000;

/**
 * The scenario workflows of the namespace (running ones; with `all` the ended ones too, the
 * newest run of each), each with its status when it answers within LIST_QUERY_MS.
 */
async function listScenarios(client: Awaited<ReturnType<typeof clientFor>>['client'], all: boolean): Promise<ScenarioListRow[]> {
  const query = `WorkflowType = 'scenarioWorkflow'${all ? '' : ` AND ExecutionStatus = 'Running'`}`;
  const found = new Map<string, string>();
  for await (const wf of client.workflow.list({ query })) {
    // Newest first: a scenario that continued as new or was started again keeps its latest run.
    if (!found.has(wf.workflowId)) found.set(wf.workflowId, wf.status.name);
    if (found.size >= MAX_LISTED) {
      log(`listing the first ${MAX_LISTED} scenarios only`);
      break;
    }
  }
  const rows = new Map<string, ScenarioListRow>();
  await forEachBounded([...found], 8, async ([id, execution]) => {
    if (execution !== 'RUNNING') {
      rows.set(id, scenarioListRow(id, execution, undefined));
      return;
    }
    try {
      const status = await client.withDeadline(Date.now() + LIST_QUERY_MS, () => client.workflow.getHandle(id).query(statusQuery));
      rows.set(id, scenarioListRow(id, execution, status));
    } catch (err) {
      rows.set(id, scenarioListRow(id, execution, undefined, `did not answer (${err instanceof Error ? err.message.split('\n')[0] : String(err)}): is the compute worker running?`));
    }
  });
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function register(program: Command): void {
  withCommon(
    program
      .command('status [name]')
      .alias('inspect')
      .description('phase, plugin objects and per-node VM counts of a scenario; without a name, every running scenario (name, phase, nodes, VMs)')
      .option('--all', 'without a name: also the scenarios whose workflow has ended (torn down, failed, terminated)'),
  ).action(async (name: string | undefined, flags: Common & { all?: boolean }) => {
    const { client, close } = await clientFor(flags);
    try {
      if (name === undefined) {
        const rows = await listScenarios(client, flags.all === true);
        if (flags.output === 'json') process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else process.stdout.write(scenarioListTable(rows, process.stdout.isTTY === true));
        return;
      }
      const status = await scenarioHandle(client, name).query(statusQuery);
      // Nodes still building: their live VM counts, from their own workflows.
      printStatus(await new LiveProgress(client, name, FAN_OUT_LIMIT).refresh(status), flags.output);
    } finally {
      await close();
    }
  });

  withCommon(
    program
      .command('scale <name>')
      .description('change VMs per node, for all nodes or one (an Update: bad values are refused with a message)')
      .requiredOption('--vms-per-node <n>', 'new VM count per node', wholeNumber('--vms-per-node'))
      .option('--node <node>', 'only this node'),
  ).action(async (name: string, flags: Common & { vmsPerNode: number; node?: string }) => {
    const result = await withScenario(flags, name, (h) => h.executeUpdate(scaleUpdate, { args: [{ vmsPerNode: flags.vmsPerNode, ...(flags.node ? { node: flags.node } : {}) }] }));
    if (flags.output === 'json') process.stdout.write(`${JSON.stringify(result)}\n`);
    else log(`scaled ${result.nodes.length ? result.nodes.join(', ') : 'no node (already at that count)'} to ${result.vmsPerNode} VMs`);
  });

  withCommon(
    program
      .command('test <name>')
      .description('rerun the connectivity tests and print the results')
      .option('--kind <kinds>', `comma-separated kinds (${TEST_KINDS.join(',')})`, kinds)
      .option('--junit <file>', 'also write JUnit XML')
      .option('--timeout <seconds>', 'how long to wait', (v) => Number(v), 300)
      .option('--no-run', 'only print the last results'),
  ).action(async (name: string, flags: Common & { kind?: TestKind[]; junit?: string; timeout: number; run: boolean }) => {
    const results = await withScenario(flags, name, async (h) => {
      if (flags.run) {
        await h.signal(testSignal, flags.kind ? { kinds: flags.kind } : {});
        await waitReady(h, flags.timeout * 1000);
      }
      const fetched = await fetchResults(h);
      const note = droppedNote(fetched);
      if (note) process.stderr.write(`merak: ${note}\n`);
      return fetched.results;
    });
    printResults(results, flags.output);
    if (flags.junit) await writeJunit(flags.junit, name, results);
    if (results.some((r) => !r.pass)) process.exitCode = 1;
    // SLA gates (spec `sla`) are judged on the new results and everything measured so far.
    enforceSla(await withScenario(flags, name, (h) => collectReport(h)));
  });

  withCommon(
    program
      .command('graph <name>')
      .description('nodes, VPCs and VMs of a live scenario as Mermaid or DOT')
      .addOption(new Option('--format <format>', 'graph language').choices(['mermaid', 'dot']).default('mermaid')),
  ).action(async (name: string, flags: Common & { format: 'mermaid' | 'dot' }) => {
    const status = await withScenario(flags, name, (h) => h.query(statusQuery));
    process.stdout.write(flags.format === 'dot' ? graphDot(status) : graphMermaid(status));
  });

  withCommon(
    program
      .command('down <name>')
      .alias('destroy')
      .description('tear a scenario down (VMs, nodes, subnets, VPCs, in reverse) and stop the local processes merak up started for it')
      .option('--timeout <seconds>', 'how long to wait', (v) => Number(v), 600),
  ).action(async (name: string, flags: Common & { timeout: number }) => {
    const outcome = await withScenario(flags, name, async (h) => {
      const desc = await h.describe().catch(() => undefined);
      if (desc?.status.name === 'RUNNING') {
        await h.signal(teardownSignal);
        log(`tearing down scenario ${name}…`);
      }
      if (!desc) return undefined;
      return Promise.race([
        h.result().catch((e: unknown) => ({ error: e instanceof Error ? e.message : String(e) })),
        new Promise((_, rej) => setTimeout(() => rej(new Error(`teardown of ${name} not finished after ${flags.timeout} s`)), flags.timeout * 1000).unref()),
      ]);
    });
    const released = await releaseDaemons(name, { othersUsing: await otherUsers(flags, name) });
    const { stopped, kept } = released;
    if (flags.output === 'json') process.stdout.write(`${JSON.stringify({ outcome, stopped, kept })}\n`);
    else {
      log(`scenario ${name}: ${outcomeText(outcome)}; stopped ${stopped.length ? stopped.join(', ') : 'no local process'}`);
      for (const k of kept) log(`kept ${k.name} running for ${k.users.join(', ')}`);
    }
  });
}
