import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packagePath, packageRoot } from '../../src/install/paths';

describe('packageRoot', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'merak-root-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is this checkout when called from the source tree', () => {
    expect(packageRoot()).toBe(resolve(__dirname, '..', '..'));
    expect(existsSync(packagePath('proto', 'merak', 'plugin', 'v1', 'network_plugin.proto'))).toBe(true);
    expect(existsSync(packagePath('bin', 'merak.js'))).toBe(true);
  });

  it('walks past package.json files of other packages (packages/merak-cli, dist builds) to the one named merak', () => {
    const deep = join(dir, 'app', 'packages', 'merak-cli', 'dist', 'bench-build', 'src', 'install');
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(dir, 'app', 'package.json'), JSON.stringify({ name: 'merak', version: '0.1.0' }));
    writeFileSync(join(dir, 'app', 'packages', 'merak-cli', 'package.json'), JSON.stringify({ name: 'merak-cli' }));
    writeFileSync(join(dir, 'app', 'packages', 'merak-cli', 'dist', 'package.json'), '{ not json');
    expect(packageRoot(deep)).toBe(join(dir, 'app'));
  });

  it('throws naming the start folder when no merak package.json is above it', () => {
    const deep = join(dir, 'a', 'b');
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'someone-else' }));
    expect(() => packageRoot(deep)).toThrow(new RegExp(`cannot find the Merak package root .* above ${deep}`));
  });
});
