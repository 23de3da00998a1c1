/** Every shipped example scenario is a valid spec (the README and docs point users at them). */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { checkSpec } from '../../src/model/spec';

const dir = join(__dirname, '..', '..', 'examples');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

test('there are example scenarios', () => {
  expect(files).toEqual(expect.arrayContaining(['demo.yaml', 'million.yaml']));
});

test.each(files)('%s is a valid scenario', (file) => {
  const r = checkSpec(parse(readFileSync(join(dir, file), 'utf8')));
  expect(r.ok ? [] : r.issues).toEqual([]);
});

test('million.yaml is a million VMs on the pooled none dataplane', () => {
  const r = checkSpec(parse(readFileSync(join(dir, 'million.yaml'), 'utf8')));
  if (!r.ok) throw new Error('invalid');
  expect(r.spec.nodes.reduce((n, x) => n + x.vms, 0)).toBe(1_000_000);
  expect(r.spec).toMatchObject({ dataplane: 'none', agentPool: true });
});
