/**
 * An OVN central: the northbound and southbound ovsdb-servers and ovn-northd, in a namespace of
 * its own (`mk-ovn-<name>`), with databases, sockets and logs in its folder. One per OVN network
 * plugin instance: the plugin ensures it at start and watches it while it runs; it outlives the
 * plugin process, so a plugin restarted after a crash continues from the same databases.
 *
 * The southbound database listens on TCP 6642 on every address of the central's namespace,
 * whose only addresses are loopback and the fabric addresses it gets when joined to a scenario's
 * fabric (fabric.ts); the northbound database only on its unix socket (the plugin and the node
 * agents run on this machine, in the root namespace).
 *
 * Records: the namespace, the folder and each daemon are recorded before they are made, under
 * the owner `ovn-<name>` in the state directory's provider records (PROVIDER_RECORDS), so
 * `merak clean --all` removes a central nobody stops any more.
 */
import { promises as fs } from 'node:fs';
import type { CommandRunner } from '../command';
import { daemonPid, startDaemon } from '../daemon';
import { runBatch } from '../ip-batch';
import { listMountedNetns, listNetns, netnsAddLines, netnsPath } from '../netns';
import { applyNsConfig, IPV6_OFF } from '../ns-helper';
import type { OwnedObject } from '../owner-record-format';
import { FileOwnerRecords, PROVIDER_RECORDS, type OwnerRecordStore } from '../owner-records';
import type { Supervisor } from '../supervisor';
import { cleanScenario, type CleanSummary } from '../clean';
import { ensureDbFile } from './chassis';
import { ctl } from './ctl';
import { SB_LISTENER, centralDaemons } from './daemons';
import { SB_PORT, centralFiles, centralNetns, validateCentralName } from './paths';

/** Schemas Debian's ovn-common ships. */
export const NB_SCHEMA = '/usr/share/ovn/ovn-nb.ovsschema';
export const SB_SCHEMA = '/usr/share/ovn/ovn-sb.ovsschema';

/** Record writer of a central's objects. */
export const CENTRAL_WRITER = 'central';
/** The owner name a central's records are kept under. */
export const centralOwner = (name: string): string => `ovn-${name}`;

/** Keys of the node configuration an OVN plugin hands to the node agents (GetState's node_config). */
export const NODE_CONFIG = {
  /** The central's namespace, which a local node agent joins to its scenario's fabric. */
  centralNetns: 'ovn-central-netns',
  /** The northbound database, for the endpoint plugin's logical switch ports (`unix:PATH`). */
  nbDb: 'ovn-nb-db',
  /** The southbound database's unix socket (`unix:PATH`), for the records `merak clean` uses. */
  sbDb: 'ovn-sb-db',
  /** The southbound database's TCP port on the central's fabric address. */
  sbPort: 'ovn-sb-port',
} as const;

/** A running central. */
export interface CentralInfo {
  name: string;
  netns: string;
  dir: string;
  nbSocket: string;
  sbSocket: string;
  /** Control socket of the central's ovn-nbctl daemon (OVN_NB_DAEMON). */
  nbctlSocket: string;
  /** What the node agents need to join this central (see NODE_CONFIG). */
  nodeConfig: Record<string, string>;
}

export interface CentralDeps {
  runner: CommandRunner;
  /** Provider records (`centralRecords`). */
  records: OwnerRecordStore;
}

/** The record store of centrals in a state directory. */
export function centralRecords(stateDir: string): FileOwnerRecords {
  return new FileOwnerRecords(stateDir, PROVIDER_RECORDS);
}

/** Inactivity probe of the southbound TCP listener: a hundred chassis on two cores answer late. */
const SB_PROBE_MS = 60_000;

/** Where a central's pieces are, without starting anything. */
export function centralInfo(name: string): CentralInfo {
  validateCentralName(name);
  const f = centralFiles(name);
  const netns = centralNetns(name);
  return {
    name,
    netns,
    dir: f.dir,
    nbSocket: f.nbSocket,
    sbSocket: f.sbSocket,
    nbctlSocket: f.nbctlSocket,
    nodeConfig: {
      [NODE_CONFIG.centralNetns]: netns,
      [NODE_CONFIG.nbDb]: `unix:${f.nbSocket}`,
      [NODE_CONFIG.sbDb]: `unix:${f.sbSocket}`,
      [NODE_CONFIG.sbPort]: String(SB_PORT),
    },
  };
}

/** The owner records of a central, in creation order. */
export function centralObjects(name: string): OwnedObject[] {
  const info = centralInfo(name);
  return [
    { kind: 'netns', name: info.netns },
    { kind: 'dir', path: info.dir },
    ...centralDaemons(name, info.netns).map((d): OwnedObject => ({ kind: 'daemon', netns: info.netns, pidfile: d.pidfile })),
  ];
}

/**
 * Makes the central run (idempotent): records, namespace, folder, databases, daemons, and the
 * southbound TCP listener.
 * @returns the central and the roles it had to start
 * @throws InvalidInputError for a bad name; CommandFailedError, OvsdbUnreachableError when a step fails.
 */
export async function ensureCentral(deps: CentralDeps, name: string): Promise<CentralInfo & { started: string[] }> {
  const info = centralInfo(name);
  const f = centralFiles(name);
  const owner = centralOwner(name);
  await deps.records.intend(owner, CENTRAL_WRITER, centralObjects(name));
  const mounted = await listMountedNetns();
  if (!mounted.has(info.netns)) {
    await runBatch(deps.runner, netnsAddLines([info.netns], await listNetns(), mounted));
    await applyNsConfig(deps.runner, [{ ns: netnsPath(info.netns), ops: [...IPV6_OFF, { op: 'up', ifname: 'lo' }] }]);
  }
  await fs.mkdir(f.dir, { recursive: true, mode: 0o700 });
  await ensureDbFile(deps.runner, f.nbDb, NB_SCHEMA);
  await ensureDbFile(deps.runner, f.sbDb, SB_SCHEMA);
  const started: string[] = [];
  for (const d of centralDaemons(name, info.netns)) {
    if ((await daemonPid(d.pidfile)) !== undefined) continue;
    await startDaemon(deps.runner, d);
    started.push(d.role);
  }
  await ctl(deps.runner, { tool: 'ovn-nbctl', db: `unix:${f.nbSocket}` }, [['init']]);
  const sb = { tool: 'ovn-sbctl' as const, db: `unix:${f.sbSocket}` };
  await ctl(deps.runner, sb, [['init']]);
  // set-connection replaces the listener (and drops its sessions): only when it differs.
  const current = (await ctl(deps.runner, sb, [['get-connection']])).trim();
  if (!current.split('\n').some((l) => l.trim() === SB_LISTENER)) {
    await ctl(deps.runner, sb, [[`--inactivity-probe=${SB_PROBE_MS}`, 'set-connection', SB_LISTENER]]);
  }
  return { ...info, started };
}

/**
 * Watches the central's daemons (the ovn-nbctl daemon too): one that is gone while its record exists is brought back by
 * ensureCentral (the databases are files: nothing is lost).
 */
export function watchCentral(supervisor: Supervisor, deps: CentralDeps, name: string): void {
  const info = centralInfo(name);
  for (const d of centralDaemons(name, info.netns)) {
    supervisor.watch({
      key: d.pidfile,
      describe: `${d.role} of OVN central ${name}`,
      alive: async () => (await daemonPid(d.pidfile)) !== undefined,
      wanted: async () => {
        const objects = (await deps.records.live(centralOwner(name))).get(CENTRAL_WRITER) ?? [];
        return objects.some((o) => o.kind === 'daemon' && o.pidfile === d.pidfile);
      },
      restart: async () => {
        await ensureCentral(deps, name);
      },
    });
  }
}

/**
 * Removes a central by its records: daemons, namespace (and with it every fabric veth), folder
 * with the databases. Stop watching it first.
 */
export async function removeCentral(deps: CentralDeps, name: string): Promise<CleanSummary> {
  validateCentralName(name);
  return cleanScenario(deps, centralOwner(name));
}
