import { Command, InvalidArgumentError, Option } from 'commander';
import {
  devServerStatus,
  startDevServer,
  stopDevServer,
  type DevServerStatus,
} from '../../temporal/dev-server';
import type { DevServerOptions } from '../../temporal/dev-server-config';

// `merak server start|stop|status`: the local Temporal dev server (gRPC, web UI, persistent SQLite).

interface ServerFlags {
  ip?: string;
  port?: number;
  uiPort?: number;
  ui?: boolean;
  namespace?: string;
  stateDir?: string;
  dbFile?: string;
  output: 'table' | 'json';
}

function integer(flag: string) {
  return (raw: string): number => {
    if (!/^\d+$/.test(raw)) throw new InvalidArgumentError(`${flag} must be a whole number, got ${JSON.stringify(raw)}`);
    return Number(raw);
  };
}

function withServerOptions(cmd: Command): Command {
  return cmd
    .option('--ip <ip>', 'address the server binds to (default 127.0.0.1)')
    .option('--port <port>', 'gRPC port (default 7233)', integer('--port'))
    .option('--ui-port <port>', 'web UI port (default 8233)', integer('--ui-port'))
    .option('--no-ui', 'run without the web UI')
    .option('--namespace <name>', 'namespace to create (default "default")')
    .option('--state-dir <dir>', 'folder for the SQLite file, pid file and log (default <repo>/.state/temporal)')
    .option('--db-file <file>', 'SQLite file (default <state-dir>/temporal.sqlite)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'));
}

function toOptions(flags: ServerFlags): DevServerOptions {
  const options: DevServerOptions = {};
  if (flags.ip !== undefined) options.ip = flags.ip;
  if (flags.port !== undefined) options.port = flags.port;
  if (flags.uiPort !== undefined) options.uiPort = flags.uiPort;
  if (flags.ui === false) options.ui = false;
  if (flags.namespace !== undefined) options.namespace = flags.namespace;
  if (flags.stateDir !== undefined) options.stateDir = flags.stateDir;
  if (flags.dbFile !== undefined) options.dbFile = flags.dbFile;
  return options;
}

function printStatus(status: DevServerStatus & { started?: boolean }, output: ServerFlags['output']): void {
  if (output === 'json') {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return;
  }
  const state = status.running ? (status.healthy ? 'running, healthy' : 'running, NOT answering') : 'stopped';
  const rows: [string, string][] = [
    ['state', status.pid !== undefined ? `${state} (pid ${status.pid})` : state],
    ['address', status.address],
    ['namespace', status.namespace],
    ['web UI', status.uiUrl ?? '(off)'],
    ['database', status.dbFile],
    ['log', status.logFile],
  ];
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(10)} ${v}\n`);
}

export function register(program: Command): void {
  const server = program.command('server').description('run the local Temporal dev server (gRPC :7233, web UI :8233, history kept in SQLite)');

  withServerOptions(server.command('start'))
    .description('start the dev server in the background and wait until it answers')
    .option('--timeout <seconds>', 'how long to wait for it to become healthy', integer('--timeout'), 60)
    .action(async (flags: ServerFlags & { timeout: number }) => {
      const result = await startDevServer({ ...toOptions(flags), healthyTimeoutMs: flags.timeout * 1000 });
      process.stderr.write(result.started ? 'merak: Temporal dev server started\n' : 'merak: Temporal dev server was already running\n');
      printStatus(result, flags.output);
    });

  withServerOptions(server.command('stop'))
    .description('stop the dev server (SIGTERM, then SIGKILL after the grace period); history stays in the SQLite file')
    .option('--grace <seconds>', 'seconds to wait after SIGTERM', integer('--grace'), 15)
    .action(async (flags: ServerFlags & { grace: number }) => {
      const result = await stopDevServer({ ...toOptions(flags), graceMs: flags.grace * 1000 });
      if (flags.output === 'json') {
        process.stdout.write(`${JSON.stringify({ stopped: result.pid !== undefined, ...result })}\n`);
      } else if (result.pid === undefined) {
        process.stdout.write('not running\n');
      } else {
        process.stdout.write(`stopped pid ${result.pid}${result.killed ? ' (SIGKILL after the grace period)' : ''}\n`);
      }
    });

  withServerOptions(server.command('status'))
    .description('show whether the dev server runs and answers')
    .action(async (flags: ServerFlags) => {
      const status = await devServerStatus(toOptions(flags));
      printStatus(status, flags.output);
      if (!status.running || !status.healthy) process.exitCode = 3;
    });
}
