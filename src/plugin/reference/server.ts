import { PluginError } from '../errors';
import { serveNetworkPlugin, type NetworkPluginHandlers, type RunningNetworkPlugin } from '../sdk';
import { ownerText, ReferencePluginState } from './state';
import { loadStateFile, saveStateFile } from './store';

/**
 * The `reference` network plugin: the rules of ./state.ts behind the SDK's gRPC server, with the
 * state optionally kept in a file across restarts. Also serves NetworkPluginStateService.
 */

/** Options of `startReferencePlugin`. */
export interface ReferencePluginOptions {
  /** Address to listen on. @default '127.0.0.1' */
  host?: string;
  /** TCP port; 0 = any free port. */
  port: number;
  /** JSON file holding the state across restarts; read at start, rewritten after every change. @default undefined (memory only) */
  stateFile?: string;
  /** Receives one line per accepted change or refused call. @default undefined (silent) */
  log?: (line: string) => void;
  /** How long close() lets calls in flight finish. @default 5000 */
  shutdownGraceMs?: number;
}

/** A running reference plugin. */
export interface RunningReferencePlugin extends RunningNetworkPlugin {
  /** The live state (read it; change it only through the gRPC interface). */
  readonly state: ReferencePluginState;
}

/** Why a Delete removed nothing, for the log line. */
function notDeleted(owner: string | undefined, scenario: string): string {
  return owner === undefined ? ' (was absent)' : ` (belongs to ${ownerText(owner)}, not to ${ownerText(scenario)}: left alone)`;
}

/** Starts the reference plugin: loads the state file if any, then serves. */
export async function startReferencePlugin(options: ReferencePluginOptions): Promise<RunningReferencePlugin> {
  const { stateFile } = options;
  const log = options.log ?? (() => undefined);
  const state = stateFile === undefined ? new ReferencePluginState() : await loadStateFile(stateFile);
  if (stateFile !== undefined) {
    const snap = state.snapshot();
    log(`state file ${stateFile}: ${snap.vpcs.length} VPC(s), ${snap.subnets.length} subnet(s), ${snap.nodes.length} node(s), revision ${snap.revision}`);
  }

  // Saves run one after another; each takes the snapshot when it starts, so the file always
  // ends with the latest state and a change is answered only once it is on disk.
  let saving: Promise<void> = Promise.resolve();
  const persist = (): Promise<void> => {
    if (stateFile === undefined) return Promise.resolve();
    const next = saving.then(() => saveStateFile(stateFile, state.snapshot()));
    saving = next.catch(() => undefined);
    return next;
  };

  /** Applies one change, persists it when the state moved, and logs the outcome. */
  const change = async <R>(method: string, apply: () => R, describe: (result: R) => string): Promise<R> => {
    const before = state.revision;
    let result: R;
    try {
      result = apply();
    } catch (err) {
      log(`${method} refused: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    if (state.revision === before) {
      log(`${method} ${describe(result)} (unchanged)`);
      return result;
    }
    try {
      await persist();
    } catch (err) {
      log(`${method} applied but not saved: ${(err as Error).message}`);
      throw PluginError.unavailable(
        `${method} was applied in memory but the state file ${stateFile} could not be written (${(err as Error).message}); retry once the disk is fixed`,
      );
    }
    log(`${method} ${describe(result)}`);
    return result;
  };

  const handlers: NetworkPluginHandlers = {
    createVpc: async ({ vpc }) => ({ vpc: await change('CreateVpc', () => state.createVpc(vpc), (v) => `${v.id} vni=${v.vni} ${v.ip}/${v.prefix}`) }),
    updateVpc: async ({ vpc }) => ({ vpc: await change('UpdateVpc', () => state.updateVpc(vpc), (v) => `${v.id} vni=${v.vni} ${v.ip}/${v.prefix}`) }),
    deleteVpc: async ({ id, scenario }) => {
      const owner = state.ownerOf('vpc', id);
      await change('DeleteVpc', () => state.deleteVpc(id, scenario), (gone) => `${id}${gone ? '' : notDeleted(owner, scenario)}`);
      return {};
    },
    createSubnet: async ({ subnet }) => ({
      subnet: await change('CreateSubnet', () => state.createSubnet(subnet), (s) => `${s.id} vpc=${s.vpc} vni=${s.vni} ${s.ip}/${s.prefix}`),
    }),
    updateSubnet: async ({ subnet }) => ({
      subnet: await change('UpdateSubnet', () => state.updateSubnet(subnet), (s) => `${s.id} vpc=${s.vpc} vni=${s.vni} ${s.ip}/${s.prefix}`),
    }),
    deleteSubnet: async ({ id, scenario }) => {
      const owner = state.ownerOf('subnet', id);
      await change('DeleteSubnet', () => state.deleteSubnet(id, scenario), (gone) => `${id}${gone ? '' : notDeleted(owner, scenario)}`);
      return {};
    },
    createNode: async ({ node }) => ({ node: await change('CreateNode', () => state.createNode(node), (n) => `${n.name} ip=${n.ip} mac=${n.mac}`) }),
    updateNode: async ({ node }) => ({ node: await change('UpdateNode', () => state.updateNode(node), (n) => `${n.name} ip=${n.ip} mac=${n.mac}`) }),
    deleteNode: async ({ name, scenario }) => {
      const owner = state.ownerOf('node', name);
      await change('DeleteNode', () => state.deleteNode(name, scenario), (gone) => `${name}${gone ? '' : notDeleted(owner, scenario)}`);
      return {};
    },
  };

  const running = await serveNetworkPlugin(handlers, {
    host: options.host,
    port: options.port,
    shutdownGraceMs: options.shutdownGraceMs,
    stateHandler: {
      getState: async () => {
        const snap = state.snapshot();
        return { vpcs: snap.vpcs, subnets: snap.subnets, nodes: snap.nodes, revision: snap.revision };
      },
    },
    onInternalError: (method, err) => log(`${method} failed unexpectedly: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  });
  const close = async (): Promise<void> => {
    await running.close();
    await saving;
  };
  return { port: running.port, address: running.address, close, state };
}
