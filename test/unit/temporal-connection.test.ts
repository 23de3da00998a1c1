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

  it('turns TLS on for an API key, as the CLI does', () => {
    expect(resolveTemporalOptions({}, { TEMPORAL_API_KEY: 'k' })).toEqual({
      address: '127.0.0.1:7233',
      namespace: 'default',
      apiKey: 'k',
      tls: { disableHostVerification: false },
    });
  });

  it('lets --no-tls keep an API key on plain text', () => {
    expect(resolveTemporalOptions({ apiKey: 'k', tls: false }, {})).toEqual({ address: '127.0.0.1:7233', namespace: 'default', apiKey: 'k' });
  });

  it('reads mTLS paths from the current and the legacy variable names (legacy override, as in the CLI)', () => {
    const current = resolveTemporalOptions({}, {
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem',
      TEMPORAL_TLS_CLIENT_KEY_PATH: '/k.pem',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/ca.pem',
      TEMPORAL_TLS_SERVER_NAME: 'srv',
      TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true',
    });
    expect(current.tls).toEqual({ clientCertPath: '/c.pem', clientKeyPath: '/k.pem', serverCaPath: '/ca.pem', serverName: 'srv', disableHostVerification: true });

    const legacy = resolveTemporalOptions({}, {
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/new.pem',
      TEMPORAL_TLS_CERT: '/old-c.pem',
      TEMPORAL_TLS_KEY: '/old-k.pem',
      TEMPORAL_TLS_CA: '/old-ca.pem',
    });
    expect(legacy.tls).toEqual({ clientCertPath: '/old-c.pem', clientKeyPath: '/old-k.pem', serverCaPath: '/old-ca.pem', disableHostVerification: false });
  });

  it('turns TLS on with TEMPORAL_TLS=1 and no other detail', () => {
    expect(resolveTemporalOptions({}, { TEMPORAL_TLS: '1' }).tls).toEqual({ disableHostVerification: false });
    expect(resolveTemporalOptions({}, { TEMPORAL_TLS: 'false' }).tls).toBeUndefined();
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
      tls: { clientCertPath: '/c', clientKeyPath: '/k', serverCaData: 'ca', serverName: 's', disableHostVerification: true },
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
      serverRootCACertificate: Buffer.from('CA'),
      clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') },
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
