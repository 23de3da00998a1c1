import { isIP } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import type { SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { TemporalOptionError } from './errors';
import { cliSearchAttributeType, MERAK_SEARCH_ATTRIBUTES } from './search-attributes';

// Pure: turns user options into a complete, validated dev-server configuration and the CLI's
// argv. Nothing here touches the file system or starts anything.

/** What a user may set for the local dev server; every field has a default. */
export interface DevServerOptions {
  /** Address the gRPC frontend (and the UI) bind to. Loopback by default so nothing is exposed. @default '127.0.0.1' */
  ip?: string;
  /** gRPC frontend port (what clients and workers dial). @default 7233 */
  port?: number;
  /** Web UI port. @default 8233 */
  uiPort?: number;
  /** Serve the web UI. @default true */
  ui?: boolean;
  /** Namespace created at start (the dev server always creates `default` too). @default 'default' */
  namespace?: string;
  /** Folder for the SQLite file, pid file and log; created if missing. @default '<repo>/.state/temporal' */
  stateDir?: string;
  /** SQLite database file; it keeps workflow histories across restarts. @default '<stateDir>/temporal.sqlite' */
  dbFile?: string;
  /** File holding the detached server's process id. @default '<stateDir>/temporal.pid' */
  pidFile?: string;
  /** File receiving the server's stdout and stderr (appended). @default '<stateDir>/temporal.log' */
  logFile?: string;
  /**
   * JSON record of the running server (pid, address, UI URL, argv), written at start so that
   * `status` and `stop` find a server started with other ports without being told them again.
   * @default '<stateDir>/temporal.json'
   */
  recordFile?: string;
  /** Custom search attributes registered on the namespace. @default [MerakScenario (Keyword)] */
  searchAttributes?: readonly SearchAttributeKey<SearchAttributeType>[];
  /**
   * SQLite pragmas. WAL lets readers (the UI, list queries) proceed while the history service
   * writes; synchronous=NORMAL is durable across process crashes, which is what a dev server needs.
   * @default { journal_mode: 'wal', synchronous: 'normal' }
   */
  sqlitePragmas?: Readonly<Record<string, string>>;
  /** Server log level (`debug`, `info`, `warn`, `error`). @default 'warn' */
  logLevel?: string;
  /** More `temporal server start-dev` arguments, appended verbatim (argv entries, never a shell string). @default [] */
  extraArgs?: readonly string[];
}

/** {@link DevServerOptions} with every default filled in and every value checked. */
export interface DevServerConfig {
  ip: string;
  port: number;
  uiPort: number;
  ui: boolean;
  namespace: string;
  stateDir: string;
  dbFile: string;
  pidFile: string;
  logFile: string;
  recordFile: string;
  searchAttributes: readonly SearchAttributeKey<SearchAttributeType>[];
  sqlitePragmas: Readonly<Record<string, string>>;
  logLevel: string;
  extraArgs: readonly string[];
}

export const DEV_SERVER_DEFAULTS = {
  ip: '127.0.0.1',
  port: 7233,
  uiPort: 8233,
  ui: true,
  namespace: 'default',
  sqlitePragmas: { journal_mode: 'wal', synchronous: 'normal' },
  logLevel: 'warn',
} as const;

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'];
// Temporal namespace names: letters, digits, '-', '_', '.'; we also refuse anything else so a
// name can never be read as a flag by the CLI.
const NAMESPACE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
const PRAGMA_NAME_RE = /^[a-z_]+$/;
const PRAGMA_VALUE_RE = /^[A-Za-z0-9_-]+$/;
const SEARCH_ATTRIBUTE_NAME_RE = /^[A-Za-z][A-Za-z0-9_]*$/;

function checkPort(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new TemporalOptionError(field, value, 'a TCP port is an integer from 1 to 65535');
  }
  return value;
}

function checkPath(field: string, value: string): string {
  if (value.trim() === '') throw new TemporalOptionError(field, value, 'must be a non-empty path');
  if (value.includes('\0')) throw new TemporalOptionError(field, value, 'must not contain NUL bytes');
  return isAbsolute(value) ? value : resolve(value);
}

/**
 * Fills defaults and validates. Throws {@link TemporalOptionError} naming the field, the value and
 * the rule, before anything is created or started.
 * @param defaultStateDir the state folder used when `options.stateDir` is not given
 */
export function resolveDevServerConfig(options: DevServerOptions, defaultStateDir: string): DevServerConfig {
  const ip = options.ip ?? DEV_SERVER_DEFAULTS.ip;
  if (isIP(ip) === 0) throw new TemporalOptionError('ip', ip, 'must be an IPv4 or IPv6 address (the dev server needs an IP, not a host name)');
  const port = checkPort('port', options.port ?? DEV_SERVER_DEFAULTS.port);
  const uiPort = checkPort('uiPort', options.uiPort ?? DEV_SERVER_DEFAULTS.uiPort);
  const ui = options.ui ?? DEV_SERVER_DEFAULTS.ui;
  if (ui && uiPort === port) throw new TemporalOptionError('uiPort', uiPort, 'must differ from the gRPC port');
  const namespace = options.namespace ?? DEV_SERVER_DEFAULTS.namespace;
  if (!NAMESPACE_RE.test(namespace)) {
    throw new TemporalOptionError('namespace', namespace, 'letters, digits, ".", "-" and "_", starting with a letter or digit, at most 255 characters');
  }
  const stateDir = checkPath('stateDir', options.stateDir ?? defaultStateDir);
  const dbFile = checkPath('dbFile', options.dbFile ?? join(stateDir, 'temporal.sqlite'));
  const pidFile = checkPath('pidFile', options.pidFile ?? join(stateDir, 'temporal.pid'));
  const logFile = checkPath('logFile', options.logFile ?? join(stateDir, 'temporal.log'));
  const recordFile = checkPath('recordFile', options.recordFile ?? join(stateDir, 'temporal.json'));
  const distinct = new Map<string, string>();
  for (const [field, path] of [['dbFile', dbFile], ['pidFile', pidFile], ['logFile', logFile], ['recordFile', recordFile]] as const) {
    const other = distinct.get(path);
    if (other !== undefined) throw new TemporalOptionError(field, path, `must not be the same file as ${other}`);
    distinct.set(path, field);
  }

  const searchAttributes = options.searchAttributes ?? MERAK_SEARCH_ATTRIBUTES;
  const seen = new Set<string>();
  searchAttributes.forEach((key, i) => {
    if (!SEARCH_ATTRIBUTE_NAME_RE.test(key.name)) {
      throw new TemporalOptionError(`searchAttributes[${i}].name`, key.name, 'a letter followed by letters, digits or "_"');
    }
    if (seen.has(key.name)) throw new TemporalOptionError(`searchAttributes[${i}].name`, key.name, 'must be unique');
    seen.add(key.name);
  });

  const sqlitePragmas = options.sqlitePragmas ?? DEV_SERVER_DEFAULTS.sqlitePragmas;
  for (const [name, value] of Object.entries(sqlitePragmas)) {
    if (!PRAGMA_NAME_RE.test(name)) throw new TemporalOptionError('sqlitePragmas', name, 'a pragma name is lower-case letters and "_"');
    if (!PRAGMA_VALUE_RE.test(value)) throw new TemporalOptionError(`sqlitePragmas.${name}`, value, 'a pragma value is letters, digits, "_" or "-"');
  }

  const logLevel = options.logLevel ?? DEV_SERVER_DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new TemporalOptionError('logLevel', logLevel, `one of ${LOG_LEVELS.join(', ')}`);

  return {
    ip,
    port,
    uiPort,
    ui,
    namespace,
    stateDir,
    dbFile,
    pidFile,
    logFile,
    recordFile,
    searchAttributes,
    sqlitePragmas,
    logLevel,
    extraArgs: options.extraArgs ?? [],
  };
}

/**
 * Further dev-server settings, measured in bench/ (docs/BENCHMARKS.md):
 * - one partition per task queue instead of four: a single-process server gains nothing from
 *   partitions, and a thousand node queues made 4000 of them (dev-server CPU 239 s -> 165 s and
 *   RSS 3.2 -> 1.6 GB at 1000 nodes);
 * - eager activity dispatch: a plugin call scheduled by a workflow task of the compute worker is
 *   handed back in that task's reply instead of waiting for a poll (the compute worker serves
 *   both), one round trip less per stage.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: readonly string[] = [
  'matching.numTaskqueueReadPartitions=1',
  'matching.numTaskqueueWritePartitions=1',
  'system.enableActivityEagerExecution=true',
];

/** Concurrent long polls the local dev server allows per namespace (its default is 1200). */
export const DEV_SERVER_POLLER_LIMIT = 20_000;

/** The argv (after the binary) of `temporal server start-dev` for a resolved configuration. */
export function buildDevServerArgs(config: DevServerConfig): string[] {
  const args = [
    'server',
    'start-dev',
    '--ip',
    config.ip,
    '--port',
    String(config.port),
    '--db-filename',
    config.dbFile,
    '--log-level',
    config.logLevel,
  ];
  if (config.ui) args.push('--ui-port', String(config.uiPort));
  else args.push('--headless');
  // `default` is always created by the dev server; naming it again would be a no-op.
  if (config.namespace !== 'default') args.push('--namespace', config.namespace);
  for (const key of config.searchAttributes) {
    args.push('--search-attribute', `${key.name}=${cliSearchAttributeType(key.type)}`);
  }
  for (const [name, value] of Object.entries(config.sqlitePragmas)) {
    args.push('--sqlite-pragma', `${name}=${value}`);
  }
  // Every emulated node polls its own task queue: the dev server's default cap of 1200
  // concurrent polls per namespace refuses polls from about 240 nodes on (measured in bench/).
  args.push('--dynamic-config-value', `frontend.namespaceCount=${DEV_SERVER_POLLER_LIMIT}`);
  for (const value of DEV_SERVER_DYNAMIC_CONFIG) args.push('--dynamic-config-value', value);
  args.push(...config.extraArgs);
  return args;
}

/** `host:port` a client dials for this server (IPv6 in brackets). */
export function devServerAddress(config: Pick<DevServerConfig, 'ip' | 'port'>): string {
  const host = isIP(config.ip) === 6 ? `[${config.ip}]` : config.ip;
  return `${host}:${config.port}`;
}

/** The web UI's URL, or undefined when the UI is off. */
export function devServerUiUrl(config: Pick<DevServerConfig, 'ip' | 'uiPort' | 'ui'>): string | undefined {
  if (!config.ui) return undefined;
  const host = config.ip === '127.0.0.1' || config.ip === '::1' ? 'localhost' : isIP(config.ip) === 6 ? `[${config.ip}]` : config.ip;
  return `http://${host}:${config.uiPort}`;
}
