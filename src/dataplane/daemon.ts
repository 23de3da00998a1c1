/**
 * Daemons Merak starts inside namespaces (OVS and OVN daemons; the JVMs and forwarder of a local
 * Alcor control plane and each node's Alcor host agent, through spawnDaemon): started detached
 * with a pid file whose path is known before the start, so the owner record can name the daemon before
 * it exists (kind `daemon`, owner-record-format.ts), and stopped by that record alone.
 *
 * A pid in a pid file may belong to a later, unrelated process once the daemon is gone (pids are
 * reused). A pid counts as the daemon's only while that process's command line carries
 * `--pidfile=<this pid file>`: every daemon is started with that argument, and the path, below
 * RUN_ROOT and unique per daemon, is carried by no other process. A zombie has no command line
 * and so counts as gone.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { CommandRunner } from './command';
import { CommandFailedError } from './errors';
import { SELF_NETNS } from './owner-record-format';

/** What it takes to start (and later recognise) one daemon. */
export interface DaemonSpec {
  /** Short role name for logs, e.g. `ovn-controller`. */
  role: string;
  /** Namespace to run in (`ip netns exec`), or SELF_NETNS for the caller's own. */
  netns: string;
  /** Absolute pid file below RUN_ROOT; `argv` must contain `--pidfile=<pidfile>`. */
  pidfile: string;
  /** The command; it must detach once it is ready (OVS's `--detach`) and return 0. */
  argv: readonly string[];
  /** Extra environment variables (OVS_RUNDIR, OVN_RUNDIR …). */
  env?: Record<string, string>;
}

/** The argument that ties a process to its pid file. */
export const pidfileArg = (pidfile: string): string => `--pidfile=${pidfile}`;

/** The command line of a process as its arguments, or undefined when there is none (gone, zombie, kernel thread). */
async function commandLine(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    if (raw === '') return undefined;
    return raw.split('\0').filter((a) => a !== '');
  } catch {
    return undefined;
  }
}

/**
 * The pid of the daemon that writes `pidfile`, or undefined when it is not running (no pid
 * file, or the pid is now another process's or a zombie's).
 */
export async function daemonPid(pidfile: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await fs.readFile(pidfile, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  const argv = await commandLine(pid);
  return argv?.includes(pidfileArg(pidfile)) ? pid : undefined;
}

/**
 * Starts a daemon and returns its pid. The caller records it first (`daemon` record).
 * @throws Error when `argv` lacks `--pidfile=<pidfile>` (it could not be recognised later).
 * @throws CommandFailedError when the command exits non-zero (its stderr is in the message) or
 *   runs but leaves no live pid behind.
 */
export async function startDaemon(runner: CommandRunner, spec: DaemonSpec, timeoutMs = 60_000): Promise<number> {
  if (!spec.argv.includes(pidfileArg(spec.pidfile))) throw new Error(`daemon ${spec.role}: argv must contain ${pidfileArg(spec.pidfile)} so the process can be recognised later`);
  const argv = spec.netns === SELF_NETNS ? [...spec.argv] : ['ip', 'netns', 'exec', spec.netns, ...spec.argv];
  const r = await runner.run(argv, { env: spec.env, timeoutMs });
  if (r.code !== 0) throw new CommandFailedError(argv, r.code, r.stderr || (r.signal ? `killed by ${r.signal}` : ''), `${spec.role} did not start`);
  const pid = await daemonPid(spec.pidfile);
  if (pid === undefined) throw new CommandFailedError(argv, 0, `no live process behind ${spec.pidfile} after the start`, `${spec.role} exited at once; see its log`);
  return pid;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Stops the daemon behind `pidfile`: SIGTERM, then SIGKILL after `graceMs`, and waits (bounded)
 * until it is gone. A pid that is not the daemon's is never signalled.
 * @returns whether a running daemon was found
 */
export async function stopDaemon(pidfile: string, graceMs = 5_000): Promise<boolean> {
  const pid = await daemonPid(pidfile);
  if (pid === undefined) return false;
  const signal = (s: NodeJS.Signals): void => {
    try {
      process.kill(pid, s);
    } catch {
      // gone between the check and the signal
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while ((await daemonPid(pidfile)) === pid && Date.now() < deadline) await sleep(20);
  if ((await daemonPid(pidfile)) === pid) {
    signal('SIGKILL');
    const killDeadline = Date.now() + 5_000;
    while ((await daemonPid(pidfile)) === pid && Date.now() < killDeadline) await sleep(20);
  }
  return true;
}

/** A program that neither detaches nor writes a pid file (a JVM, a Node.js or Python server). */
export interface SpawnedDaemonSpec extends DaemonSpec {
  /** File receiving its stdout and stderr; truncated at each start, so a line of an earlier run never counts. */
  log: string;
  /** Working folder (JVMs write work files there). @default the caller's */
  cwd?: string;
  /**
   * How it enters `netns`: `ip netns exec` (also a private mount namespace with /sys of the
   * namespace), or `nsenter --net` (the caller's mount namespace: needed by a program that makes
   * namespaces others must see). Both exec the program in place, so the pid stays its own.
   * @default 'ip-netns-exec'
   */
  enter?: 'ip-netns-exec' | 'nsenter';
}

/**
 * Starts a program that does not detach by itself: spawned detached (own session, output to
 * `log`), its pid written to `pidfile` at once. The program carries `--pidfile=<pidfile>` in its
 * arguments like every daemon, so daemonPid/stopDaemon recognise it exactly as they do a
 * detaching one. The caller records it first (`daemon` record) and waits for its own sign of
 * readiness (a port, a line).
 * @returns its pid
 * @throws Error when `argv` lacks `--pidfile=<pidfile>`.
 * @throws CommandFailedError when it could not be spawned.
 */
export async function spawnDaemon(spec: SpawnedDaemonSpec): Promise<number> {
  if (!spec.argv.includes(pidfileArg(spec.pidfile))) throw new Error(`daemon ${spec.role}: argv must contain ${pidfileArg(spec.pidfile)} so the process can be recognised later`);
  const enter = spec.enter ?? 'ip-netns-exec';
  const argv =
    spec.netns === SELF_NETNS ? [...spec.argv] : enter === 'nsenter' ? ['nsenter', `--net=/run/netns/${spec.netns}`, '--', ...spec.argv] : ['ip', 'netns', 'exec', spec.netns, ...spec.argv];
  await fs.mkdir(path.dirname(spec.pidfile), { recursive: true, mode: 0o700 });
  const out = await fs.open(spec.log, 'w');
  let pid: number | undefined;
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', out.fd, out.fd], cwd: spec.cwd, env: spec.env ? { ...process.env, ...spec.env } : process.env });
    child.on('error', () => undefined);
    child.unref();
    pid = child.pid;
  } finally {
    await out.close();
  }
  if (pid === undefined) throw new CommandFailedError(argv, -1, `could not spawn ${argv[0]}`, `${spec.role} did not start; see ${spec.log}`);
  const tmp = `${spec.pidfile}.tmp`;
  await fs.writeFile(tmp, `${pid}\n`);
  await fs.rename(tmp, spec.pidfile);
  return pid;
}
