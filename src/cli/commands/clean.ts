import { Command, Option } from 'commander';
import Table from 'cli-table3';
import { cleanAll, cleanScenario, type CleanSummary } from '../../dataplane/clean';
import { spawnRunner } from '../../dataplane/command';
import { FileOwnerRecords, stateDirFromEnv } from '../../dataplane/owner-records';
import { validateScenario } from '../../dataplane/names';

// `merak clean`: remove exactly what the owner records name, never anything matched by pattern.

interface CleanFlags {
  scenario?: string;
  all?: boolean;
  stateDir?: string;
  output: 'table' | 'json';
}

export function printCleanSummaries(rows: CleanSummary[], output: 'table' | 'json'): void {
  if (output === 'json') {
    process.stdout.write(JSON.stringify(rows) + '\n');
    return;
  }
  const t = new Table({ head: ['scenario', 'namespaces removed', 'links removed', 'daemons stopped', 'OVN rows deleted'] });
  for (const r of rows) t.push([r.scenario, r.netns, r.links, r.daemons, r.rows]);
  process.stdout.write((rows.length ? t.toString() : 'nothing recorded: nothing to clean') + '\n');
}

export function register(program: Command): void {
  program
    .command('clean')
    .description('remove the namespaces, devices, daemons and OVN rows a scenario recorded (or every scenario and provider control plane with --all), and the records')
    .option('--scenario <name>', 'scenario to clean')
    .option('--all', 'clean every scenario recorded in the state directory')
    .option('--state-dir <dir>', 'owner records (env MERAK_STATE_DIR; default /var/lib/merak)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (flags: CleanFlags) => {
      if (!!flags.scenario === !!flags.all) throw new Error('give exactly one of --scenario NAME or --all');
      const records = new FileOwnerRecords(flags.stateDir ?? stateDirFromEnv());
      const deps = { runner: spawnRunner, records };
      const rows = flags.all ? await cleanAll(deps) : [await cleanScenario(deps, validateScenario(flags.scenario, '--scenario'))];
      printCleanSummaries(rows, flags.output);
    });
}
