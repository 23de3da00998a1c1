/**
 * Background processes `merak up` starts on the local machine (the reference plugin, the compute
 * worker, the node agents), each detached with a log file and a pid file under the state folder,
 * so they outlive the command and `merak down` can stop exactly the ones it started.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packagePath } from '../install/paths';

/** Folder of the local state (dev server, daemons); git-ignored. Default `<package root>/.state`, or $MERAK_LOCAL_STATE. */
export function localStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.MERAK_LOCAL_STATE ?? packagePath('.state'));
}

/** The merak entry point (`<package root>/bin/merak.js`), for spawning sub-commands of this same installation. */
export function merakBin(): string {
  return packagePath('bin', 'merak.js');
}

export interface Daemon {
  name: string;
  pid: number;
  logFile: string;
  argv: string[];
}

function daemonDir(scenario: string): string {
  return join(localStateDir(), 'daemons', scenario);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts `merak <args>` detached; returns at once. Its output goes to `<state>/daemons/<scenario>/<name>.log`. */
export function startDaemon(scenario: string, name: string, args: string[], env: NodeJS.ProcessEnv = process.env): Daemon {
  const dir = daemonDir(scenario);
  mkdirSync(dir, { recursive: true });
  const existing = readDaemon(scenario, name);
  if (existing && isAlive(existing.pid)) return existing;
  const logFile = join(dir, `${name}.log`);
  const out = openSync(logFile, 'a');
  const argv = [process.execPath, merakBin(), ...args];
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', out, out], env });
  closeSync(out);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${name} (merak ${args.join(' ')}); see ${logFile}`);
  const daemon: Daemon = { name, pid: child.pid, logFile, argv };
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(daemon, null, 2));
  return daemon;
}

export function readDaemon(scenario: string, name: string): Daemon | undefined {
  const file = join(daemonDir(scenario), `${name}.json`);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as Daemon;
}

/** Stops the named daemons of a scenario (SIGTERM, then SIGKILL after `graceMs`); removes their records. */
export async function stopDaemons(scenario: string, names: string[], graceMs = 15_000): Promise<string[]> {
  const stopped: string[] = [];
  for (const name of names) {
    const d = readDaemon(scenario, name);
    if (!d) continue;
    if (isAlive(d.pid)) {
      process.kill(d.pid, 'SIGTERM');
      const deadline = Date.now() + graceMs;
      while (isAlive(d.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (isAlive(d.pid)) process.kill(d.pid, 'SIGKILL');
      stopped.push(name);
    }
    rmSync(join(daemonDir(scenario), `${name}.json`), { force: true });
  }
  return stopped;
}

/** Names of the daemons recorded for a scenario. */
export function daemonNames(scenario: string): string[] {
  const dir = daemonDir(scenario);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5));
}
