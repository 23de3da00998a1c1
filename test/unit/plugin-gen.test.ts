import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// scripts/gen-proto.js is CommonJS with no types; its contract is `generate(outDir) → absolute path`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { generate } = require('../../scripts/gen-proto.js') as { generate: (outDir: string) => string };

const root = path.resolve(__dirname, '../..');

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (sub: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.join(sub, entry.name);
      if (entry.isDirectory()) walk(rel);
      else out.push(rel);
    }
  };
  walk('');
  return out.sort();
}

describe('src/gen is generated from proto/ and up to date', () => {
  let fresh: string;

  beforeAll(() => {
    fresh = generate(fs.mkdtempSync(path.join(os.tmpdir(), 'merak-gen-proto-')));
  }, 60_000);

  afterAll(() => {
    fs.rmSync(fresh, { recursive: true, force: true });
  });

  it('has the same files, with the same content, as a fresh `npm run gen:proto`', () => {
    const committed = path.join(root, 'src/gen');
    const files = listFiles(fresh);
    expect(files.length).toBeGreaterThan(20);
    expect(listFiles(committed)).toEqual(files);
    const stale = files.filter((f) => fs.readFileSync(path.join(fresh, f), 'utf8') !== fs.readFileSync(path.join(committed, f), 'utf8'));
    // A non-empty list means proto/ changed without `npm run gen:proto`: run it and commit src/gen.
    expect(stale).toEqual([]);
  });
});

describe('proto/ compiles with protoc', () => {
  // Providers in other languages generate their stubs with protoc (or buf, which uses the same
  // parser rules); the protos must compile there, not only with protobuf.js.
  it('protoc accepts both files and emits a descriptor set', () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'merak-protoc-')), 'plugin.pb');
    try {
      try {
        execFileSync('protoc', ['-I', 'proto', `--descriptor_set_out=${out}`, 'merak/plugin/v1/network_plugin.proto', 'merak/plugin/v1/network_plugin_state.proto'], {
          cwd: root,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new Error('protoc is not installed: apt-get install protobuf-compiler (it is in .ci/apt-packages.txt)');
        }
        throw err;
      }
      const descriptor = fs.readFileSync(out).toString('latin1');
      expect(descriptor).toContain('NetworkPluginService');
      expect(descriptor).toContain('NetworkPluginStateService');
      // Alcor's goal-state protos (third-party, unchanged copies) compile as well.
      execFileSync('protoc', ['-I', 'proto/alcor', `--descriptor_set_out=${out}`, 'goalstateprovisioner.proto'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
      expect(fs.readFileSync(out).toString('latin1')).toContain('GoalStateProvisioner');
    } finally {
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
    }
  });
});
