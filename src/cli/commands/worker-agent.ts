import { Command, InvalidArgumentError, Option } from 'commander';
import { NativeConnection } from '@temporalio/worker';
import { addTemporalOptions, resolveTemporalOptions, toNativeConnectionOptions, type TemporalFlagValues } from '../../temporal/connection';
import { createAgentWorkers, agentQueue } from '../../workers/agent';
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
    .option('--plugin-dir <dir>', 'directory of executable endpoint plugins (repeatable; env MERAK_PLUGIN_DIRS; default the shipped plugins/)', collect, []);
  addTemporalOptions(agent).action(async (flags: AgentFlags) => {
    if (flags.node.length === 0 && !flags.pool) agent.error('merak worker agent: give --node NAME (repeatable) and/or --pool', { exitCode: 2 });
    if (process.getuid?.() !== 0) process.stderr.write('merak: warning: the agent makes namespaces and devices; it normally runs as root\n');
    const resolved = resolveTemporalOptions(flags, process.env);
    const connection = await NativeConnection.connect(await toNativeConnectionOptions(resolved));
    try {
      const workers = await createAgentWorkers({
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
      await connection.close();
    }
  });
}
