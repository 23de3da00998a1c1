import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTemporalCli } from '../../src/temporal/cli-path';
import { TemporalCliNotFoundError } from '../../src/temporal/errors';

// Real files in a temp folder stand in for installed binaries; nothing is executed.
describe('findTemporalCli', () => {
  let dir: string;
  const exe = (path: string) => {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, '#!/bin/sh\n');
    chmodSync(path, 0o755);
    return path;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'merak-cli-path-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers MERAK_TEMPORAL_CLI', () => {
    const explicit = exe(join(dir, 'x', 'temporal'));
    const onPath = exe(join(dir, 'bin', 'temporal'));
    expect(findTemporalCli({ env: { MERAK_TEMPORAL_CLI: explicit, PATH: join(onPath, '..') }, root: dir })).toBe(explicit);
  });

  it('refuses a MERAK_TEMPORAL_CLI that is not executable, naming it', () => {
    const notExe = join(dir, 'temporal');
    writeFileSync(notExe, '');
    expect(() => findTemporalCli({ env: { MERAK_TEMPORAL_CLI: notExe }, root: dir })).toThrow(/MERAK_TEMPORAL_CLI=.*not an executable/);
  });

  it('then looks on PATH, skipping relative entries', () => {
    const onPath = exe(join(dir, 'bin', 'temporal'));
    exe(join(dir, '.tools', 'bin', 'temporal'));
    expect(findTemporalCli({ env: { PATH: `relative:${join(dir, 'nothing')}:${join(dir, 'bin')}` }, root: dir })).toBe(onPath);
  });

  it('then the repository tools folder', () => {
    const local = exe(join(dir, '.tools', 'bin', 'temporal'));
    expect(findTemporalCli({ env: { PATH: join(dir, 'nothing') }, root: dir })).toBe(local);
  });

  it('says to run temporal/provide.sh when nothing is found', () => {
    let caught: unknown;
    try {
      findTemporalCli({ env: { PATH: join(dir, 'nothing') }, root: dir });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TemporalCliNotFoundError);
    expect((caught as Error).message).toContain('temporal/provide.sh');
    expect((caught as TemporalCliNotFoundError).searched).toEqual([join(dir, 'nothing', 'temporal'), join(dir, '.tools', 'bin', 'temporal')]);
  });
});
