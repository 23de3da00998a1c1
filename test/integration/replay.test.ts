/**
 * Replays recorded workflow histories against today's workflow code: a change that would make a
 * running scenario non-deterministic fails here, not in production. Record new histories with
 * MERAK_RECORD_HISTORIES=1 (see the tests that write test/histories/*.json). A file is named after
 * the workflow id it was recorded from, since the workflow checks its own id; runs of one workflow
 * id (continue-as-new) are told apart by `.run<N>` before `.json`. Histories recorded
 * by older workflow code stay in sub-folders (e.g. before-create-batch/): running scenarios of
 * that code must keep replaying, which is what the patch markers in the workflows are for.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { bundleWorkflows } from '../helpers/temporal';

jest.setTimeout(120_000);

const dir = join(__dirname, '..', 'histories');
const files = readdirSync(dir, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.json'))
  .sort();

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThan(0);
});

/** The workflow id a history was recorded from: its file name without `.run<N>` and `.json`. */
const workflowIdOf = (file: string) => basename(file).replace(/\.json$/, '').replace(/\.run\d+$/, '');

test.each(files)('replays %s deterministically', async (file) => {
  const history = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  await Worker.runReplayHistory({ workflowBundle: await bundleWorkflows() }, history, workflowIdOf(file));
});
