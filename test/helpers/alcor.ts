import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The Alcor build the Alcor suite runs: $MERAK_ALCOR_HOME, else what scripts/provide-alcor.sh
 * prints (cached per machine in ${MERAK_CACHE_DIR:-~/.cache/merak}/alcor; CI provides it in its own timed section before the tests).
 */
export function alcorHome(): string {
  if (process.env.MERAK_ALCOR_HOME) return resolve(process.env.MERAK_ALCOR_HOME);
  const script = join(__dirname, '..', '..', 'scripts', 'provide-alcor.sh');
  return execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 45 * 60_000 }).trim();
}

/** The built CLI starts the host agents (`merak alcor host-agent`): it must exist. */
export function requireBuiltCli(): void {
  const root = join(__dirname, '..', '..');
  if (!existsSync(join(root, 'dist', 'plugin', 'alcor', 'host-agent.js'))) {
    throw new Error('dist/plugin/alcor/host-agent.js is missing: run `npm run build` before the Alcor suite (the endpoint plugin starts each node\'s host agent from the built CLI)');
  }
}

/** Named namespaces whose name contains `part`. */
export function namespacesWith(part: string): string[] {
  return (existsSync('/run/netns') ? readdirSync('/run/netns') : []).filter((n) => n.includes(part));
}

/** Pids of live processes whose command line contains `part` (read from /proc, never signalled). */
export function processesWith(part: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(part)) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
