import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import {
  buildDevServerArgs,
  devServerAddress,
  devServerUiUrl,
  resolveDevServerConfig,
} from '../../src/temporal/dev-server-config';
import { TemporalOptionError } from '../../src/temporal/errors';

const STATE = '/var/lib/merak-test/state';

function errorOf(fn: () => unknown): TemporalOptionError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TemporalOptionError) return err;
    throw err;
  }
  throw new Error('expected a TemporalOptionError');
}

describe('resolveDevServerConfig', () => {
  it('fills the documented defaults', () => {
    const c = resolveDevServerConfig({}, STATE);
    expect(c).toMatchObject({
      ip: '127.0.0.1',
      port: 7233,
      uiPort: 8233,
      ui: true,
      namespace: 'default',
      stateDir: STATE,
      dbFile: `${STATE}/temporal.sqlite`,
      pidFile: `${STATE}/temporal.pid`,
      logFile: `${STATE}/temporal.log`,
      recordFile: `${STATE}/temporal.json`,
      sqlitePragmas: { journal_mode: 'wal', synchronous: 'normal' },
      logLevel: 'warn',
    });
    expect(c.searchAttributes).toEqual([{ name: 'MerakScenario', type: 'KEYWORD' }]);
  });

  it('puts files under a given state folder', () => {
    expect(resolveDevServerConfig({ stateDir: '/tmp/s' }, STATE).dbFile).toBe('/tmp/s/temporal.sqlite');
  });

  it.each([
    [{ port: 0 }, 'port'],
    [{ port: 65536 }, 'port'],
    [{ port: 7233.5 }, 'port'],
    [{ uiPort: -1 }, 'uiPort'],
    [{ uiPort: 7233 }, 'uiPort'],
    [{ ip: 'localhost' }, 'ip'],
    [{ ip: '10.0.0.300' }, 'ip'],
    [{ namespace: '' }, 'namespace'],
    [{ namespace: '-x' }, 'namespace'],
    [{ namespace: 'a b' }, 'namespace'],
    [{ stateDir: ' ' }, 'stateDir'],
    [{ dbFile: '/tmp/x', logFile: '/tmp/x' }, 'logFile'],
    [{ pidFile: '/tmp/x', recordFile: '/tmp/x' }, 'recordFile'],
    [{ logLevel: 'loud' }, 'logLevel'],
    [{ sqlitePragmas: { 'journal_mode;drop': 'wal' } }, 'sqlitePragmas'],
    [{ sqlitePragmas: { journal_mode: 'wal off' } }, 'sqlitePragmas.journal_mode'],
    [{ searchAttributes: [defineSearchAttributeKey('1bad', SearchAttributeType.KEYWORD)] }, 'searchAttributes[0].name'],
    [
      { searchAttributes: [defineSearchAttributeKey('A', SearchAttributeType.KEYWORD), defineSearchAttributeKey('A', SearchAttributeType.INT)] },
      'searchAttributes[1].name',
    ],
  ])('refuses %j naming %s', (options, field) => {
    const err = errorOf(() => resolveDevServerConfig(options, STATE));
    expect(err.field).toBe(field);
    expect(err.message).toContain(field);
  });

  it('allows the UI port to equal the gRPC port when the UI is off', () => {
    expect(resolveDevServerConfig({ ui: false, uiPort: 7233 }, STATE).ui).toBe(false);
  });
});

describe('buildDevServerArgs', () => {
  it('builds the default start-dev argv', () => {
    expect(buildDevServerArgs(resolveDevServerConfig({}, STATE))).toEqual([
      'server', 'start-dev',
      '--ip', '127.0.0.1',
      '--port', '7233',
      '--db-filename', `${STATE}/temporal.sqlite`,
      '--log-level', 'warn',
      '--ui-port', '8233',
      '--search-attribute', 'MerakScenario=Keyword',
      '--sqlite-pragma', 'journal_mode=wal',
      '--sqlite-pragma', 'synchronous=normal',
      // Room for one poller per emulated node beyond the dev server's 1200 per namespace.
      '--dynamic-config-value', 'frontend.namespaceCount=20000',
      // One partition per queue and eager activities (measured in bench/).
      '--dynamic-config-value', 'matching.numTaskqueueReadPartitions=1',
      '--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1',
      '--dynamic-config-value', 'system.enableActivityEagerExecution=true',
    ]);
  });

  it('goes headless without a UI, adds a non-default namespace and extra args last', () => {
    const args = buildDevServerArgs(
      resolveDevServerConfig({ ui: false, namespace: 'merak', port: 17233, sqlitePragmas: {}, extraArgs: ['--dynamic-config-value', 'x=1'] }, STATE),
    );
    expect(args).toContain('--headless');
    expect(args).not.toContain('--ui-port');
    expect(args).not.toContain('--sqlite-pragma');
    expect(args.slice(args.indexOf('--namespace'), args.indexOf('--namespace') + 2)).toEqual(['--namespace', 'merak']);
    expect(args.slice(-2)).toEqual(['--dynamic-config-value', 'x=1']);
    expect(args[args.indexOf('--port') + 1]).toBe('17233');
  });

  it('spells every search attribute type as the CLI expects', () => {
    const keys = [
      defineSearchAttributeKey('K', SearchAttributeType.KEYWORD),
      defineSearchAttributeKey('T', SearchAttributeType.TEXT),
      defineSearchAttributeKey('I', SearchAttributeType.INT),
      defineSearchAttributeKey('D', SearchAttributeType.DOUBLE),
      defineSearchAttributeKey('B', SearchAttributeType.BOOL),
      defineSearchAttributeKey('W', SearchAttributeType.DATETIME),
      defineSearchAttributeKey('L', SearchAttributeType.KEYWORD_LIST),
    ];
    const args = buildDevServerArgs(resolveDevServerConfig({ searchAttributes: keys }, STATE));
    const values = args.filter((_, i) => args[i - 1] === '--search-attribute');
    expect(values).toEqual(['K=Keyword', 'T=Text', 'I=Int', 'D=Double', 'B=Bool', 'W=Datetime', 'L=KeywordList']);
  });
});

describe('addresses', () => {
  it('brackets IPv6 and names the UI by localhost on loopback', () => {
    expect(devServerAddress({ ip: '::1', port: 7233 })).toBe('[::1]:7233');
    expect(devServerAddress({ ip: '127.0.0.1', port: 7233 })).toBe('127.0.0.1:7233');
    expect(devServerUiUrl({ ip: '127.0.0.1', uiPort: 8233, ui: true })).toBe('http://localhost:8233');
    expect(devServerUiUrl({ ip: '10.1.2.3', uiPort: 8233, ui: true })).toBe('http://10.1.2.3:8233');
    expect(devServerUiUrl({ ip: '127.0.0.1', uiPort: 8233, ui: false })).toBeUndefined();
  });
});
