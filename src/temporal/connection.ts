import { credentials as grpcCredentials } from '@grpc/grpc-js';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile, type ClientConfigTLS, type ConfigDataSource } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import type { Command } from 'commander';
import { TemporalOptionError } from './errors';

// Every merak command and worker reaches Temporal through these options. They follow the Temporal
// CLI's own flags, environment variables and config file (temporal CLI v1.5, `client` option set),
// so one shell environment configured for `temporal` also configures `merak`. The environment and
// the config file are read by the SDK's @temporalio/envconfig; this module adds the flags over
// them, the CLI's legacy variable names, and checks that name the flag or variable at fault.

/** Default frontend address: the local dev server. */
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
/** Default namespace. */
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';

/** Flag values as commander parses them from {@link addTemporalOptions} (all optional; absent = not given). */
export interface TemporalFlagValues {
  address?: string;
  namespace?: string;
  apiKey?: string;
  tls?: boolean;
  tlsCertPath?: string;
  tlsCertData?: string;
  tlsKeyPath?: string;
  tlsKeyData?: string;
  tlsCaPath?: string;
  tlsCaData?: string;
  tlsServerName?: string;
  tlsDisableHostVerification?: boolean;
}

/** TLS settings after resolution (envconfig's shape); certificate files are read later, by {@link connectClient}. */
export interface ResolvedTls extends ClientConfigTLS {
  /** Do not check the server certificate's host name (clients only). Default: false. */
  disableHostVerification?: boolean;
}

/**
 * Where and how to reach Temporal: envconfig's profile, checked, with the defaults filled in.
 * TLS is on when `tls` is present and not `disabled`, or when there is an API key.
 */
export interface ResolvedTemporalOptions extends ClientConfigProfile {
  address: string;
  namespace: string;
  tls?: ResolvedTls;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Each flag and the Temporal CLI environment variable it stands for. */
const SOURCES = {
  address: { flag: '--address', env: 'TEMPORAL_ADDRESS' },
  namespace: { flag: '--namespace', env: 'TEMPORAL_NAMESPACE' },
  apiKey: { flag: '--api-key', env: 'TEMPORAL_API_KEY' },
  tls: { flag: '--tls', env: 'TEMPORAL_TLS' },
  tlsCertPath: { flag: '--tls-cert-path', env: 'TEMPORAL_TLS_CLIENT_CERT_PATH' },
  tlsCertData: { flag: '--tls-cert-data', env: 'TEMPORAL_TLS_CLIENT_CERT_DATA' },
  tlsKeyPath: { flag: '--tls-key-path', env: 'TEMPORAL_TLS_CLIENT_KEY_PATH' },
  tlsKeyData: { flag: '--tls-key-data', env: 'TEMPORAL_TLS_CLIENT_KEY_DATA' },
  tlsCaPath: { flag: '--tls-ca-path', env: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH' },
  tlsCaData: { flag: '--tls-ca-data', env: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA' },
  tlsServerName: { flag: '--tls-server-name', env: 'TEMPORAL_TLS_SERVER_NAME' },
  tlsDisableHostVerification: { flag: '--tls-disable-host-verification', env: 'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION' },
} as const satisfies Record<keyof TemporalFlagValues, { flag: string; env: string }>;
type Key = keyof typeof SOURCES;

/** The CLI's legacy variable names, which envconfig does not read; each overrides its current name, as in the CLI. */
const LEGACY_ENV: Readonly<Record<string, Key>> = {
  TEMPORAL_TLS_CERT: 'tlsCertPath',
  TEMPORAL_TLS_CERT_DATA: 'tlsCertData',
  TEMPORAL_TLS_KEY: 'tlsKeyPath',
  TEMPORAL_TLS_KEY_DATA: 'tlsKeyData',
  TEMPORAL_TLS_CA: 'tlsCaPath',
  TEMPORAL_TLS_CA_DATA: 'tlsCaData',
};

/**
 * Adds the Temporal connection flags to a command. No flag carries a commander default, so
 * {@link resolveTemporalOptions} can tell "not given" (fall back to the environment) from "given".
 */
export function addTemporalOptions(cmd: Command): Command {
  return cmd
    .option('--address <host:port>', `Temporal frontend gRPC address (env TEMPORAL_ADDRESS; default ${DEFAULT_TEMPORAL_ADDRESS})`)
    .option('-n, --namespace <name>', `Temporal namespace (env TEMPORAL_NAMESPACE; default ${DEFAULT_TEMPORAL_NAMESPACE})`)
    .option('--api-key <key>', 'API key sent as a bearer token; turns TLS on (env TEMPORAL_API_KEY)')
    .option('--tls', 'use TLS without client certificates (env TEMPORAL_TLS); implied by any other TLS option or an API key')
    .option('--no-tls', 'force plain-text gRPC even when an API key is set')
    .option('--tls-cert-path <file>', 'client certificate for mTLS (env TEMPORAL_TLS_CLIENT_CERT_PATH or TEMPORAL_TLS_CERT)')
    .option('--tls-cert-data <pem>', 'client certificate PEM text (env TEMPORAL_TLS_CLIENT_CERT_DATA)')
    .option('--tls-key-path <file>', 'client private key for mTLS (env TEMPORAL_TLS_CLIENT_KEY_PATH or TEMPORAL_TLS_KEY)')
    .option('--tls-key-data <pem>', 'client private key PEM text (env TEMPORAL_TLS_CLIENT_KEY_DATA)')
    .option('--tls-ca-path <file>', 'CA certificate that signed the server (env TEMPORAL_TLS_SERVER_CA_CERT_PATH or TEMPORAL_TLS_CA)')
    .option('--tls-ca-data <pem>', 'server CA certificate PEM text (env TEMPORAL_TLS_SERVER_CA_CERT_DATA)')
    .option('--tls-server-name <name>', 'server name expected in the server certificate (env TEMPORAL_TLS_SERVER_NAME)')
    .option('--tls-disable-host-verification', 'do not check the server certificate host name (env TEMPORAL_TLS_DISABLE_HOST_VERIFICATION)');
}

/** A setting given by a flag or an environment variable, with its name for error messages. */
type Given = Partial<Record<Key, { value: string; field: string }>>;

/** Flags over legacy variable names over current ones; empty variables count as unset; booleans become "true"/"false". */
function givenSettings(flags: TemporalFlagValues, env: Env): Given {
  const given: Given = {};
  const fromEnv = (key: Key, name: string) => {
    const v = env[name];
    if (v !== undefined && v !== '') given[key] = { value: v, field: name };
  };
  for (const [key, s] of Object.entries(SOURCES) as [Key, { env: string }][]) fromEnv(key, s.env);
  for (const [name, key] of Object.entries(LEGACY_ENV)) fromEnv(key, name);
  for (const key of ['tls', 'tlsDisableHostVerification'] as const) {
    const g = given[key];
    // The CLI's spelling: 1/0/true/false, any case (envconfig alone would read "yes" or "TRUE" as false).
    if (g && !/^(1|0|true|false)$/i.test(g.value)) throw new TemporalOptionError(g.field, g.value, 'must be one of 1, 0, true, false');
    if (g) g.value = /^(1|true)$/i.test(g.value) ? 'true' : 'false';
  }
  for (const [key, s] of Object.entries(SOURCES) as [Key, { flag: string }][]) {
    const v = flags[key];
    if (v !== undefined) given[key] = { value: String(v), field: s.flag };
  }
  return given;
}

/**
 * The Temporal CLI config file's profile (temporal.toml at $TEMPORAL_CONFIG_FILE or in the user
 * config folder, profile $TEMPORAL_PROFILE or "default"; none when there is no file) with the
 * given settings over it, read by @temporalio/envconfig as the SDK reads it.
 */
function loadProfile(given: Given, env: Env): ClientConfigProfile {
  const ours = new Set<string>([...Object.values(SOURCES).map((s) => s.env), ...Object.keys(LEGACY_ENV)]);
  const vars: Record<string, string> = {};
  for (const [name, v] of Object.entries(env)) if (v !== undefined && !ours.has(name)) vars[name] = v;
  for (const [key, g] of Object.entries(given) as [Key, { value: string }][]) vars[SOURCES[key].env] = g.value;
  try {
    return loadClientConfigProfile({ overrideEnvVars: vars });
  } catch (err) {
    throw new TemporalOptionError('Temporal config file', env.TEMPORAL_CONFIG_FILE ?? '(default temporal.toml)', (err as Error).message);
  }
}

function checkAddress(field: string, address: string): string {
  // host:port, host may be a bracketed IPv6 literal; no scheme (the SDK dials gRPC, not a URL).
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(address);
  if (!m) throw new TemporalOptionError(field, address, 'must be HOST:PORT, e.g. 127.0.0.1:7233 or my-ns.tmprl.cloud:7233 (no scheme)');
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new TemporalOptionError(field, address, 'the port must be from 1 to 65535');
  return address;
}

/**
 * Resolves connection options: flags, then the Temporal CLI's environment variables, then the
 * profile of its config file (both read by @temporalio/envconfig), then defaults. Reads the
 * config file when there is one, no certificate file (those are read by {@link connectClient}).
 * @throws TemporalOptionError naming the flag, variable or config file of a bad or conflicting value.
 */
export function resolveTemporalOptions(flags: TemporalFlagValues, env: Env): ResolvedTemporalOptions {
  const given = givenSettings(flags, env);
  const field = (key: Key) => given[key]?.field ?? `${SOURCES[key].flag} (from the Temporal config file profile)`;
  for (const [path, data] of [['tlsCertPath', 'tlsCertData'], ['tlsKeyPath', 'tlsKeyData'], ['tlsCaPath', 'tlsCaData']] as const) {
    const p = given[path];
    const d = given[data];
    if (p && d) throw new TemporalOptionError(p.field, p.value, `cannot be combined with ${d.field}; give the file or the data, not both`);
  }
  const profile = loadProfile(given, env);
  const resolved: ResolvedTemporalOptions = {
    ...profile,
    address: profile.address === undefined ? DEFAULT_TEMPORAL_ADDRESS : checkAddress(field('address'), profile.address),
    namespace: profile.namespace ?? DEFAULT_TEMPORAL_NAMESPACE,
  };
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(resolved.namespace)) {
    throw new TemporalOptionError(field('namespace'), resolved.namespace, 'letters, digits, ".", "-" and "_", starting with a letter or digit');
  }
  const tls = profile.tls;
  if (tls === undefined) return resolved;
  const sourceKey = (d: ConfigDataSource | undefined, path: Key, data: Key): Key => (d !== undefined && 'path' in d ? path : data);
  if ((tls.clientCert === undefined) !== (tls.clientKey === undefined)) {
    const k = tls.clientCert ? sourceKey(tls.clientCert, 'tlsCertPath', 'tlsCertData') : sourceKey(tls.clientKey, 'tlsKeyPath', 'tlsKeyData');
    const rule = tls.clientCert ? 'a client certificate needs its key (mTLS takes both)' : 'a client key needs its certificate (mTLS takes both)';
    throw new TemporalOptionError(field(k), given[k]?.value, rule);
  }
  const disableHostVerification = given.tlsDisableHostVerification?.value === 'true';
  const detail = (['tlsCertPath', 'tlsCertData', 'tlsKeyPath', 'tlsKeyData', 'tlsCaPath', 'tlsCaData', 'tlsServerName', 'tlsDisableHostVerification'] as const).find(
    (k) => given[k] && given[k].value !== 'false',
  );
  if (tls.disabled === true && detail) throw new TemporalOptionError(field('tls'), false, `TLS is turned off but ${field(detail)} is set; drop one of them`);
  resolved.tls = disableHostVerification ? { ...tls, disableHostVerification } : tls;
  return resolved;
}

/** The SDK's connection settings, built by envconfig (which reads the certificate files). */
function sdkConnectionOptions(resolved: ResolvedTemporalOptions): Pick<NativeConnectionOptions, 'address' | 'apiKey' | 'tls' | 'metadata'> {
  let built: NativeConnectionOptions;
  try {
    built = toClientOptions(resolved).connectionOptions;
  } catch (err) {
    const path = (err as { path?: unknown }).path;
    const t = resolved.tls ?? {};
    const has = (d: ConfigDataSource | undefined) => d !== undefined && 'path' in d && d.path === path;
    const what = has(t.clientCert) ? '--tls-cert-path' : has(t.clientKey) ? '--tls-key-path' : has(t.serverCACert) ? '--tls-ca-path' : 'TLS file';
    throw new TemporalOptionError(what, path, `cannot read the file: ${(err as Error).message}`);
  }
  const options: NativeConnectionOptions = { address: resolved.address };
  if (built.apiKey !== undefined) options.apiKey = built.apiKey;
  if (built.metadata !== undefined) options.metadata = built.metadata;
  if (built.tls) options.tls = built.tls;
  return options;
}

/** Options for `Connection.connect` (client side: CLI commands, tests). */
export async function toConnectionOptions(resolved: ResolvedTemporalOptions): Promise<ConnectionOptions> {
  const options: ConnectionOptions = sdkConnectionOptions(resolved);
  if (resolved.tls?.disableHostVerification && options.tls) {
    // The SDK's `tls` option has no switch for this; grpc-js credentials do.
    const tls = options.tls === true ? {} : options.tls;
    delete options.tls;
    options.credentials = grpcCredentials.createSsl(
      tls.serverRootCACertificate ? Buffer.from(tls.serverRootCACertificate) : null,
      tls.clientCertPair ? Buffer.from(tls.clientCertPair.key) : null,
      tls.clientCertPair ? Buffer.from(tls.clientCertPair.crt) : null,
      { checkServerIdentity: () => undefined },
    );
    if (tls.serverNameOverride !== undefined) {
      options.channelArgs = { 'grpc.ssl_target_name_override': tls.serverNameOverride, 'grpc.default_authority': tls.serverNameOverride };
    }
  }
  return options;
}

/**
 * Options for `NativeConnection.connect` (workers). The worker's native (Rust) connection cannot
 * skip host-name verification, so that option is refused here with a way out.
 */
export async function toNativeConnectionOptions(resolved: ResolvedTemporalOptions): Promise<NativeConnectionOptions> {
  const options = sdkConnectionOptions(resolved);
  if (resolved.tls?.disableHostVerification && options.tls) {
    throw new TemporalOptionError(
      '--tls-disable-host-verification',
      true,
      'workers cannot skip host-name verification; pass --tls-server-name with the name in the server certificate instead',
    );
  }
  return options;
}

/** A connected Temporal client and its connection; close the connection when done. */
export interface ConnectedClient {
  client: Client;
  connection: Connection;
}

/** Connects to Temporal (the SDK checks reachability on connect) and builds a client bound to the namespace. */
export async function connectClient(resolved: ResolvedTemporalOptions): Promise<ConnectedClient> {
  const connection = await Connection.connect(await toConnectionOptions(resolved));
  return { connection, client: new Client({ connection, namespace: resolved.namespace }) };
}
