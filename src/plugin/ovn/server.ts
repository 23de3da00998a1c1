/**
 * The `ovn` network plugin (`merak plugin serve --provider ovn`): ensures its OVN central (NB,
 * SB, northd and an ovn-nbctl daemon in namespace mk-ovn-<central>), watches the central's daemons while it runs, and
 * serves Merak's plugin proto on OVN's northbound database (handlers.ts) plus the state service,
 * whose node_config tells the node agents where the central is.
 *
 * The central outlives a plugin that crashes, so a restarted plugin carries on from the same
 * databases; a plugin stopped on purpose (close) removes its central unless `keepCentral`.
 */
import { spawnRunner, type CommandRunner } from '../../dataplane/command';
import { centralInfo, centralRecords, ensureCentral, removeCentral, watchCentral, type CentralInfo } from '../../dataplane/ovn/central';
import { listMountedNetns } from '../../dataplane/netns';
import { stateDirFromEnv } from '../../dataplane/owner-records';
import { Supervisor } from '../../dataplane/supervisor';
import { serveNetworkPlugin, type RunningNetworkPlugin } from '../sdk';
import { createOvnHandlers } from './handlers';
import { OvnDatabases } from './northbound';

/** Options of `startOvnPlugin`. */
export interface OvnPluginOptions {
  /** Address to listen on. @default '127.0.0.1' */
  host?: string;
  /** TCP port; 0 = any free port. */
  port: number;
  /** Name of the OVN central this instance runs (CENTRAL_NAME_RE). */
  central: string;
  /** State directory holding the central's owner records. @default stateDirFromEnv() (MERAK_STATE_DIR or /var/lib/merak) */
  stateDir?: string;
  /** How long CreateNode waits for a chassis to register. @default 8000 ms */
  registrationWaitMs?: number;
  /** Seconds one ovn-nbctl/ovn-sbctl call may take before it counts as unreachable. @default 10 */
  dbTimeoutSec?: number;
  /** Leave the central running when the plugin is closed. @default false */
  keepCentral?: boolean;
  /** One line per accepted or refused change and per supervisor event. @default silent */
  log?: (line: string) => void;
  /** How long close() lets calls in flight finish. @default 5000 */
  shutdownGraceMs?: number;
  /** @default spawnRunner */
  runner?: CommandRunner;
}

/** A running OVN plugin. */
export interface RunningOvnPlugin extends RunningNetworkPlugin {
  readonly central: CentralInfo;
  readonly supervisor: Supervisor;
  /**
   * Stops serving and watching; removes the central unless `keepCentral` (here, or in the
   * start options) says to leave it for the next start.
   */
  close(options?: { keepCentral?: boolean }): Promise<void>;
}

/**
 * Ensures the central, then serves.
 * @throws InvalidInputError for a bad central name; CommandFailedError when a daemon cannot start
 *   (a central this call made is removed again first, unless `keepCentral`); Error when the port
 *   cannot be bound (the central is left running for the next start).
 */
export async function startOvnPlugin(options: OvnPluginOptions): Promise<RunningOvnPlugin> {
  const runner = options.runner ?? spawnRunner;
  const log = options.log ?? (() => undefined);
  const deps = { runner, records: centralRecords(options.stateDir ?? stateDirFromEnv()) };
  // A central this start makes and then cannot finish (a daemon that does not start, a helper of
  // another version) is removed again: a failed start leaves nothing. One that was already there
  // (kept from an earlier start, with its databases) is left as it was.
  const existed = (await listMountedNetns()).has(centralInfo(options.central).netns);
  let central: Awaited<ReturnType<typeof ensureCentral>>;
  try {
    central = await ensureCentral(deps, options.central);
  } catch (err) {
    if (!existed && !options.keepCentral) {
      await removeCentral(deps, options.central).catch((e: unknown) => log(`OVN central ${options.central}: removing what the failed start made failed too: ${e instanceof Error ? e.message : String(e)}`));
    }
    throw err;
  }
  log(`OVN central ${central.name}: namespace ${central.netns}, ${central.started.length ? `started ${central.started.join(', ')}` : 'already running'} (NB ${central.nbSocket}, SB ${central.sbSocket} and tcp port 6642 on its fabric addresses)`);
  const supervisor = new Supervisor({ log });
  watchCentral(supervisor, deps, central.name);
  const timeoutSec = options.dbTimeoutSec ?? 10;
  const db = new OvnDatabases(runner, { tool: 'ovn-nbctl', db: `unix:${central.nbSocket}`, timeoutSec, daemonSocket: central.nbctlSocket }, { tool: 'ovn-sbctl', db: `unix:${central.sbSocket}`, timeoutSec });
  const handlers = createOvnHandlers(db, { registrationWaitMs: options.registrationWaitMs, nodeConfig: central.nodeConfig, log });
  let running: RunningNetworkPlugin;
  try {
    running = await serveNetworkPlugin(handlers, {
      host: options.host,
      port: options.port,
      shutdownGraceMs: options.shutdownGraceMs,
      stateHandler: handlers,
      onInternalError: (method, err) => log(`${method} failed unexpectedly: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    });
  } catch (err) {
    supervisor.stop();
    throw err;
  }
  let closing: Promise<void> | undefined;
  const close = (o: { keepCentral?: boolean } = {}): Promise<void> => {
    closing ??= (async () => {
      await running.close();
      supervisor.stop();
      if (!(o.keepCentral ?? options.keepCentral)) {
        const r = await removeCentral(deps, central.name);
        log(`OVN central ${central.name} removed (${r.daemons} daemons stopped, namespace and databases deleted)`);
      }
    })();
    return closing;
  };
  return { port: running.port, address: running.address, close, central, supervisor };
}
