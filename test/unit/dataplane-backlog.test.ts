/**
 * Raising and restoring the receive backlog, on stand-in files (the real sysctl is global to the
 * machine; the integration tests check it through whole scenarios).
 */
import { mkdtempSync, readFileSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { raiseBacklog, restoreBacklog, LOCAL_BACKLOG } from '../../src/dataplane/backlog';
import { isFabricNetns, fabricNetns } from '../../src/dataplane/names';

describe('receive backlog (stand-in files)', () => {
  let dir: string;
  let files: { sysctl: string; record: string };
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'merak-backlog-'));
    files = { sysctl: path.join(dir, 'netdev_max_backlog'), record: path.join(dir, 'run', 'original') };
    writeFileSync(files.sysctl, '1000\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const value = () => Number(readFileSync(files.sysctl, 'utf8'));

  test('raises a lower value, records the original once, restores it', async () => {
    expect(await raiseBacklog(LOCAL_BACKLOG, files)).toEqual({ before: 1000, after: LOCAL_BACKLOG });
    expect(value()).toBe(LOCAL_BACKLOG);
    // A second scenario finds it raised: nothing changes, the record still holds 1000.
    expect(await raiseBacklog(LOCAL_BACKLOG, files)).toBeUndefined();
    expect(readFileSync(files.record, 'utf8').trim()).toBe('1000');
    expect(await restoreBacklog(LOCAL_BACKLOG, files)).toEqual({ before: LOCAL_BACKLOG, after: 1000 });
    expect(value()).toBe(1000);
    expect(existsSync(files.record)).toBe(false);
    expect(await restoreBacklog(LOCAL_BACKLOG, files)).toBeUndefined();
  });

  test('never lowers a higher value, and then has nothing to restore', async () => {
    writeFileSync(files.sysctl, '200000\n');
    expect(await raiseBacklog(LOCAL_BACKLOG, files)).toBeUndefined();
    expect(value()).toBe(200000);
    expect(existsSync(files.record)).toBe(false);
    expect(await restoreBacklog(LOCAL_BACKLOG, files)).toBeUndefined();
  });

  test('a value someone else changed after the raise is left alone; the record goes', async () => {
    await raiseBacklog(LOCAL_BACKLOG, files);
    writeFileSync(files.sysctl, '5000\n');
    expect(await restoreBacklog(LOCAL_BACKLOG, files)).toBeUndefined();
    expect(value()).toBe(5000);
    expect(existsSync(files.record)).toBe(false);
  });

  test('fabric namespaces are recognised by name only in their exact form', () => {
    expect(isFabricNetns(fabricNetns('a1b2'))).toBe(true);
    for (const n of ['mk-a1b2-node-1', 'mk-a1b2-node-1_3', 'xmk-a1b2_fabric', 'mk-a1b2_fabric2', 'mk-A1b2_fabric']) expect(isFabricNetns(n)).toBe(false);
  });
});
