/**
 * Small JSON files next to the owner records (a node's underlay, an Alcor host agent's goal
 * states): written through a temporary file and rename(2), so a crash never leaves half a file.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Reads a JSON file.
 * @returns its value, or undefined when the file does not exist
 * @throws the read error (other than ENOENT) or SyntaxError for a file that is not JSON
 */
export async function readJsonFile<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Writes `value` as JSON (mode 0600; its folder made 0700 when missing), replacing the file whole.
 * The folder is made only when the first write finds it missing: a pooled agent writes three
 * state files per node into one folder, and a mkdir before each was a quarter of its file work.
 */
export async function writeJsonFile(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const text = JSON.stringify(value);
  try {
    await fs.writeFile(tmp, text, { mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await fs.writeFile(tmp, text, { mode: 0o600 });
  }
  await fs.rename(tmp, file);
}
