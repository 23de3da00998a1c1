import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { findTemporalCli } from '../temporal/cli-path';
import { packagePath } from '../install/paths';

/** Merak's version and those of what it drives, as `merak --version` prints them. */
export interface Versions {
  merak: string;
  node: string;
  /** @temporalio/client and @temporalio/worker, the TypeScript SDK the CLI and the workers use. */
  sdk: { client: string; worker: string };
  /**
   * The Temporal CLI `merak up` and `merak server start` run, and the server and UI it embeds
   * (from `temporal --version`); `error` says why they are unknown (no CLI found, it failed).
   */
  temporal: { path?: string; cli?: string; server?: string; ui?: string; error?: string };
}

function packageVersion(file: string): string {
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/**
 * Collects the versions. Synchronous on purpose (one `temporal --version`, bounded by a 10 s
 * timeout): commander's option event that calls it cannot wait for a promise.
 */
export function collectVersions(env: NodeJS.ProcessEnv = process.env): Versions {
  const temporal: Versions['temporal'] = {};
  try {
    temporal.path = findTemporalCli({ env });
    const text = execFileSync(temporal.path, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    // "temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)"
    const m = /version\s+(\S+)(?:\s+\(Server\s+([^,)]+)(?:,\s*UI\s+([^)]+))?\))?/.exec(text);
    if (m) {
      temporal.cli = m[1];
      if (m[2]) temporal.server = m[2];
      if (m[3]) temporal.ui = m[3];
    } else temporal.error = `unrecognised output of temporal --version: ${JSON.stringify(text)}`;
  } catch (err) {
    temporal.error = (err as Error).message.split('\n')[0];
  }
  return {
    merak: packageVersion(packagePath('package.json')),
    node: process.version,
    sdk: { client: packageVersion(require.resolve('@temporalio/client/package.json')), worker: packageVersion(require.resolve('@temporalio/worker/package.json')) },
    temporal,
  };
}

/** One line per component, for a person. */
export function versionsText(v: Versions): string {
  const t = v.temporal;
  const temporal = t.cli
    ? `Temporal CLI ${t.cli}${t.server ? ` (dev server ${t.server}${t.ui ? `, UI ${t.ui}` : ''})` : ''} at ${t.path}`
    : t.path
      ? `Temporal CLI at ${t.path}: version unknown (${t.error})`
      : 'Temporal CLI: not found (bash temporal/provide.sh builds it, or set MERAK_TEMPORAL_CLI)';
  return [`merak ${v.merak}`, temporal, `Temporal TypeScript SDK ${v.sdk.client} (client), ${v.sdk.worker} (worker)`, `Node.js ${v.node}`].join('\n') + '\n';
}
