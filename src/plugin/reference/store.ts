import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ReferencePluginState, type ReferenceSnapshot } from './state';

/**
 * The reference plugin's state file: JSON, written atomically (a temporary file in the same
 * folder, flushed, then renamed over the old one) so a crash mid-write leaves the previous
 * complete state, never half a file.
 */

/** Reads the state file; a missing file is an empty state. A corrupt one is refused with the reason. */
export async function loadStateFile(file: string): Promise<ReferencePluginState> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new ReferencePluginState();
    throw err;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`state file ${file} is not JSON (${(err as Error).message}); fix or remove it`);
  }
  try {
    return ReferencePluginState.fromSnapshot(data);
  } catch (err) {
    throw new Error(`state file ${file} is refused: ${(err as Error).message}; fix or remove it`);
  }
}

/** Writes the snapshot to the state file atomically. */
export async function saveStateFile(file: string, snapshot: ReferenceSnapshot): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const handle = await fs.open(temp, 'w', 0o644);
  try {
    await handle.writeFile(`${JSON.stringify(snapshot, null, 2)}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}
