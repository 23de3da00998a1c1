import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { TemporalCliNotFoundError } from './errors';
import { packageRoot } from '../install/paths';
import { toolsBinDir } from './paths';

/** Environment variable naming an explicit Temporal CLI binary; it wins over every other place. */
export const TEMPORAL_CLI_ENV = 'MERAK_TEMPORAL_CLI';

export interface FindTemporalCliOptions {
  /** Where MERAK_TEMPORAL_CLI and PATH are read. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Repository root whose `.tools/bin/temporal` is the last place looked at. @default the root of this checkout */
  root?: string;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the Temporal CLI the same way temporal/provide.sh does, but never builds it:
 * $MERAK_TEMPORAL_CLI, then `temporal` on PATH, then `<repo>/.tools/bin/temporal`.
 * Returns an absolute path; throws {@link TemporalCliNotFoundError} saying how to get one.
 */
export function findTemporalCli(options: FindTemporalCliOptions = {}): string {
  const env = options.env ?? process.env;
  const explicit = env[TEMPORAL_CLI_ENV];
  if (explicit !== undefined && explicit !== '') {
    const path = resolve(explicit);
    if (isExecutableFile(path)) return path;
    throw new TemporalCliNotFoundError(
      `${TEMPORAL_CLI_ENV}=${JSON.stringify(explicit)} is not an executable file; ` +
        `point it at a Temporal CLI binary or unset it and run temporal/provide.sh`,
      [path],
    );
  }

  const searched: string[] = [];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    // An empty or relative PATH entry means "the current directory", which we do not trust.
    if (dir === '' || !isAbsolute(dir)) continue;
    const candidate = join(dir, 'temporal');
    searched.push(candidate);
    if (isExecutableFile(candidate)) return candidate;
  }

  let root: string;
  try {
    root = options.root ?? packageRoot();
  } catch {
    root = '';
  }
  if (root !== '') {
    const local = join(toolsBinDir(root), 'temporal');
    searched.push(local);
    if (isExecutableFile(local)) return local;
  }

  throw new TemporalCliNotFoundError(
    'no Temporal CLI found (looked at $' +
      TEMPORAL_CLI_ENV +
      ', `temporal` on PATH and .tools/bin/temporal). Run `temporal/provide.sh` from the repository root: ' +
      'it builds the pinned version with Go or prints the other ways to install it; or set ' +
      TEMPORAL_CLI_ENV +
      ' to an existing binary.',
    searched,
  );
}
