import { Command, InvalidArgumentError, Option } from 'commander';
import { NativeConnection } from '@temporalio/worker';
import { addTemporalOptions, resolveTemporalOptions, toNativeConnectionOptions, type TemporalFlagValues } from '../../temporal/connection';
import { createAgentWorkers, agentQueue } from '../../workers/agent';
import { COLLECTOR_MODES, createNodeCollectors, type CollectorMode } from '../../activities/agent/collectors';
import { spawnRunner } from '../../dataplane/command';
import { FileOwnerRecords, stateDirFromEnv } from '../../dataplane/owner-records';
import { DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT, METRICS_HOST_ENV, METRICS_PORT_ENV, parseMetricsPort } from '../../metrics/server';
import { startAgentMetrics } from '../../workers/metrics';
import { createTestingActivities } from '../../activities/testing/activities';
import { NODE_RE } from '../../model/names';
import { AGENT_POOL_TASK_QUEUE } from '../../model/queues';
import { workerCommand, runUntilSignalled } from './worker';

// `merak worker agent --node NAME [--node NAME2 ...]`: the node agents of this machine.

interface AgentFlags extends TemporalFlagValues {
  node: string[];
  pool: boolean;
  mode: 'local' | 'pod';
  stateDir?: string;
  pluginDir: string[];
  collector: CollectorMode;
  metricsPort?: string;
  metricsHost: string;
}

function collectNode(value: string, previous: string[]): string[] {
  if (!NODE_RE.test(value)) throw new InvalidArgumentError(`--node must match ${NODE_RE}, got ${JSON.stringify(value)}`);
  return [...previous, value];
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function register(program: Command): void {
  const agent = workerCommand(program)
    .command('agent')
    .description('poll merak-agent-<node> for each --node (namespaces, veths and endpoint plugins of that node), and merak-agent-pool with --pool')
    .option('--node <name>', 'node to serve (repeatable: one process may host several local nodes)', collectNode, [])
    .option('--pool', 'also serve merak-agent-pool: every node of scenarios with agentPool: true (dataplane none)', false)
    .addOption(new Option('--mode <mode>', 'local: nodes are namespaces Merak makes; pod: this process\'s namespace is the node').choices(['local', 'pod']).default(process.env.MERAK_NODE_MODE ?? 'local'))
    .option('--state-dir <dir>', 'owner records (env MERAK_STATE_DIR; default /var/lib/merak)')
    .option('--plugin-dir <dir>', 'directory of executable endpoint plugins (repeatable; env MERAK_PLUGIN_DIRS; default the shipped plugins/)', collect, [])
    .addOption(
      new Option('--collector <mode>', 'eBPF counters per node: on (a node fails without them), auto (where the collector can run), off')
        .choices([...COLLECTOR_MODES])
        .default(process.env.MERAK_COLLECTOR_MODE ?? 'auto'),
    )
    .option('--metrics-port <port>', `port of /metrics and /counters: a number (0: any free port) or off (env ${METRICS_PORT_ENV.agent}; default ${DEFAULT_METRICS_PORT.agent}, any free port if taken)`)
    .option('--metrics-host <host>', `address /metrics listens on (env ${METRICS_HOST_ENV})`, process.env[METRICS_HOST_ENV] ?? DEFAULT_METRICS_HOST);
  addTemporalOptions(agent).action(async (flags: AgentFlags) => {
    if (flags.node.length === 0 && !flags.pool) agent.error('merak worker agent: give --node NAME (repeatable) and/or --pool', { exitCode: 2 });
    if (process.getuid?.() !== 0) process.stderr.write('merak: warning: the agent makes namespaces and devices; it normally runs as root\n');
    const resolved = resolveTemporalOptions(flags, process.env);
    const rawPort = flags.metricsPort ?? process.env[METRICS_PORT_ENV.agent];
    let metricsPort: number | undefined;
    try {
      metricsPort = parseMetricsPort(rawPort ?? String(DEFAULT_METRICS_PORT.agent), flags.metricsPort !== undefined ? '--metrics-port' : METRICS_PORT_ENV.agent);
    } catch (e) {
      agent.error(`merak worker agent: ${(e as Error).message}`, { exitCode: 2 });
    }
    const stateDir = flags.stateDir ?? stateDirFromEnv();
    const collectors = createNodeCollectors({ mode: flags.collector, runner: spawnRunner, records: new FileOwnerRecords(stateDir), nodeMode: flags.mode });
    const connection = await NativeConnection.connect(await toNativeConnectionOptions(resolved));
    let metrics: Awaited<ReturnType<typeof startAgentMetrics>> | undefined;
    try {
      if (metricsPort !== undefined) {
        metrics = await startAgentMetrics({ collectors, nodes: flags.node, stateDir, host: flags.metricsHost, port: metricsPort, portIsDefault: rawPort === undefined });
        process.stderr.write(`merak: agent metrics on ${metrics.url}/metrics, counters on ${metrics.url}/counters (eBPF collectors: ${flags.collector})\n`);
      }
      const workers = await createAgentWorkers({
        collectors,
        connection,
        namespace: resolved.namespace,
        nodes: flags.node,
        pool: flags.pool,
        mode: flags.mode,
        stateDir: flags.stateDir,
        pluginDirs: flags.pluginDir.length ? flags.pluginDir : undefined,
        // The connectivity tests run from this node's VMs, on the same queue.
        extraActivities: createTestingActivities(flags.stateDir ? { stateDir: flags.stateDir } : {}),
      });
      process.stderr.write(`merak: agent (${flags.mode} mode) polling ${[...(flags.pool ? [AGENT_POOL_TASK_QUEUE] : []), ...flags.node.map(agentQueue)].join(', ')} on ${resolved.address} (namespace ${resolved.namespace})\n`);
      await runUntilSignalled({
        run: async () => void (await Promise.all(workers.map((w) => w.run()))),
        shutdown: () => workers.forEach((w) => w.shutdown()),
      });
    } finally {
      await metrics?.close();
      await connection.close();
    }
  });
}
