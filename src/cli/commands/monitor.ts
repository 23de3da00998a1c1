import { Command, InvalidArgumentError, Option } from 'commander';
import { validateScenario } from '../../dataplane/names';
import { stateDirFromEnv } from '../../dataplane/owner-records';
import { readScenarioCounters } from '../../metrics/client';
import { monitorDocument, type MonitorDocument } from '../../model/counters';
import { renderMonitor } from '../../report/monitor';

interface MonitorFlags {
  interval: number;
  count?: number;
  output: 'table' | 'json';
  agent: string[];
  stateDir?: string;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0.2 || n > 3600) throw new InvalidArgumentError(`must be a number of seconds from 0.2 to 3600, got ${JSON.stringify(value)}`);
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new InvalidArgumentError(`must be an integer from 1 to 1000000, got ${JSON.stringify(value)}`);
  return n;
}

function agentUrl(value: string, previous: string[]): string[] {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new InvalidArgumentError(`must be a URL such as http://127.0.0.1:9478, got ${JSON.stringify(value)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgumentError(`must be an http(s) URL, got ${JSON.stringify(value)}`);
  return [...previous, value];
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

export function register(program: Command): void {
  program
    .command('monitor')
    .description("live eBPF counters of a scenario's nodes and endpoints: packet and byte rates, drops by the kernel's reason")
    .argument('<scenario>', 'scenario name')
    .option('--interval <seconds>', 'time between readings', seconds, 2)
    .option('--count <n>', 'stop after this many readings (default: until Ctrl-C)', positiveInt)
    .addOption(new Option('-o, --output <format>', 'table: refreshed in place on a terminal; json: one merak.monitor/v1 document per line per interval').choices(['table', 'json']).default('table'))
    .option('--agent <url>', "an agent's metrics server, e.g. http://10.0.0.5:9478 (repeatable; default: the agents running on this machine)", agentUrl, [])
    .option('--state-dir <dir>', 'where local agents register (env MERAK_STATE_DIR; default /var/lib/merak)')
    .action(async (scenario: string, flags: MonitorFlags, cmd: Command) => {
      try {
        validateScenario(scenario, 'scenario');
      } catch (e) {
        cmd.error(`merak monitor: ${(e as Error).message}`, { exitCode: 2 });
      }
      const source = { agents: flags.agent, stateDir: flags.stateDir ?? stateDirFromEnv() };
      const tty = flags.output === 'table' && process.stdout.isTTY === true;
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      if (tty) process.stdout.write('\u001b[?1049h\u001b[?25l'); // alternate screen, no cursor: the view is redrawn in place
      let prev: MonitorDocument | undefined;
      let shown = 0;
      try {
        while (!stop.signal.aborted && (flags.count === undefined || shown < flags.count)) {
          const started = Date.now();
          const { doc, agents, errors } = await readScenarioCounters(scenario, source);
          const cur = monitorDocument(prev, doc);
          prev = cur;
          shown++;
          if (flags.output === 'json') {
            process.stdout.write(`${JSON.stringify({ ...cur, agents, errors })}\n`);
          } else {
            const view = renderMonitor(cur, { rows: tty ? process.stdout.rows : 200, columns: tty ? process.stdout.columns : 200, source: `${agents.length} agent${agents.length === 1 ? '' : 's'}` });
            const errs = errors.map((e) => `agent not answering: ${e}\n`).join('');
            process.stdout.write(tty ? `\u001b[H\u001b[2J${view}${errs}` : `${view}${errs}\n`);
          }
          if (flags.count !== undefined && shown >= flags.count) break;
          await sleep(Math.max(0, flags.interval * 1000 - (Date.now() - started)), stop.signal);
        }
      } finally {
        if (tty) process.stdout.write('\u001b[?25h\u001b[?1049l');
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
