import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { findTemporalCli } from './cli-path';
import {
  buildDevServerArgs,
  devServerAddress,
  devServerUiUrl,
  resolveDevServerConfig,
  type DevServerConfig,
  type DevServerOptions,
} from './dev-server-config';
import { DevServerError } from './errors';
import { defaultStateDir } from './paths';
import { readProcessIdentity } from '../local/process-identity';

// The local dev server as a detached process that outlives the merak command that started it,
// found again through its pid file. Lifecycle only; argv building and validation live in
// dev-server-config.ts.

export interface StartDevServerOptions extends DevServerOptions {
  /** Temporal CLI binary. @default findTemporalCli() */
  cliPath?: string;
  /** How long to wait for the server to answer. A first start creates the SQLite schema. @default 60000 */
  healthyTimeoutMs?: number;
}

export interface StopDevServerOptions extends DevServerOptions {
  /** How long to wait after SIGTERM before SIGKILL. @default 15000 */
  graceMs?: number;
}

export interface DevServerStatus {
  /** The pid file names a live dev-server process. */
  running: boolean;
  /** That process, when running. */
  pid?: number;
  /** The server answered a namespace lookup (checked only when running). */
  healthy: boolean;
  address: string;
  namespace: string;
  uiUrl?: string;
  dbFile: string;
  pidFile: string;
  logFile: string;
}

export interface StartResult extends DevServerStatus {
  /** False when a server from the same state folder was already running and was left as it was. */
  started: boolean;
}

export interface StopResult {
  /** The process that was stopped, if one was running. */
  pid?: number;
  /** It did not exit within the grace period and was killed with SIGKILL. */
  killed: boolean;
}

export function resolveLocalConfig(options: DevServerOptions = {}): DevServerConfig {
  return resolveDevServerConfig(options, options.stateDir === undefined ? defaultStateDir() : options.stateDir);
}

/** A process exists and is not a zombie (an exited child its parent has not reaped yet). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (macOS): kill(0) is all we have
  }
}

/** What `start` wrote about the server it launched; lets `status`/`stop` work without repeating its flags. */
export interface DevServerRecord {
  pid: number;
  address: string;
  namespace: string;
  uiUrl?: string;
  dbFile: string;
  logFile: string;
  cli: string;
  args: string[];
  startedAt: string;
  /** Start time of the process in clock ticks after boot and the boot it started in (process-identity.ts); absent in records of older versions. */
  startTicks?: number;
  bootId?: string;
}

function readRecord(config: DevServerConfig, pid: number): DevServerRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(config.recordFile, 'utf8')) as DevServerRecord;
    return record.pid === pid ? record : undefined;
  } catch {
    return undefined;
  }
}

interface LiveServer {
  pid: number;
  record?: DevServerRecord;
}

/**
 * The server recorded in the pid file if that process is alive and is our dev server (its command
 * line names the recorded, else the configured, SQLite file, and it started when the record says)
 * — a recycled pid must never be signalled.
 */
function findLiveServer(config: DevServerConfig): LiveServer | undefined {
  if (!existsSync(config.pidFile)) return undefined;
  const pid = Number(readFileSync(config.pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1 || !isAlive(pid)) return undefined;
  const record = readRecord(config, pid);
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!argv.includes('start-dev') || !argv.includes(record?.dbFile ?? config.dbFile)) return undefined;
    if (record?.startTicks !== undefined) {
      const now = readProcessIdentity(pid);
      if (now === undefined || now.startTicks !== record.startTicks || now.bootId !== record.bootId) return undefined;
    }
  } catch {
    // Without /proc (macOS) the pid file is all we have; with it, the process just exited.
    if (existsSync('/proc/self')) return undefined;
  }
  return record ? { pid, record } : { pid };
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function assertPortFree(ip: string, port: number, what: string): Promise<void> {
  await new Promise<void>((resolvePromise, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new DevServerError(
          `${what} port ${port} on ${ip} is not available (${err.code ?? err.message}); ` +
            `stop whatever listens there (\`merak server status\` / \`ss -ltnp sport = :${port}\`) or choose another port`,
        ),
      );
    });
    probe.listen({ host: ip, port, exclusive: true }, () => probe.close(() => resolvePromise()));
  });
}

export interface WaitHealthyOptions {
  /** Namespace that must exist. @default 'default' */
  namespace?: string;
  /** Give up after this long. @default 60000 */
  timeoutMs?: number;
  /** Stop waiting early if this process dies. */
  pid?: number;
  /** Shown in the error when the process dies or time runs out. */
  logFile?: string;
}

/**
 * Waits until a Temporal frontend at `address` answers a namespace lookup. Bounded by
 * `timeoutMs`; fails fast (with the log's last lines) if the watched process exits.
 */
export async function waitHealthy(address: string, options: WaitHealthyOptions = {}): Promise<void> {
  const namespace = options.namespace ?? 'default';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no attempt made';
  const logHint = () => (options.logFile ? `\nlast lines of ${options.logFile}:\n${tail(options.logFile)}` : '');
  // Bounded by the deadline; each attempt is itself bounded by connectTimeout / the call deadline.
  while (Date.now() < deadline) {
    if (options.pid !== undefined && !isAlive(options.pid)) {
      throw new DevServerError(`the Temporal dev server (pid ${options.pid}) exited while starting${logHint()}`);
    }
    const remaining = Math.max(deadline - Date.now(), 100);
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: Math.min(2_000, remaining) });
      await connection.withDeadline(Date.now() + Math.min(2_000, remaining), () =>
        connection!.workflowService.describeNamespace({ namespace }),
      );
      return;
    } catch (err) {
      lastError = (err as Error).message;
    } finally {
      await connection?.close().catch(() => undefined);
    }
    await sleep(Math.min(250, Math.max(deadline - Date.now(), 0)));
  }
  throw new DevServerError(`Temporal at ${address} did not become healthy within ${timeoutMs} ms (last error: ${lastError})${logHint()}`);
}

/**
 * Registers any of the configured search attributes the namespace lacks. The dev server registers
 * `--search-attribute`s only when it creates the namespace, i.e. on the first start with a new
 * SQLite file; a file made before an attribute was added to Merak would otherwise never get it.
 */
export async function ensureSearchAttributes(address: string, config: Pick<DevServerConfig, 'namespace' | 'searchAttributes'>): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace: config.namespace });
    const missing = config.searchAttributes.filter((key) => existing.customAttributes[key.name] === undefined);
    if (missing.length > 0) {
      await connection.operatorService.addSearchAttributes({
        namespace: config.namespace,
        searchAttributes: Object.fromEntries(missing.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!])),
      });
    }
    return missing.map((key) => key.name);
  } finally {
    await connection.close();
  }
}

/** Status of the dev server recorded in the state folder; checks health only if its process is alive. */
export async function devServerStatus(options: DevServerOptions = {}): Promise<DevServerStatus> {
  const config = resolveLocalConfig(options);
  const live = findLiveServer(config);
  const address = live?.record?.address ?? devServerAddress(config);
  const namespace = live?.record?.namespace ?? config.namespace;
  const uiUrl = live?.record ? live.record.uiUrl : devServerUiUrl(config);
  let healthy = false;
  if (live !== undefined) {
    try {
      await waitHealthy(address, { namespace, timeoutMs: 3_000, pid: live.pid });
      healthy = true;
    } catch {
      healthy = false;
    }
  }
  return {
    running: live !== undefined,
    ...(live !== undefined ? { pid: live.pid } : {}),
    healthy,
    address,
    namespace,
    ...(uiUrl !== undefined ? { uiUrl } : {}),
    dbFile: live?.record?.dbFile ?? config.dbFile,
    pidFile: config.pidFile,
    logFile: live?.record?.logFile ?? config.logFile,
  };
}

/**
 * Starts the dev server detached (it keeps running after this process exits), waits until it is
 * healthy and its search attributes exist. Idempotent: if the server of this state folder is
 * already running, it is left alone and reported with `started: false`.
 */
export async function startDevServer(options: StartDevServerOptions = {}): Promise<StartResult> {
  const config = resolveLocalConfig(options);
  const cli = options.cliPath ?? findTemporalCli();
  const address = devServerAddress(config);
  const healthyTimeoutMs = options.healthyTimeoutMs ?? 60_000;

  const running = findLiveServer(config);
  if (running !== undefined) {
    await waitHealthy(running.record?.address ?? address, {
      namespace: running.record?.namespace ?? config.namespace,
      timeoutMs: healthyTimeoutMs,
      pid: running.pid,
      logFile: config.logFile,
    });
    return { ...(await devServerStatus(options)), started: false };
  }
  // Stale files of a server that is gone.
  rmSync(config.pidFile, { force: true });
  rmSync(config.recordFile, { force: true });

  await assertPortFree(config.ip, config.port, 'gRPC');
  if (config.ui) await assertPortFree(config.ip, config.uiPort, 'web UI');

  for (const file of [config.dbFile, config.pidFile, config.logFile, config.recordFile]) mkdirSync(dirname(file), { recursive: true });
  const args = buildDevServerArgs(config);
  const logFd = openSync(config.logFile, 'a');
  let pid: number | undefined;
  try {
    writeFileSync(logFd, `\n--- ${new Date().toISOString()} merak: ${cli} ${args.join(' ')}\n`);
    const child = spawn(cli, args, {
      detached: true, // own process group: a Ctrl-C in the starting terminal does not reach it
      stdio: ['ignore', logFd, logFd],
    });
    pid = await new Promise<number>((resolvePid, reject) => {
      child.once('error', (err) => reject(new DevServerError(`cannot run ${cli}: ${err.message}`)));
      child.once('spawn', () => resolvePid(child.pid!));
    });
    child.unref();
  } finally {
    closeSync(logFd);
  }
  writeFileSync(config.pidFile, `${pid}\n`);
  const identity = readProcessIdentity(pid);
  const uiUrl = devServerUiUrl(config);
  const record: DevServerRecord = {
    pid,
    address,
    namespace: config.namespace,
    ...(uiUrl !== undefined ? { uiUrl } : {}),
    dbFile: config.dbFile,
    logFile: config.logFile,
    cli,
    args,
    startedAt: new Date().toISOString(),
    ...(identity ? { startTicks: identity.startTicks, bootId: identity.bootId } : {}),
  };
  writeFileSync(config.recordFile, `${JSON.stringify(record, null, 2)}\n`);

  try {
    await waitHealthy(address, { namespace: config.namespace, timeoutMs: healthyTimeoutMs, pid, logFile: config.logFile });
    await ensureSearchAttributes(address, config);
  } catch (err) {
    // Do not leave a half-started server behind.
    await stopDevServer({ ...options, graceMs: 5_000 }).catch(() => undefined);
    throw err;
  }
  return { ...(await devServerStatus(options)), started: true };
}

/** Sends a signal; false if the process is already gone. */
function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

async function waitExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

/**
 * Stops the dev server of this state folder: SIGTERM, a bounded wait, then SIGKILL. A missing
 * or stale pid file is not an error (nothing to stop).
 */
export async function stopDevServer(options: StopDevServerOptions = {}): Promise<StopResult> {
  const config = resolveLocalConfig(options);
  const live = findLiveServer(config);
  if (live === undefined) {
    rmSync(config.pidFile, { force: true });
    rmSync(config.recordFile, { force: true });
    return { killed: false };
  }
  const pid = live.pid;
  const graceMs = options.graceMs ?? 15_000;
  if (!signal(pid, 'SIGTERM')) {
    rmSync(config.pidFile, { force: true });
    rmSync(config.recordFile, { force: true });
    return { pid, killed: false }; // exited on its own meanwhile
  }
  let killed = false;
  if (!(await waitExit(pid, graceMs))) {
    killed = signal(pid, 'SIGKILL');
    if (!(await waitExit(pid, 5_000))) {
      throw new DevServerError(`the Temporal dev server (pid ${pid}) survived SIGKILL for 5 s; check \`ps -p ${pid}\``);
    }
  }
  rmSync(config.pidFile, { force: true });
  rmSync(config.recordFile, { force: true });
  return { pid, killed };
}
