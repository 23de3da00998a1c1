/**
 * Resolving an endpoint plugin by name: the built-ins first (their names are reserved), then
 * executables in the configured plugin directories. Names are validated; paths never accepted.
 */
import * as path from 'node:path';
import type { CommandRunner } from '../dataplane/command';
import { PreconditionError } from '../dataplane/errors';
import { packagePath } from '../install/paths';
import { alcorEndpointOptionsFromEnv, createAlcorPlugin, type AlcorEndpointOptions } from './alcor';
import { createCniPlugin } from './cni';
import { createExecPlugin, findPlugin, validatePluginName } from './exec-plugin';
import { createMizarPlugin } from './mizar';
import { createNonePlugin } from './none';
import { createOvnPlugin } from './ovn';
import { createReferencePlugin } from './reference';
import type { EndpointPlugin } from './types';

export const BUILTIN_PLUGINS = ['reference', 'cni', 'none', 'ovn', 'mizar', 'alcor'] as const;
/** Default plugin when a batch names none. */
export const DEFAULT_PLUGIN = 'reference';

/** No built-in and no executable of that name: a precondition, not retried (src/model/failures.ts). */
export class PluginNotFoundError extends PreconditionError {
  override readonly name = 'PluginNotFoundError';
  constructor(readonly plugin: string, readonly dirs: readonly string[]) {
    super(`endpoint plugin ${plugin} not found: not a built-in (${BUILTIN_PLUGINS.join(', ')}) and no executable file ${plugin} in ${dirs.join(', ') || '(no plugin directories configured)'}; install it there or set MERAK_PLUGIN_DIRS`);
  }
}

/** The plugins/ directory shipped with Merak, at the package root. */
export function shippedPluginDir(): string {
  return packagePath('plugins');
}

/** Plugin directories: MERAK_PLUGIN_DIRS (colon-separated) or the shipped plugins/ directory. */
export function pluginDirsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const v = env.MERAK_PLUGIN_DIRS;
  return v ? v.split(':').filter((d) => d !== '').map((d) => path.resolve(d)) : [shippedPluginDir()];
}

export interface PluginRegistry {
  get(name: string | undefined): Promise<EndpointPlugin>;
}

export interface PluginRegistryOptions {
  runner: CommandRunner;
  /** Where executable plugins are looked up. Default: pluginDirsFromEnv(). */
  dirs?: string[];
  /** Directory of CNI binaries for the `cni` adapter. Default: /usr/lib/cni. */
  cniPath?: string;
  /** Timeout per executable plugin call. Default: 10000 ms. */
  execTimeoutMs?: number;
  /** Options of the `alcor` plugin, read when it is first used. Default: alcorEndpointOptionsFromEnv(). */
  alcor?: () => AlcorEndpointOptions;
}

export function createPluginRegistry(o: PluginRegistryOptions): PluginRegistry {
  const dirs = o.dirs ?? pluginDirsFromEnv();
  const builtins: Record<string, EndpointPlugin> = {
    reference: createReferencePlugin(),
    cni: createCniPlugin({ runner: o.runner, cniPath: o.cniPath }),
    none: createNonePlugin(),
    ovn: createOvnPlugin(),
    // Mizar's settings come from the agent's environment (MERAK_MIZAR_*), read on first use.
    mizar: createMizarPlugin({ runner: o.runner }),
    alcor: createAlcorPlugin(o.alcor ?? (() => alcorEndpointOptionsFromEnv())),
  };
  return {
    async get(name) {
      const n = validatePluginName(name ?? DEFAULT_PLUGIN);
      if (builtins[n]) return builtins[n];
      const file = await findPlugin(dirs, n);
      if (!file) throw new PluginNotFoundError(n, dirs);
      return createExecPlugin({ name: n, file, runner: o.runner, timeoutMs: o.execTimeoutMs });
    },
  };
}
