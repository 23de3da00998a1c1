/**
 * Where the files of this Merak installation are: the one place that knows the package layout.
 * Code in src/ (jest, ts-node), dist/ (the built CLI, the container image) and
 * dist/bench-build/ (benchmarks) finds them the same way, by walking up from this file to the
 * package root, so no caller counts `..` segments.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The `name` in the package.json that marks the root. */
export const PACKAGE_NAME = 'merak';

/** Folders walked up at most: deeper than any build layout, and the file system ends sooner. */
const MAX_LEVELS = 16;

let cached: string | undefined;

function isMerakPackage(dir: string): boolean {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false; // an unreadable package.json is not ours
  }
}

/**
 * The root of the Merak package (the repository checkout, an installed package, or /app in the
 * container image): the nearest ancestor of `from` holding a package.json named "merak".
 * Read once per process for the default `from`.
 *
 * @param from - folder to start from. Default: the folder of this module.
 * @returns an absolute path.
 * @throws Error naming `from` when no such folder is found within 16 levels (a broken install).
 */
export function packageRoot(from?: string): string {
  if (from === undefined && cached !== undefined) return cached;
  const start = from ?? __dirname;
  let dir = start;
  for (let level = 0; level < MAX_LEVELS; level++) {
    if (isMerakPackage(dir)) {
      if (from === undefined) cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find the Merak package root (a folder whose package.json is named "${PACKAGE_NAME}") above ${start}; reinstall merak`);
}

/** `packageRoot()` joined with `parts`, e.g. `packagePath('proto')`. Not checked for existence. */
export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
