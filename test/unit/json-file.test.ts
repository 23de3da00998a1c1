/**
 * writeJsonFile / readJsonFile (src/dataplane/json-file.ts) on a real temporary directory: the
 * folder is made (0700) only when missing, the file is 0600 and replaced whole, no temporary file
 * is left, and errors other than a missing folder are not swallowed.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readJsonFile, writeJsonFile } from '../../src/dataplane/json-file';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'merak-json-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('a write into a missing folder makes it (0700); the file is 0600, replaced whole, with no temporary file left', async () => {
  const file = path.join(dir, 'a', 'b', 'n.json');
  expect(await readJsonFile(file)).toBeUndefined();
  await writeJsonFile(file, { vms: [[0, 1000]] });
  expect(statSync(path.join(dir, 'a', 'b')).mode & 0o777).toBe(0o700);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(await readJsonFile(file)).toEqual({ vms: [[0, 1000]] });
  await writeJsonFile(file, { vms: [] });
  expect(await readJsonFile(file)).toEqual({ vms: [] });
  expect(readdirSync(path.join(dir, 'a', 'b'))).toEqual(['n.json']);
});

test('a folder that cannot be made fails the write with its error', async () => {
  // A file where the folder should be: ENOTDIR on the write, then EEXIST/ENOTDIR from mkdir.
  writeFileSync(path.join(dir, 'x'), '');
  await expect(writeJsonFile(path.join(dir, 'x', 'n.json'), {})).rejects.toMatchObject({ code: expect.stringMatching(/^(ENOTDIR|EEXIST)$/) });
  await expect(readJsonFile(path.join(dir, 'x'))).rejects.toThrow(SyntaxError);
});
