/**
 * A short exclusive lock between processes on one machine, for read-modify-write of small
 * registry files (shared daemons, machine-wide tag claims). proper-lockfile makes the lock an
 * atomic mkdir(2) of `<path>.lock`, refreshes it while held and takes over one left by a crashed
 * holder after `staleMs`.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { lock } from 'proper-lockfile';

/** Options of `withFileLock`. */
export interface FileLockOptions {
  /** A lock not refreshed for this long belongs to a dead holder and is taken over. @default 10000 */
  staleMs?: number;
  /** How long to wait for the lock before failing. @default 30000 */
  waitMs?: number;
}

/**
 * Runs `fn` while holding the lock `<path>.lock` (the folder of `path` is created if missing;
 * `path` itself need not exist). Throws when the lock is not free within `waitMs`.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const staleMs = options.staleMs ?? 10_000;
  const waitMs = options.waitMs ?? 30_000;
  // Retries with a capped backoff until waitMs: proper-lockfile takes the count, not a deadline.
  const retries = Math.max(1, Math.ceil(waitMs / 200));
  let compromised: Error | undefined;
  const release = await lock(path, {
    realpath: false,
    stale: staleMs,
    retries: { retries, minTimeout: 50, maxTimeout: 200, factor: 1.5 },
    // The default throws from a timer (an uncaught exception); the holder learns it when it releases.
    onCompromised: (err) => {
      compromised = err;
    },
  });
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
    if (compromised) process.stderr.write(`merak: warning: lock ${path}.lock was taken over while held (${compromised.message})\n`);
  }
}
