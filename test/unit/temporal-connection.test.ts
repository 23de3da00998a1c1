import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import {
  addTemporalOptions,
  DEFAULT_TEMPORAL_ADDRESS,
  resolveTemporalOptions,
  toConnectionOptions,
  toNativeConnectionOptions,
  type TemporalFlagValues,
} from '../../src/temporal/connection';
import { TemporalOptionError } from '../../src/temporal/errors';

function parse(argv: string[]): TemporalFlagValues {
  const cmd = addTemporalOptions(new Command('x').exitOverride()).action(() => undefined);
  cmd.parse(argv, { from: 'user' });
  return cmd.opts<TemporalFlagValues>();
}

function errorOf(fn: () => unknown): TemporalOptionError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TemporalOptionError) return err;
    throw err;
  }
  throw new Error('expected a TemporalOptionError');
}

describe('resolveTemporalOptions', () => {
  it('defaults to the local dev server, default namespace, plain text', () => {
    expect(resolveTemporalOptions({}, {})).toEqual({ address: '127.0.0.1:7233', namespace: 'default' });
    expect(DEFAULT_TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
  });

  it('reads the Temporal CLI environment variables', () => {
    expect(resolveTemporalOptions({}, { TEMPORAL_ADDRESS: 'temporal.example:7233', TEMPORAL_NAMESPACE: 'merak' })).toEqual({
      address: 'temporal.example:7233',
      namespace: 'merak',
    });
  });

  it('lets flags win over environment variables', () => {
    const r = resolveTemporalOptions(
      { address: 'flag-host:1234', namespace: 'flag-ns' },
      { TEMPORAL_ADDRESS: 'env-host:7233', TEMPORAL_NAMESPACE: 'env-ns' },
    );
    expect(r).toEqual({ address: 'flag-host:1234', namespace: 'flag-ns' });
  });

  it('treats empty environment variables as unset', () => {
    expect(resolveTemporalOptions({}, { TEMPORAL_ADDRESS: '', TEMPORAL_NAMESPACE: '' })).toEqual({
      address: '127.0.0.1:7233',
      namespace: 'default',
    });
  });

  it('accepts bracketed IPv6 addresses', () => {
    expect(resolveTemporalOptions({ address: '[::1]:7233' }, {}).address).toBe('[::1]:7233');
  });

  it.each([
    ['http://localhost:7233', 'no scheme'],
    ['localhost', 'HOST:PORT'],
    ['localhost:0', '1 to 65535'],
    ['localhost:70000', '1 to 65535'],
    ['host name:7233', 'HOST:PORT'],
  ])('refuses address %s, naming the flag', (address, rule) => {
    const err = errorOf(() => resolveTemporalOptions({ address }, {}));
    expect(err.field).toBe('--address');
    expect(err.value).toBe(address);
    expect(err.message).toContain(rule);
  });

  it('names the environment variable when the bad value came from it', () => {
    const err = errorOf(() => resolveTemporalOptions({}, { TEMPORAL_ADDRESS: 'nope' }));
    expect(err.field).toBe('TEMPORAL_ADDRESS');
  });

  it('refuses a namespace that could be read as a flag', () => {
    const err = errorOf(() => resolveTemporalOptions({ namespace: '--evil' }, {}));
    expect(err.field).toBe('--namespace');
  });

  it('turns TLS on for an API key, as the CLI does', async () => {
    const resolved = resolveTemporalOptions({}, { TEMPORAL_API_KEY: 'k' });
    expect(resolved).toEqual({ address: '127.0.0.1:7233', namespace: 'default', apiKey: 'k' });
    expect(await toNativeConnectionOptions(resolved)).toEqual({ address: '127.0.0.1:7233', apiKey: 'k', tls: true });
  });

  it('lets --no-tls keep an API key on plain text', async () => {
    const resolved = resolveTemporalOptions({ apiKey: 'k', tls: false }, {});
    expect(resolved).toEqual({ address: '127.0.0.1:7233', namespace: 'default', apiKey: 'k', tls: { disabled: true } });
    expect(await toConnectionOptions(resolved)).toEqual({ address: '127.0.0.1:7233', apiKey: 'k' });
  });

  it('reads mTLS paths from the current and the legacy variable names (legacy override, as in the CLI)', () => {
    const current = resolveTemporalOptions({}, {
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '/k.pem',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem',
      TEMPORAL_TLS_SERVER_NAME: 'srv',
      TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true',
    });
    expect(current.tls).toEqual({ clientCert: { path: '/c.pem' }, clientKey: { path: '/k.pem' }, serverCACert: { path: '/ca.pem' }, serverName: 'srv', disableHostVerification: true });

    const legacy = resolveTemporalOptions({}, {
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/new.pem',
      TEMPORAL_TLS_CERT: '/old-c.pem',
      TEMPORAL_TLS_KEY: '/old-k.pem',
      TEMPORAL_TLS_CA: '/old-ca.pem',
    });
    expect(legacy.tls).toEqual({ clientCert: { path: '/old-c.pem' }, clientKey: { path: '/old-k.pem' }, serverCACert: { path: '/old-ca.pem' } });
  });

  it('turns TLS on with TEMPORAL_TLS=1 (any case) and no other detail', async () => {
    for (const on of ['1', 'true', 'TRUE']) {
      expect(resolveTemporalOptions({}, { TEMPORAL_TLS: on }).tls).toEqual({ disabled: false });
      expect((await toNativeConnectionOptions(resolveTemporalOptions({}, { TEMPORAL_TLS: on }))).tls).toEqual({});
    }
    expect(resolveTemporalOptions({}, { TEMPORAL_TLS: 'false' }).tls).toEqual({ disabled: true });
    expect((await toNativeConnectionOptions(resolveTemporalOptions({}, { TEMPORAL_TLS: 'False' }))).tls).toBeUndefined();
  });

  it('refuses a non-boolean TEMPORAL_TLS', () => {
    const err = errorOf(() => resolveTemporalOptions({}, { TEMPORAL_TLS: 'yes' }));
    expect(err.field).toBe('TEMPORAL_TLS');
    expect(err.value).toBe('yes');
  });

  it('refuses a certificate without its key and the reverse', () => {
    expect(errorOf(() => resolveTemporalOptions({ tlsCertPath: '/c.pem' }, {})).field).toBe('--tls-cert-path');
    expect(errorOf(() => resolveTemporalOptions({}, { TEMPORAL_TLS_CLIENT_KEY_DATA: 'pem' })).field).toBe('TEMPORAL_TLS_CLIENT_KEY_DATA');
  });

  it('refuses a path and data for the same item', () => {
    const err = errorOf(() => resolveTemporalOptions({ tlsCaPath: '/ca.pem', tlsCaData: 'pem' }, {}));
    expect(err.field).toBe('--tls-ca-path');
    expect(err.message).toContain('--tls-ca-data');
  });

  it('refuses TLS turned off while TLS details are given', () => {
    const err = errorOf(() => resolveTemporalOptions({ tls: false, tlsCaPath: '/ca.pem' }, {}));
    expect(err.field).toBe('--tls');
    expect(err.message).toContain('--tls-ca-path');
  });
});

describe('resolveTemporalOptions with a Temporal CLI config file (read by @temporalio/envconfig)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'merak-envconfig-'));
    file = join(dir, 'temporal.toml');
    writeFileSync(
      file,
      [
        '[profile.default]',
        'address = "file-host:7233"',
        'namespace = "file-ns"',
        '[profile.cloud]',
        'address = "ns.acct.tmprl.cloud:7233"',
        'namespace = "ns.acct"',
        'api_key = "file-key"',
        '[profile.cloud.grpc_meta]',
        'x-team = "net"',
        '[profile.broken]',
        'address = "no-port"',
      ].join('\n'),
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the default profile, and the environment and flags win over it', () => {
    expect(resolveTemporalOptions({}, { TEMPORAL_CONFIG_FILE: file })).toEqual({ address: 'file-host:7233', namespace: 'file-ns' });
    expect(resolveTemporalOptions({}, { TEMPORAL_CONFIG_FILE: file, TEMPORAL_NAMESPACE: 'env-ns' }).namespace).toBe('env-ns');
    expect(resolveTemporalOptions({ address: 'flag-host:1' }, { TEMPORAL_CONFIG_FILE: file, TEMPORAL_ADDRESS: 'env-host:2' }).address).toBe('flag-host:1');
  });

  it('reads the profile named by TEMPORAL_PROFILE, with its gRPC metadata, and sends both', async () => {
    const resolved = resolveTemporalOptions({}, { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' });
    expect(resolved).toEqual({ address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct', apiKey: 'file-key', grpcMeta: { 'x-team': 'net' } });
    expect(await toNativeConnectionOptions(resolved)).toEqual({ address: 'ns.acct.tmprl.cloud:7233', apiKey: 'file-key', tls: true, metadata: { 'x-team': 'net' } });
  });

  it('names the config file profile when a value from it is bad', () => {
    const err = errorOf(() => resolveTemporalOptions({}, { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'broken' }));
    expect(err.field).toBe('--address (from the Temporal config file profile)');
    expect(err.value).toBe('no-port');
  });

  it('refuses a profile that is not in the file, and a file that is no TOML', () => {
    expect(errorOf(() => resolveTemporalOptions({}, { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'nope' })).message).toMatch(/Profile 'nope' not found/);
    writeFileSync(file, 'this is [not toml');
    const err = errorOf(() => resolveTemporalOptions({}, { TEMPORAL_CONFIG_FILE: file }));
    expect(err.field).toBe('Temporal config file');
    expect(err.value).toBe(file);
  });

  it('is no error when the default config file does not exist', () => {
    expect(resolveTemporalOptions({}, { HOME: dir, XDG_CONFIG_HOME: join(dir, 'none') })).toEqual({ address: '127.0.0.1:7233', namespace: 'default' });
  });
});

describe('addTemporalOptions', () => {
  it('parses every flag into the names resolveTemporalOptions reads', () => {
    const flags = parse([
      '--address', 'h:1', '-n', 'ns', '--api-key', 'k', '--tls',
      '--tls-cert-path', '/c', '--tls-key-path', '/k', '--tls-ca-data', 'ca',
      '--tls-server-name', 's', '--tls-disable-host-verification',
    ]);
    expect(resolveTemporalOptions(flags, {})).toEqual({
      address: 'h:1',
      namespace: 'ns',
      apiKey: 'k',
      tls: { disabled: false, clientCert: { path: '/c' }, clientKey: { path: '/k' }, serverCACert: { data: new TextEncoder().encode('ca') }, serverName: 's', disableHostVerification: true },
    });
  });

  it('leaves absent flags undefined so the environment applies', () => {
    const flags = parse([]);
    expect(flags.address).toBeUndefined();
    expect(flags.tls).toBeUndefined();
    expect(resolveTemporalOptions(flags, { TEMPORAL_ADDRESS: 'e:2' }).address).toBe('e:2');
  });

  it('maps --no-tls to tls=false', () => {
    expect(parse(['--no-tls']).tls).toBe(false);
  });
});

describe('connection options from resolved settings', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'merak-tls-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is plain text with only an address by default', async () => {
    expect(await toConnectionOptions(resolveTemporalOptions({}, {}))).toEqual({ address: '127.0.0.1:7233' });
    expect(await toNativeConnectionOptions(resolveTemporalOptions({}, {}))).toEqual({ address: '127.0.0.1:7233' });
  });

  it('reads the certificate, key and CA files into the SDK TLS settings', async () => {
    writeFileSync(join(dir, 'c.pem'), 'CERT');
    writeFileSync(join(dir, 'k.pem'), 'KEY');
    const resolved = resolveTemporalOptions(
      { tlsCertPath: join(dir, 'c.pem'), tlsKeyPath: join(dir, 'k.pem'), tlsCaData: 'CA', tlsServerName: 'srv', apiKey: 'k' },
      {},
    );
    const native = await toNativeConnectionOptions(resolved);
    expect(native.apiKey).toBe('k');
    expect(native.tls).toEqual({
      serverNameOverride: 'srv',
      serverRootCACertificate: new Uint8Array(Buffer.from('CA')),
      clientCertPair: { crt: new Uint8Array(Buffer.from('CERT')), key: new Uint8Array(Buffer.from('KEY')) },
    });
    const client = await toConnectionOptions(resolved);
    expect(client.tls).toEqual(native.tls);
    expect(client.credentials).toBeUndefined();
  });

  it('names the flag when a certificate file cannot be read', async () => {
    const resolved = resolveTemporalOptions({ tlsCertPath: join(dir, 'missing.pem'), tlsKeyData: 'KEY' }, {});
    await expect(toConnectionOptions(resolved)).rejects.toThrow(/--tls-cert-path: .*missing\.pem.*cannot read the file/);
  });

  it('skips host verification with grpc credentials for clients, and refuses it for workers', async () => {
    const resolved = resolveTemporalOptions({ tlsDisableHostVerification: true }, {});
    const client = await toConnectionOptions(resolved);
    expect(client.tls).toBeUndefined();
    expect(client.credentials?._isSecure()).toBe(true);
    await expect(toNativeConnectionOptions(resolved)).rejects.toThrow(/--tls-disable-host-verification.*--tls-server-name/);
  });
});
