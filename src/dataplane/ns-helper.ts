/**
 * Driver for nsconfig.py, the helper that configures interfaces inside many namespaces from
 * one process (Node cannot setns(2); one `ip -n NS` spawn per namespace would cost milliseconds).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { CommandRunner, RunOptions } from './command';
import { CommandFailedError } from './errors';

export type NsOp =
  | { op: 'up'; ifname: string }
  | { op: 'addr'; ifname: string; cidr: string }
  | { op: 'route'; ifname: string; gateway: string };

export interface NsRequest {
  /** Namespace file, e.g. /run/netns/NAME; '' = the helper's own namespace. */
  ns: string;
  ops: NsOp[];
}

/** Where the helper script lives: next to this file in src/, or in src/ when running from dist/. */
export function helperPath(): string {
  const candidates = [path.join(__dirname, 'nsconfig.py'), path.resolve(__dirname, '../../src/dataplane/nsconfig.py')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`namespace helper nsconfig.py not found (looked in ${candidates.join(', ')}); reinstall merak`);
  return found;
}

/** Python interpreter for the helper. Default: `python3` from PATH; override with MERAK_PYTHON. */
export function pythonBinary(): string {
  return process.env.MERAK_PYTHON || 'python3';
}

export class NsConfigError extends Error {
  override readonly name = 'NsConfigError';
  constructor(readonly ns: string, readonly detail: string) {
    super(`configuring namespace ${ns || '(own)'} failed: ${detail}`);
  }
}

/** Applies every request (idempotent ops); throws on the first failing request. */
export async function applyNsConfig(
  runner: CommandRunner,
  requests: readonly NsRequest[],
  options: { onSpawn?: RunOptions['onSpawn']; timeoutMs?: number } = {},
): Promise<void> {
  if (requests.length === 0) return;
  const argv = [pythonBinary(), helperPath()];
  const r = await runner.run(argv, {
    input: requests.map((q) => JSON.stringify(q)).join('\n') + '\n',
    onSpawn: options.onSpawn,
    timeoutMs: options.timeoutMs,
  });
  const replies = r.stdout.split('\n').filter((l) => l !== '');
  for (let i = 0; i < replies.length; i++) {
    const reply = JSON.parse(replies[i]) as { ok: boolean; error?: string };
    if (!reply.ok) throw new NsConfigError(requests[i].ns, reply.error ?? 'unknown error');
  }
  if (r.code !== 0 || replies.length !== requests.length) {
    throw new CommandFailedError(argv, r.code, r.stderr || `helper answered ${replies.length} of ${requests.length} requests`);
  }
}
