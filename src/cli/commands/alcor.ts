import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { spawnRunner } from '../../dataplane/command';
import { FileOwnerRecords, stateDirFromEnv } from '../../dataplane/owner-records';
import { startHostAgent } from '../../plugin/alcor/host-agent';
import {
  ALCOR_NAME_RE,
  alcorControlPlaneStatus,
  startAlcorControlPlane,
  stopAlcorControlPlane,
} from '../../local/alcor-control-plane';

// `merak alcor up|down|status`: a local Alcor control plane (Ignite and eleven Alcor services in a
// namespace of their own, REST ports forwarded to a loopback address). docs/providers/alcor.md.

const log = (line: string): void => {
  process.stderr.write(`merak alcor: ${line}\n`);
};

function name(raw: string): string {
  if (!ALCOR_NAME_RE.test(raw)) throw new InvalidArgumentError(`--name must match ${ALCOR_NAME_RE}, got ${JSON.stringify(raw)}`);
  return raw;
}

function seconds(raw: string): number {
  if (!/^[1-9]\d{0,3}$/.test(raw)) throw new InvalidArgumentError(`--connect-timeout must be 1..9999 seconds, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/**
 * The Alcor build: --home, else $MERAK_ALCOR_HOME, else what scripts/provide-alcor.sh prints
 * (it builds once, then answers from its cache).
 */
function alcorHome(flag: string | undefined): string {
  const given = flag ?? process.env.MERAK_ALCOR_HOME;
  if (given) return resolve(given);
  const script = resolve(__dirname, '..', '..', '..', 'scripts', 'provide-alcor.sh');
  if (!existsSync(script)) throw new Error(`no Alcor build given: pass --home DIR or set MERAK_ALCOR_HOME (scripts/provide-alcor.sh is not shipped at ${script})`);
  log(`finding the Alcor build with ${script} (builds it the first time: minutes)`);
  return execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

interface UpFlags {
  name: string;
  home?: string;
  listen: string;
  stateDir?: string;
  connectTimeout: number;
}

async function up(flags: UpFlags): Promise<void> {
  const home = alcorHome(flags.home);
  const running = await startAlcorControlPlane({
    name: flags.name,
    home,
    listenHost: flags.listen,
    stateDir: flags.stateDir,
    connectTimeoutSec: flags.connectTimeout,
    runner: spawnRunner,
    log,
  });
  const r = running.record;
  process.stdout.write(
    `${JSON.stringify({ name: r.name, netns: r.netns, alcor: `http://${r.listenHost}`, logs: running.logDir, startSeconds: Math.round(running.startSeconds * 10) / 10, processes: r.processes.map((p) => ({ role: p.role, pidfile: p.pidfile })) }, null, 2)}\n`,
  );
}

async function down(flags: { name: string; stateDir?: string }): Promise<void> {
  const r = await stopAlcorControlPlane({ name: flags.name, stateDir: flags.stateDir, runner: spawnRunner });
  log(`${r.name}: stopped ${r.stopped} processes${r.netnsDeleted ? ', namespace deleted' : ''}`);
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

async function status(flags: { name: string; stateDir?: string }): Promise<void> {
  const s = await alcorControlPlaneStatus({ name: flags.name, stateDir: flags.stateDir });
  process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
  if (!s.recorded) process.exitCode = 3;
}

interface HostAgentFlags {
  listen: string;
  store: string;
  scenario: string;
  node: string;
  tag: string;
  stateDir?: string;
  /** Only names the process (daemon.ts); the starter writes the file. */
  pidfile?: string;
}

/** The host agent in the foreground (the `alcor` endpoint plugin starts it inside a node namespace). */
async function hostAgent(flags: HostAgentFlags): Promise<void> {
  const agentLog = (line: string): void => {
    process.stderr.write(`${new Date().toISOString()} alcor host agent ${flags.node}: ${line}\n`);
  };
  const running = await startHostAgent({
    listen: flags.listen,
    storeDir: flags.store,
    scenario: flags.scenario,
    node: flags.node,
    tag: flags.tag,
    records: new FileOwnerRecords(flags.stateDir ?? stateDirFromEnv()),
    runner: spawnRunner,
    log: agentLog,
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      agentLog(`${signal}: stopping`);
      void running.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export function register(program: Command): void {
  const alcor = program.command('alcor').description('a local Alcor control plane (docs/providers/alcor.md)');
  const stateDir = new Option('--state-dir <dir>', 'state directory: owner records (providers/alcor-<name>) and logs (alcor/<name>) (env MERAK_STATE_DIR; default /var/lib/merak)');
  alcor
    .command('up')
    .description('start Ignite and the Alcor services in namespace mk-alcor-<name>; REST on <listen>:9001-9015 (needs about 4 GiB of free memory)')
    .option('--name <name>', 'control plane name', name, 'default')
    .option('--home <dir>', 'the Alcor build (default: $MERAK_ALCOR_HOME, else scripts/provide-alcor.sh)')
    .option('--listen <address>', 'loopback address for the forwarded REST ports', '127.0.0.1')
    .option('--connect-timeout <seconds>', "data-plane manager's wait for goal-state replies", seconds, 5)
    .addOption(stateDir)
    .action(up);
  alcor
    .command('down')
    .description('stop the recorded processes, delete the namespace and the records (merak clean --all does the same)')
    .option('--name <name>', 'control plane name', name, 'default')
    .addOption(stateDir)
    .action(down);
  alcor
    .command('host-agent', { hidden: true })
    .description("serve Alcor's goal-state interface for one node and build its VPCs (run inside the node's namespace; the alcor endpoint plugin starts it)")
    .requiredOption('--listen <address>', "the node's underlay address")
    .requiredOption('--store <dir>', "folder of the node's goal states")
    .requiredOption('--scenario <name>', 'scenario')
    .requiredOption('--node <name>', 'node')
    .requiredOption('--tag <tag>', "the scenario's tag")
    .option('--state-dir <dir>', 'owner records (default: $MERAK_STATE_DIR or /var/lib/merak)')
    .option('--pidfile <file>', "names this process in the node's owner records (the starter writes the file)")
    .action(hostAgent);
  alcor
    .command('status')
    .description('what the record says and which processes still run (exit 3: nothing recorded)')
    .option('--name <name>', 'control plane name', name, 'default')
    .addOption(stateDir)
    .action(status);
}
