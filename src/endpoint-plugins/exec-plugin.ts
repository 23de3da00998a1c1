/**
 * Executable endpoint plugins: found by name in the configured plugin directories (never a
 * path or string from the spec), run with the protocol's environment variables inside the
 * node's network namespace, answering JSON on stdout.
 */
import { promises as fs, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import { InvalidInputError } from '../dataplane/errors';
import type { CommandRunner } from '../dataplane/command';
import { endpointEnv, interpretPluginOutput, versionEnv, vmEnv, type EnvBase } from './env';
import { EndpointPluginError, type Endpoint, type EndpointPlugin, type PluginCommand, type PluginContext, type VmRef } from './types';

/** Plugin names: a file name in a plugin directory, nothing else. */
export const PLUGIN_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function validatePluginName(name: unknown, field = 'plugin'): string {
  if (typeof name !== 'string' || !PLUGIN_NAME_RE.test(name)) {
    throw new InvalidInputError(field, name, `must match ${PLUGIN_NAME_RE}: a plugin is named, never given as a path`);
  }
  return name;
}

/** Finds an executable regular file called `name` in the directories, first match wins. */
export async function findPlugin(dirs: readonly string[], name: string): Promise<string | undefined> {
  validatePluginName(name);
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      const st = await fs.stat(file);
      if (!st.isFile()) continue;
      await fs.access(file, fsc.X_OK);
      return file;
    } catch {
      continue;
    }
  }
  return undefined;
}

export interface ExecPluginOptions {
  name: string;
  file: string;
  runner: CommandRunner;
  /** Per-invocation timeout. Default: 10000 ms. */
  timeoutMs?: number;
  /** Invocations in flight at once within a batch. Default: 4. */
  concurrency?: number;
}

/** Runs `fn` over items with at most `limit` in flight; rejects with the first failure after all settle. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure;
}

export function createExecPlugin(o: ExecPluginOptions): EndpointPlugin {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const concurrency = o.concurrency ?? 4;

  async function invoke(ctx: Pick<PluginContext, 'nodeNetnsPath'>, command: PluginCommand, env: Record<string, string>): Promise<Record<string, unknown>> {
    // The plugin runs inside the node namespace, so the same plugin works in local and pod mode
    // and cannot touch the root namespace by accident.
    const argv = ctx.nodeNetnsPath ? ['nsenter', `--net=${ctx.nodeNetnsPath}`, '--', o.file] : [o.file];
    const started = Date.now();
    const r = await o.runner.run(argv, { env, cleanEnv: true, timeoutMs });
    const timedOut = r.signal === 'SIGKILL' && Date.now() - started >= timeoutMs * 0.95;
    const outcome = interpretPluginOutput(r.code, r.signal, r.stdout, r.stderr, timedOut);
    if (!outcome.ok) {
      const e = outcome.error!;
      throw new EndpointPluginError(o.name, command, e.code, e.message, e.details);
    }
    return outcome.result ?? {};
  }

  const base = (ctx: PluginContext): EnvBase => ({ scenario: ctx.scenario, node: ctx.node, nodeNetnsPath: ctx.nodeNetnsPath });
  const vms = (command: PluginCommand) => (ctx: PluginContext, list: readonly VmRef[]) =>
    forEachLimited(list, concurrency, async (vm) => void (await invoke(ctx, command, vmEnv(command, base(ctx), vm))));
  const eps = (command: PluginCommand) => (ctx: PluginContext, list: readonly Endpoint[]) =>
    forEachLimited(list, concurrency, async (ep) => void (await invoke(ctx, command, endpointEnv(command, base(ctx), ep))));

  return {
    name: o.name,
    kernel: true,
    createsInterface: false,
    version: () => invoke({ nodeNetnsPath: '' }, 'VERSION', versionEnv({ scenario: '', node: '', nodeNetnsPath: '' })),
    vmAdd: vms('VM_ADD'),
    vmUpdate: vms('VM_UPDATE'),
    vmDel: vms('VM_DEL'),
    epAdd: eps('EP_ADD'),
    epUpdate: eps('EP_UPDATE'),
    epDel: eps('EP_DEL'),
  };
}
