import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** How far up from this file we look for the repository root; the tree is shallow (src|dist/temporal). */
const MAX_PARENT_LEVELS = 8;

/**
 * The Merak repository (or installed package) root: the nearest ancestor of this file holding
 * `temporal/VERSION`. Works the same from src/ (jest, tsx) and dist/ (the built CLI).
 */
export function repoRoot(from: string = __dirname): string {
  let dir = resolve(from);
  for (let i = 0; i < MAX_PARENT_LEVELS; i++) {
    if (existsSync(join(dir, 'temporal', 'VERSION'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find the Merak repository root (a folder holding temporal/VERSION) above ${from}`);
}

/** The Temporal CLI version pinned in temporal/VERSION (the one place it is written). */
export function pinnedCliVersion(root: string = repoRoot()): string {
  return readFileSync(join(root, 'temporal', 'VERSION'), 'utf8').trim();
}

/** The git-ignored folder where a Go build of the CLI lands: `<repo>/.tools/bin`. */
export function toolsBinDir(root: string = repoRoot()): string {
  return join(root, '.tools', 'bin');
}

/** The git-ignored folder holding the local dev server's SQLite file, pid file and log: `<repo>/.state/temporal`. */
export function defaultStateDir(root: string = repoRoot()): string {
  return join(root, '.state', 'temporal');
}
