/**
 * Background processes `merak up` starts on the local machine (the reference plugin, the compute
 * worker, the node agents), detached with a log file, so they outlive the command.
 *
 * Several scenarios share them: one reference plugin per port, one compute worker per Temporal
 * target, and agents per node queue (`merak-agent-<node>` is the same queue whichever scenario
 * uses the node name). So a daemon is recorded once for the machine, under
 * `<state>/daemons/_shared/<key>.json` (`_` keeps it apart from the per-scenario folders of older versions), with the scenarios that use it (`users`). `up` adds its
 * scenario to the daemons it needs, starting only those not running; `down` removes it and
 * stops a daemon only when no scenario uses it any more. Every read-modify-write of the records
 * holds one lock (`<state>/daemons/registry.lock`), so two `up`s at once never start the same
 * daemon twice.
 *
 * A record names a process by pid, start time, boot and command line (process-identity.ts): a pid
 * that now belongs to another process (after a reboot or pid reuse) is never adopted and never
 * signalled.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packagePath } from '../install/paths';
import { withFileLock } from './file-lock';
import { isSameProcess, readProcessIdentity, stopIfSame, type RecordedProcess } from './process-identity';

/** Folder of the local state (dev server, daemons); git-ignored. Default `<package root>/.state`, or $MERAK_LOCAL_STATE. */
export function localStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.MERAK_LOCAL_STATE ?? packagePath('.state'));
}

/** The merak entry point (`<package root>/bin/merak.js`), for spawning sub-commands of this same installation. */
export function merakBin(): string {
  return packagePath('bin', 'merak.js');
}

/** What a daemon is for. */
export type DaemonKind = 'plugin' | 'compute' | 'agent';

/** A daemon as recorded. */
export interface Daemon extends RecordedProcess {
  /** Key of the record: `plugin-<port>`, `compute[-<target>]`, `agent-<…>`. */
  name: string;
  kind?: DaemonKind;
  logFile: string;
  /** Scenarios using it; it is stopped when the last one releases it. */
  users?: string[];
  /** Agents: the nodes whose queues it polls. */
  nodes?: string[];
  /** Agents: it also polls merak-agent-pool. */
  pool?: boolean;
  /** The Temporal flags it was started with, so only workers of the same target are shared. */
  temporal?: string[];
  startedAt?: string;
}

/** What a scenario asks for. */
export interface DaemonRequest {
  name: string;
  kind: DaemonKind;
  /** Arguments after `merak`. */
  args: string[];
  nodes?: string[];
  pool?: boolean;
  temporal?: string[];
}

/** How daemons are spawned; tests hand in their own command. */
export interface DaemonOptions {
  /** Folder of the local state. @default localStateDir() */
  stateDir?: string;
  /** The command a request's args are appended to. @default [node, merakBin()] */
  command?: string[];
  env?: NodeJS.ProcessEnv;
}

const sharedDir = (stateDir: string) => join(stateDir, 'daemons', '_shared');
const registryLock = (stateDir: string) => join(stateDir, 'daemons', 'registry');
/** Per-scenario records of versions before the shared registry. */
const legacyDir = (stateDir: string, scenario: string) => join(stateDir, 'daemons', scenario);

const KEY_RE = /^[a-z0-9][a-z0-9.-]{0,120}$/;

function readRecord(file: string): Daemon | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Daemon;
  } catch {
    return undefined;
  }
}

function writeRecord(stateDir: string, d: Daemon): void {
  const dir = sharedDir(stateDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${d.name}.json`);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(d, null, 2)}\n`);
  renameSync(tmp, file);
}

/** Every shared daemon record (live or not). */
export function listDaemons(options: Pick<DaemonOptions, 'stateDir'> = {}): Daemon[] {
  const dir = sharedDir(options.stateDir ?? localStateDir());
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => readRecord(join(dir, f)))
    .filter((d): d is Daemon => d !== undefined);
}

/** True while the recorded process is that daemon (same pid, start time, boot and command line). */
export function isRunning(d: RecordedProcess): boolean {
  return isSameProcess(d);
}

/** Spawns `command ... args` detached; its output goes to `<state>/daemons/<name>.log`. */
function spawnDaemon(stateDir: string, req: DaemonRequest, options: DaemonOptions): Daemon {
  const dir = join(stateDir, 'daemons');
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, `${req.name}.log`);
  const out = openSync(logFile, 'a');
  const argv = [...(options.command ?? [process.execPath, merakBin()]), ...req.args];
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', out, out], env: options.env ?? process.env });
  closeSync(out);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${req.name} (${argv.join(' ')}); see ${logFile}`);
  const identity = readProcessIdentity(child.pid);
  return {
    name: req.name,
    kind: req.kind,
    pid: child.pid,
    argv,
    ...(identity ? { startTicks: identity.startTicks, bootId: identity.bootId } : {}),
    logFile,
    users: [],
    ...(req.nodes ? { nodes: [...req.nodes] } : {}),
    ...(req.pool ? { pool: true } : {}),
    ...(req.temporal ? { temporal: [...req.temporal] } : {}),
    startedAt: new Date().toISOString(),
  };
}

/** Runs `fn` over the shared records while holding the registry lock. */
export async function withRegistry<T>(fn: (registry: Registry) => Promise<T> | T, options: DaemonOptions = {}): Promise<T> {
  const stateDir = options.stateDir ?? localStateDir();
  return withFileLock(registryLock(stateDir), async () => fn(new Registry(stateDir, options)));
}

/** The shared records, used only inside withRegistry (the lock is held). */
export class Registry {
  constructor(
    private readonly stateDir: string,
    private readonly options: DaemonOptions,
  ) {}

  /** Live daemons (records whose process is gone or is someone else's are left out). */
  live(): Daemon[] {
    return listDaemons({ stateDir: this.stateDir }).filter(isRunning);
  }

  /**
   * Adds `scenario` to the users of the daemon `req.name`, starting it first unless its record
   * names the live daemon. Returns the daemon and whether it was started now.
   */
  use(scenario: string, req: DaemonRequest): { daemon: Daemon; started: boolean } {
    if (!KEY_RE.test(req.name)) throw new Error(`internal: daemon name ${JSON.stringify(req.name)} must match ${KEY_RE}`);
    const held = readRecord(join(sharedDir(this.stateDir), `${req.name}.json`));
    let daemon: Daemon;
    let started = false;
    if (held && isRunning(held)) daemon = held;
    else {
      daemon = spawnDaemon(this.stateDir, req, this.options);
      started = true;
    }
    this.addUser(daemon, scenario);
    return { daemon, started };
  }

  /** Records `scenario` as a user of a live daemon. */
  addUser(daemon: Daemon, scenario: string): void {
    const users = new Set(daemon.users ?? []);
    users.add(scenario);
    daemon.users = [...users].sort();
    writeRecord(this.stateDir, daemon);
  }

  /** Drops a record (after its process is gone). */
  forget(name: string): void {
    rmSync(join(sharedDir(this.stateDir), `${name}.json`), { force: true });
  }
}

/** What `releaseDaemons` did. */
export interface ReleaseResult {
  /** Daemons stopped: the scenario was their last user. */
  stopped: string[];
  /** Daemons left running for other scenarios, with those scenarios. */
  kept: Array<{ name: string; users: string[] }>;
  /** Records whose pid was gone or belonged to another process: removed without sending any signal. */
  stale: string[];
}

/**
 * Removes `scenario` from the users of the named daemons (default: every daemon it uses, and its
 * records of older versions) and stops those no scenario uses any more. `othersUsing` may name
 * further scenarios that use a daemon without having registered (e.g. started from the Temporal
 * CLI); such a daemon is kept and they become its users. A daemon is signalled only while its
 * record still names that very process.
 */
export async function releaseDaemons(
  scenario: string,
  options: DaemonOptions & { names?: string[]; othersUsing?: (d: Daemon) => Promise<string[]>; graceMs?: number } = {},
): Promise<ReleaseResult> {
  const stateDir = options.stateDir ?? localStateDir();
  const result: ReleaseResult = { stopped: [], kept: [], stale: [] };
  const doomed: Daemon[] = [];
  await withRegistry(
    async (registry) => {
      for (const d of listDaemons({ stateDir })) {
        if (!(d.users ?? []).includes(scenario) || (options.names && !options.names.includes(d.name))) continue;
        if (!isRunning(d)) {
          registry.forget(d.name);
          result.stale.push(d.name);
          continue;
        }
        d.users = (d.users ?? []).filter((u) => u !== scenario);
        if (d.users.length === 0 && options.othersUsing) d.users = (await options.othersUsing(d)).filter((u) => u !== scenario).sort();
        if (d.users.length > 0) {
          registry.addUser(d, d.users[0]!);
          result.kept.push({ name: d.name, users: d.users });
          continue;
        }
        // Dropped from the registry now, stopped below outside the lock: a concurrent `up`
        // starts a fresh one rather than adopting a process about to exit.
        registry.forget(d.name);
        doomed.push(d);
      }
    },
    { ...options, stateDir },
  );
  for (const d of doomed) {
    if ((await stopIfSame(d, options.graceMs)) === 'not-ours') result.stale.push(d.name);
    else result.stopped.push(d.name);
  }
  // Records of versions before the shared registry: one folder per scenario.
  const legacy = legacyDir(stateDir, scenario);
  if (existsSync(legacy)) {
    for (const f of readdirSync(legacy).filter((n) => n.endsWith('.json') && (!options.names || options.names.includes(n.slice(0, -5))))) {
      const d = readRecord(join(legacy, f));
      if (d && Array.isArray(d.argv) && (await stopIfSame(d, options.graceMs)) !== 'not-ours') result.stopped.push(d.name);
      else result.stale.push(f.slice(0, -5));
      rmSync(join(legacy, f), { force: true });
    }
  }
  return result;
}

/** Names of the daemons a scenario uses (its shared ones, and records of older versions). */
export function daemonNames(scenario: string, options: Pick<DaemonOptions, 'stateDir'> = {}): string[] {
  const stateDir = options.stateDir ?? localStateDir();
  const shared = listDaemons({ stateDir })
    .filter((d) => (d.users ?? []).includes(scenario))
    .map((d) => d.name);
  const legacy = legacyDir(stateDir, scenario);
  const old = existsSync(legacy)
    ? readdirSync(legacy)
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -5))
    : [];
  return [...shared, ...old];
}

/** Releases the scenario's use of the named daemons, stopping those nobody else uses; returns the stopped ones. */
export async function stopDaemons(scenario: string, names: string[], graceMs = 15_000): Promise<string[]> {
  const r = await releaseDaemons(scenario, { names, graceMs });
  return r.stopped;
}
