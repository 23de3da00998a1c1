/**
 * Replays recorded workflow histories against today's workflow code: a change that would make a
 * running scenario non-deterministic fails here, not in production. Record new histories with
 * MERAK_RECORD_HISTORIES=1 (see the tests that write test/histories/*.json). A file is named after
 * the workflow id it was recorded from, since the workflow checks its own id.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { bundleWorkflows } from '../helpers/temporal';

jest.setTimeout(120_000);

const dir = join(__dirname, '..', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThan(0);
});

test.each(files)('replays %s deterministically', async (file) => {
  const history = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  await Worker.runReplayHistory({ workflowBundle: await bundleWorkflows() }, history, file.replace(/\.json$/, ''));
});
