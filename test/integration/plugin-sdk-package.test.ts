/**
 * The SDK consumed as another repository consumes it: this package packed with `npm pack`,
 * installed into a fresh folder outside the repository, the example provider copied there,
 * typechecked and compiled against `merak/plugin` (package.json `exports`, Node 16 resolution),
 * run with node, and checked by `merak plugin conformance`. Uses the built dist/ (`npm ci` builds
 * it through `prepare`; `npm run build` after changing src/).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runConformanceCli, ruleIds } from '../helpers/conformance-cli';
import type { ConformanceReport } from '../../src/model/plugin-conformance';

jest.setTimeout(300_000);

const REPO = resolve(__dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'merak-sdk-consumer-'));
let provider: ChildProcess | undefined;

afterAll(async () => {
  if (provider?.exitCode === null) {
    const exited = new Promise((r) => provider!.once('exit', r));
    provider.kill('SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

test('the example provider builds against the packed merak/plugin in another folder, runs, and passes the conformance suite', async () => {
  for (const built of ['dist/plugin/index.js', 'dist/plugin/index.d.ts']) {
    if (!existsSync(join(REPO, built))) throw new Error(`${built} is missing: run npm run build (npm ci does it)`);
  }
  // The package as npm would ship it.
  const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO, encoding: 'utf8' })) as Array<{ filename: string }>;
  const consumer = join(work, 'consumer');
  const merakDir = join(consumer, 'node_modules', 'merak');
  mkdirSync(merakDir, { recursive: true });
  execFileSync('tar', ['-xzf', join(work, packed[0]!.filename), '-C', merakDir, '--strip-components=1']);
  // Merak's own dependencies, as an install would put them beside it (linked, not downloaded).
  for (const entry of readdirSync(join(REPO, 'node_modules'))) {
    if (entry.startsWith('.') || entry === 'merak-cli') continue;
    symlinkSync(join(REPO, 'node_modules', entry), join(consumer, 'node_modules', entry));
  }
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'my-provider', version: '1.0.0', private: true, dependencies: { merak: '0.1.0' } }));
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'node16', moduleResolution: 'node16', strict: true, esModuleInterop: true, skipLibCheck: true, types: ['node'], outDir: 'build', rootDir: 'src' }, files: ['src/my-provider.ts'] }),
  );
  mkdirSync(join(consumer, 'src'));
  copyFileSync(join(REPO, 'examples', 'plugin', 'my-provider.ts'), join(consumer, 'src', 'my-provider.ts'));

  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  const trace = execFileSync(process.execPath, [tsc, '-p', consumer, '--traceResolution'], { cwd: consumer, encoding: 'utf8' });
  expect(trace).toContain(`Module name 'merak/plugin' was successfully resolved to '${merakDir}/dist/plugin/index.d.ts'`);
  expect(existsSync(join(consumer, 'build', 'my-provider.js'))).toBe(true);

  // Only the entry point is public: a deep import is refused by `exports`.
  const deep = spawn(process.execPath, ['-e', "require('merak/dist/plugin/sdk')"], { cwd: consumer, stdio: ['ignore', 'ignore', 'pipe'] });
  let deepErr = '';
  deep.stderr!.on('data', (c: Buffer) => (deepErr += c.toString()));
  expect(await new Promise((r) => deep.once('exit', r))).not.toBe(0);
  expect(deepErr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');

  provider = spawn(process.execPath, [join(consumer, 'build', 'my-provider.js'), '0'], { cwd: consumer, stdio: ['ignore', 'ignore', 'pipe'] });
  const address = await new Promise<string>((ok, fail) => {
    let err = '';
    const timer = setTimeout(() => fail(new Error(`the example did not start within 30 s: ${err}`)), 30_000);
    provider!.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /my-provider listening on (\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    });
    provider!.once('exit', (code) => fail(new Error(`the example exited with ${code}: ${err}`)));
  });

  const run = await runConformanceCli(['--address', address, '-o', 'json', '--prefix', 'mkc-sdk']);
  expect(run.code).toBe(0);
  const report = JSON.parse(run.stdout) as ConformanceReport;
  expect(ruleIds(report, 'fail')).toEqual([]);
  // No state service, its own VNIs, no owners: those rules are skipped, saying why.
  expect(ruleIds(report, 'skip')).toEqual(['state.served', 'vpc.create.conflict-vni', 'vpc.create.vni-in-use', 'owner.create', 'owner.update', 'owner.delete', 'state.matches', 'state.after-delete']);
});
