import { readFile } from 'node:fs/promises';
import { credentials as grpcCredentials } from '@grpc/grpc-js';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import type { NativeConnectionOptions } from '@temporalio/worker';
import type { Command } from 'commander';
import { TemporalOptionError } from './errors';

// Every merak command and worker reaches Temporal through these options. They follow the Temporal
// CLI's own flags and environment variables (temporal CLI v1.5, `client` option set), so one
// shell environment configured for `temporal` also configures `merak`.

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

/** TLS settings after resolution; file contents are read later, by {@link connectClient}. */
export interface ResolvedTls {
  clientCertPath?: string;
  clientCertData?: string;
  clientKeyPath?: string;
  clientKeyData?: string;
  serverCaPath?: string;
  serverCaData?: string;
  serverName?: string;
  disableHostVerification: boolean;
}

/** Where and how to reach Temporal. `tls` absent means plain-text gRPC. */
export interface ResolvedTemporalOptions {
  address: string;
  namespace: string;
  tls?: ResolvedTls;
  apiKey?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Each option: its flag, its environment variables (first wins; later ones are the CLI's legacy names, which the CLI lets override). */
const SOURCES = {
  address: { flag: '--address', env: ['TEMPORAL_ADDRESS'] },
  namespace: { flag: '--namespace', env: ['TEMPORAL_NAMESPACE'] },
  apiKey: { flag: '--api-key', env: ['TEMPORAL_API_KEY'] },
  tls: { flag: '--tls', env: ['TEMPORAL_TLS'] },
  tlsCertPath: { flag: '--tls-cert-path', env: ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CERT'] },
  tlsCertData: { flag: '--tls-cert-data', env: ['TEMPORAL_TLS_CLIENT_CERT_DATA', 'TEMPORAL_TLS_CERT_DATA'] },
  tlsKeyPath: { flag: '--tls-key-path', env: ['TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_KEY'] },
  tlsKeyData: { flag: '--tls-key-data', env: ['TEMPORAL_TLS_CLIENT_KEY_DATA', 'TEMPORAL_TLS_KEY_DATA'] },
  tlsCaPath: { flag: '--tls-ca-path', env: ['TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_CA'] },
  tlsCaData: { flag: '--tls-ca-data', env: ['TEMPORAL_TLS_SERVER_CA_CERT_DATA', 'TEMPORAL_TLS_CA_DATA'] },
  tlsServerName: { flag: '--tls-server-name', env: ['TEMPORAL_TLS_SERVER_NAME'] },
  tlsDisableHostVerification: { flag: '--tls-disable-host-verification', env: ['TEMPORAL_TLS_DISABLE_HOST_VERIFICATION'] },
} as const satisfies Record<keyof TemporalFlagValues, { flag: string; env: readonly string[] }>;

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

function fieldName(key: keyof TemporalFlagValues, fromEnv: string | undefined): string {
  return fromEnv ?? SOURCES[key].flag;
}

/** A string option: flag, else the last set env name (legacy names override, as in the CLI), else undefined. Empty env values count as unset. */
function pickString(key: keyof TemporalFlagValues, flags: TemporalFlagValues, env: Env): { value?: string; field: string } {
  const flag = flags[key];
  if (typeof flag === 'string') return { value: flag, field: SOURCES[key].flag };
  let found: { value?: string; field: string } = { field: SOURCES[key].flag };
  for (const name of SOURCES[key].env) {
    const v = env[name];
    if (v !== undefined && v !== '') found = { value: v, field: name };
  }
  return found;
}

/** The CLI's boolean environment spelling: 1/0/true/false, case-insensitive. */
function pickBool(key: 'tls' | 'tlsDisableHostVerification', flags: TemporalFlagValues, env: Env): boolean | undefined {
  const flag = flags[key];
  if (typeof flag === 'boolean') return flag;
  const name = SOURCES[key].env[0];
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const v = raw.toLowerCase();
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  throw new TemporalOptionError(name, raw, 'must be one of 1, 0, true, false');
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
 * Resolves connection options from flags, then the Temporal CLI's environment variables, then
 * defaults. Pure: it reads no files (certificate paths are read by {@link connectClient}).
 * Throws {@link TemporalOptionError} naming the flag or variable for bad or conflicting values.
 */
export function resolveTemporalOptions(flags: TemporalFlagValues, env: Env): ResolvedTemporalOptions {
  const address = pickString('address', flags, env);
  const namespace = pickString('namespace', flags, env);
  const resolved: ResolvedTemporalOptions = {
    address: address.value === undefined ? DEFAULT_TEMPORAL_ADDRESS : checkAddress(address.field, address.value),
    namespace: namespace.value ?? DEFAULT_TEMPORAL_NAMESPACE,
  };
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(resolved.namespace)) {
    throw new TemporalOptionError(namespace.field, resolved.namespace, 'letters, digits, ".", "-" and "_", starting with a letter or digit');
  }

  const apiKey = pickString('apiKey', flags, env).value;
  if (apiKey !== undefined) resolved.apiKey = apiKey;

  const tlsValues = {
    clientCertPath: pickString('tlsCertPath', flags, env),
    clientCertData: pickString('tlsCertData', flags, env),
    clientKeyPath: pickString('tlsKeyPath', flags, env),
    clientKeyData: pickString('tlsKeyData', flags, env),
    serverCaPath: pickString('tlsCaPath', flags, env),
    serverCaData: pickString('tlsCaData', flags, env),
    serverName: pickString('tlsServerName', flags, env),
  };
  const disableHostVerification = pickBool('tlsDisableHostVerification', flags, env);
  const tlsFlag = pickBool('tls', flags, env);

  const pairs: [keyof typeof tlsValues, keyof typeof tlsValues][] = [
    ['clientCertPath', 'clientCertData'],
    ['clientKeyPath', 'clientKeyData'],
    ['serverCaPath', 'serverCaData'],
  ];
  for (const [path, data] of pairs) {
    if (tlsValues[path].value !== undefined && tlsValues[data].value !== undefined) {
      throw new TemporalOptionError(tlsValues[path].field, tlsValues[path].value, `cannot be combined with ${tlsValues[data].field}; give the file or the data, not both`);
    }
  }
  const hasCert = tlsValues.clientCertPath.value !== undefined || tlsValues.clientCertData.value !== undefined;
  const hasKey = tlsValues.clientKeyPath.value !== undefined || tlsValues.clientKeyData.value !== undefined;
  if (hasCert !== hasKey) {
    const given = hasCert ? (tlsValues.clientCertPath.value !== undefined ? tlsValues.clientCertPath : tlsValues.clientCertData) : (tlsValues.clientKeyPath.value !== undefined ? tlsValues.clientKeyPath : tlsValues.clientKeyData);
    throw new TemporalOptionError(given.field, given.value, `a client ${hasCert ? 'certificate needs its key' : 'key needs its certificate'} (mTLS takes both)`);
  }

  const anyTlsDetail = Object.values(tlsValues).some((v) => v.value !== undefined) || disableHostVerification === true;
  if (tlsFlag === false) {
    if (anyTlsDetail) {
      const first = Object.values(tlsValues).find((v) => v.value !== undefined);
      throw new TemporalOptionError(
        fieldName('tls', flags.tls === false ? undefined : 'TEMPORAL_TLS'),
        false,
        `TLS is turned off but ${first ? first.field : SOURCES.tlsDisableHostVerification.flag} is set; drop one of them`,
      );
    }
    return resolved;
  }
  if (tlsFlag === true || anyTlsDetail || apiKey !== undefined) {
    const tls: ResolvedTls = { disableHostVerification: disableHostVerification ?? false };
    for (const [k, v] of Object.entries(tlsValues) as [keyof typeof tlsValues, { value?: string }][]) {
      if (v.value !== undefined) tls[k] = v.value;
    }
    resolved.tls = tls;
  }
  return resolved;
}

async function pem(path: string | undefined, data: string | undefined, what: string): Promise<Buffer | undefined> {
  if (data !== undefined) return Buffer.from(data);
  if (path === undefined) return undefined;
  try {
    return await readFile(path);
  } catch (err) {
    throw new TemporalOptionError(what, path, `cannot read the file: ${(err as Error).message}`);
  }
}

/** Reads the certificate files and builds the SDK's TLS settings. */
export async function loadTlsConfig(tls: ResolvedTls): Promise<TLSConfig> {
  const crt = await pem(tls.clientCertPath, tls.clientCertData, '--tls-cert-path');
  const key = await pem(tls.clientKeyPath, tls.clientKeyData, '--tls-key-path');
  const ca = await pem(tls.serverCaPath, tls.serverCaData, '--tls-ca-path');
  const config: TLSConfig = {};
  if (tls.serverName !== undefined) config.serverNameOverride = tls.serverName;
  if (ca) config.serverRootCACertificate = ca;
  if (crt && key) config.clientCertPair = { crt, key };
  return config;
}

/** Options for `Connection.connect` (client side: CLI commands, tests). */
export async function toConnectionOptions(resolved: ResolvedTemporalOptions): Promise<ConnectionOptions> {
  const options: ConnectionOptions = { address: resolved.address };
  if (resolved.apiKey !== undefined) options.apiKey = resolved.apiKey;
  if (resolved.tls) {
    const tls = await loadTlsConfig(resolved.tls);
    if (resolved.tls.disableHostVerification) {
      // The SDK's `tls` option has no switch for this; grpc-js credentials do.
      options.credentials = grpcCredentials.createSsl(
        tls.serverRootCACertificate ? Buffer.from(tls.serverRootCACertificate) : null,
        tls.clientCertPair ? Buffer.from(tls.clientCertPair.key) : null,
        tls.clientCertPair ? Buffer.from(tls.clientCertPair.crt) : null,
        { checkServerIdentity: () => undefined },
      );
      if (tls.serverNameOverride !== undefined) {
        options.channelArgs = { 'grpc.ssl_target_name_override': tls.serverNameOverride, 'grpc.default_authority': tls.serverNameOverride };
      }
    } else {
      options.tls = tls;
    }
  }
  return options;
}

/**
 * Options for `NativeConnection.connect` (workers). The worker's native (Rust) connection cannot
 * skip host-name verification, so that option is refused here with a way out.
 */
export async function toNativeConnectionOptions(resolved: ResolvedTemporalOptions): Promise<NativeConnectionOptions> {
  const options: NativeConnectionOptions = { address: resolved.address };
  if (resolved.apiKey !== undefined) options.apiKey = resolved.apiKey;
  if (resolved.tls) {
    if (resolved.tls.disableHostVerification) {
      throw new TemporalOptionError(
        '--tls-disable-host-verification',
        true,
        'workers cannot skip host-name verification; pass --tls-server-name with the name in the server certificate instead',
      );
    }
    options.tls = await loadTlsConfig(resolved.tls);
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
