import { InvalidInputError } from '../../src/dataplane/errors';
import { mizarSettingsFromEnv } from '../../src/endpoint-plugins/mizar';
import { BUILTIN_PLUGINS, createPluginRegistry } from '../../src/endpoint-plugins/registry';
import type { CommandRunner } from '../../src/dataplane/command';

describe('the mizar endpoint plugin settings (the agent environment, never the spec)', () => {
  test('defaults', () => {
    expect(mizarSettingsFromEnv({})).toEqual({ kubeconfig: undefined, namespace: 'default', timeoutMs: 8000, concurrency: 32 });
  });

  test('every variable is read', () => {
    expect(mizarSettingsFromEnv({ MERAK_MIZAR_KUBECONFIG: '/k/config', MERAK_MIZAR_NAMESPACE: 'mz', MERAK_MIZAR_TIMEOUT_MS: '1500', MERAK_MIZAR_CONCURRENCY: '1' })).toEqual({
      kubeconfig: '/k/config',
      namespace: 'mz',
      timeoutMs: 1500,
      concurrency: 1,
    });
    expect(mizarSettingsFromEnv({ MERAK_MIZAR_TIMEOUT_MS: '600000', MERAK_MIZAR_CONCURRENCY: '256' })).toMatchObject({ timeoutMs: 600_000, concurrency: 256 });
  });

  test.each([
    ['MERAK_MIZAR_TIMEOUT_MS', '0', '1..600000'],
    ['MERAK_MIZAR_TIMEOUT_MS', '600001', '1..600000'],
    ['MERAK_MIZAR_TIMEOUT_MS', '5s', '1..600000'],
    ['MERAK_MIZAR_CONCURRENCY', '0', '1..256'],
    ['MERAK_MIZAR_CONCURRENCY', '257', '1..256'],
    ['MERAK_MIZAR_CONCURRENCY', '-1', '1..256'],
  ])('%s=%s is refused naming the variable, the value and the rule', (key, value, range) => {
    let err: unknown;
    try {
      mizarSettingsFromEnv({ [key]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err).toMatchObject({ field: key, value, rule: `must be a whole number in ${range}` });
  });
});

test('mizar is a built-in endpoint plugin that makes its own interfaces and loads nothing of Kubernetes until used', async () => {
  expect(BUILTIN_PLUGINS).toContain('mizar');
  const runner: CommandRunner = { run: async () => { throw new Error('no command expected'); } } as unknown as CommandRunner;
  const p = await createPluginRegistry({ runner, dirs: [] }).get('mizar');
  expect(p).toMatchObject({ name: 'mizar', kernel: true, createsInterface: true, bringsHostEndUp: true, encapOverhead: 50 });
  expect(await p.version()).toEqual({ name: 'mizar', protocol: '1', builtin: true });
  // An empty batch touches neither the API server nor the kernel.
  const ctx = {} as Parameters<typeof p.epAdd>[0];
  await expect(p.epAdd(ctx, [])).resolves.toBeUndefined();
  await expect(p.epDel(ctx, [])).resolves.toBeUndefined();
});
