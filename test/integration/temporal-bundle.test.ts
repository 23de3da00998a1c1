import { execFile } from 'node:child_process';
import { join } from 'node:path';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'check-bundle.js');

function checkBundle(entry: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, entry], { cwd: ROOT, timeout: 110_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

// `npm run check:bundle` (a CI step) is only worth having if it really fails on bad workflow code.
describe('scripts/check-bundle.js', () => {
  it('bundles a valid workflow module and exits 0', async () => {
    const r = await checkBundle(join(ROOT, 'test', 'fixtures', 'temporal', 'workflows.ts'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/workflows\.ts bundled \(\d+ KiB\)/);
  });

  it('exits 1 naming the disallowed module when workflow code imports a Node built-in', async () => {
    const r = await checkBundle(join(ROOT, 'test', 'fixtures', 'temporal', 'bad-workflows.ts'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FAILED to bundle');
    expect(r.stderr).toContain("'fs'");
  });

  it('exits 1 when the entry does not exist', async () => {
    const r = await checkBundle(join(ROOT, 'test', 'fixtures', 'temporal', 'missing.ts'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('does not exist');
  });
});
