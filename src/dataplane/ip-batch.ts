/**
 * Runs many iproute2 commands in one process: `ip [-n NS] -batch -` (or `bridge`). One spawn per
 * batch instead of one per command is what makes thousands of VMs affordable; iproute2 saves and
 * restores the namespace around each `netns add` line, so namespaces can be created in the same
 * batch that then creates devices directly inside them (`link add ... netns VM`).
 */
import type { CommandRunner, RunOptions } from './command';
import { CommandFailedError } from './errors';

export interface BatchOptions {
  /** Run inside this named namespace (`-n`); undefined = the agent's own namespace. */
  netns?: string;
  /** `ip` or `bridge`. Default: `ip`. */
  tool?: 'ip' | 'bridge';
  /** Kill the batch after this many milliseconds. Default: 120000. */
  timeoutMs?: number;
  /** Passed to the runner (tests use it to kill the child half-way). */
  onSpawn?: RunOptions['onSpawn'];
}

/** Lines per batch process; bounds the memory of one batch and the work lost to one failure. */
export const MAX_BATCH_LINES = 5000;

export function batchArgv(options: BatchOptions = {}): string[] {
  return [options.tool ?? 'ip', ...(options.netns ? ['-n', options.netns] : []), '-batch', '-'];
}

/** Runs the lines; throws CommandFailedError quoting the failing line. */
export async function runBatch(runner: CommandRunner, lines: readonly string[], options: BatchOptions = {}): Promise<void> {
  for (let start = 0; start < lines.length; start += MAX_BATCH_LINES) {
    const part = lines.slice(start, start + MAX_BATCH_LINES);
    const argv = batchArgv(options);
    const r = await runner.run(argv, { input: part.join('\n') + '\n', timeoutMs: options.timeoutMs, onSpawn: options.onSpawn });
    if (r.code !== 0) {
      const m = /Command failed -:(\d+)/.exec(r.stderr);
      const failing = m ? part[Number(m[1]) - 1] : undefined;
      const detail = failing ? `${r.stderr.trim()} [line: ${failing}]` : r.stderr || `killed by ${r.signal ?? 'unknown'}`;
      throw new CommandFailedError(argv, r.code, detail);
    }
  }
}
