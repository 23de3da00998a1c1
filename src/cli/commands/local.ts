import { Command, InvalidArgumentError, Option } from 'commander';
import Table from 'cli-table3';
import { createAgentActivities } from '../../activities/agent/activities';
import { cleanScenario } from '../../dataplane/clean';
import { spawnRunner } from '../../dataplane/command';
import { FileOwnerRecords, stateDirFromEnv } from '../../dataplane/owner-records';
import { fabricNetns, nodeNetns, validateScenario } from '../../dataplane/names';
import { DEFAULT_UNDERLAY_CIDR } from '../../dataplane/underlay';
import { createPluginRegistry, pluginDirsFromEnv } from '../../endpoint-plugins/registry';
import { printCleanSummaries } from './clean';

// `merak local up|down`: the local emulated cloud (fabric namespace + node namespaces).

interface UpFlags {
  scenario: string;
  nodes: number;
  underlay: string;
  nodePrefix: string;
  stateDir?: string;
  output: 'table' | 'json';
}

function count(raw: string): number {
  if (!/^[1-9]\d{0,3}$/.test(raw) || Number(raw) > 4096) throw new InvalidArgumentError(`--nodes must be a whole number from 1 to 4096, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function agentFor(stateDir: string | undefined) {
  const records = new FileOwnerRecords(stateDir ?? stateDirFromEnv());
  return {
    records,
    agent: createAgentActivities({ mode: 'local', runner: spawnRunner, records, plugins: createPluginRegistry({ runner: spawnRunner, dirs: pluginDirsFromEnv() }) }),
  };
}

export function register(program: Command): void {
  const local = program.command('local').description('the local emulated cloud: a fabric namespace and node namespaces on this machine');
  local
    .command('up')
    .description('create the fabric namespace (underlay bridge) and N node namespaces joined to it; idempotent')
    .requiredOption('--scenario <name>', 'scenario owning the nodes')
    .requiredOption('--nodes <n>', 'number of nodes', count)
    .option('--underlay <cidr>', 'underlay CIDR, only ever inside the fabric and node namespaces', DEFAULT_UNDERLAY_CIDR)
    .option('--node-prefix <prefix>', 'nodes are named <prefix>-0 .. <prefix>-(N-1)', 'node')
    .option('--state-dir <dir>', 'owner records (env MERAK_STATE_DIR; default /var/lib/merak)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (flags: UpFlags) => {
      const scenario = validateScenario(flags.scenario, '--scenario');
      const { agent } = agentFor(flags.stateDir);
      const rows: Array<{ node: string; slot: number; netns: string; underlay: string; created: boolean }> = [];
      let fabric = '';
      for (let slot = 0; slot < flags.nodes; slot++) {
        const node = `${flags.nodePrefix}-${slot}`;
        const r = await agent.ensureNode({ scenario, node, nodeSlot: slot, underlayCidr: flags.underlay });
        fabric = fabricNetns(r.tag);
        rows.push({ node, slot, netns: nodeNetns(r.tag, node), underlay: r.underlay, created: r.created });
        process.stderr.write(`merak: node ${node} ${r.created ? 'created' : 'already there'} (${r.underlay})\n`);
      }
      if (flags.output === 'json') {
        process.stdout.write(JSON.stringify({ scenario, fabric, nodes: rows }) + '\n');
        return;
      }
      const t = new Table({ head: ['node', 'slot', 'namespace', 'underlay', 'created'] });
      for (const r of rows) t.push([r.node, r.slot, r.netns, r.underlay, r.created ? 'yes' : 'no']);
      process.stdout.write(`fabric namespace ${fabric}\n${t.toString()}\nstart the agents: merak worker agent ${rows.map((r) => `--node ${r.node}`).join(' ')}\n`);
    });
  local
    .command('down')
    .description('remove everything the scenario recorded on this machine (same as merak clean --scenario)')
    .requiredOption('--scenario <name>', 'scenario to remove')
    .option('--state-dir <dir>', 'owner records (env MERAK_STATE_DIR; default /var/lib/merak)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (flags: { scenario: string; stateDir?: string; output: 'table' | 'json' }) => {
      const scenario = validateScenario(flags.scenario, '--scenario');
      const { records } = agentFor(flags.stateDir);
      printCleanSummaries([await cleanScenario({ runner: spawnRunner, records }, scenario)], flags.output);
    });
}
