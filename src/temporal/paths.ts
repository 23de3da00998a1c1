import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../install/paths';

/** The Temporal CLI version pinned in temporal/VERSION (the one place it is written). */
export function pinnedCliVersion(root: string = packageRoot()): string {
  return readFileSync(join(root, 'temporal', 'VERSION'), 'utf8').trim();
}

/** The git-ignored folder where a Go build of the CLI lands: `<repo>/.tools/bin`. */
export function toolsBinDir(root: string = packageRoot()): string {
  return join(root, '.tools', 'bin');
}

/** The git-ignored folder holding the local dev server's SQLite file, pid file and log: `<repo>/.state/temporal`. */
export function defaultStateDir(root: string = packageRoot()): string {
  return join(root, '.state', 'temporal');
}
