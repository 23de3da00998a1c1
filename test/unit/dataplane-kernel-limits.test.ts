/**
 * Raising and restoring the kernel limits of the local cloud, on stand-in files (the real
 * sysctls are global to the machine; the integration tests check them through whole scenarios).
 */
import { mkdirSync, mkdtempSync, readFileSync, existsSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  BACKLOG_LIMIT,
  LOCAL_BACKLOG,
  LOCAL_KERNEL_LIMITS,
  LOCAL_NEIGH_GC_THRESH3,
  raiseLimit,
  raiseLocalLimits,
  recordFile,
  restoreLimit,
  restoreLocalLimits,
  sysctlFile,
} from '../../src/dataplane/kernel-limits';
import { isFabricNetns, fabricNetns } from '../../src/dataplane/names';
import { PAIR_LIMITS } from '../../src/model/pairs';

describe('kernel limits of the local cloud (stand-in files)', () => {
  let dir: string;
  let files: { procSys: string; recordDir: string };
  const set = (name: string, v: number | string) => {
    const f = sysctlFile(name, files.procSys);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, `${v}\n`);
  };
  const value = (name: string) => Number(readFileSync(sysctlFile(name, files.procSys), 'utf8'));
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'merak-limits-'));
    files = { procSys: path.join(dir, 'sys'), recordDir: path.join(dir, 'run') };
    // The defaults of the kernel this was written on (6.18).
    set('net.core.netdev_max_backlog', 1000);
    set('net.ipv4.neigh.default.gc_thresh1', 128);
    set('net.ipv4.neigh.default.gc_thresh2', 512);
    set('net.ipv4.neigh.default.gc_thresh3', 1024);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('sysctl names map to their /proc/sys files', () => {
    expect(sysctlFile('net.core.netdev_max_backlog')).toBe('/proc/sys/net/core/netdev_max_backlog');
    expect(sysctlFile('net.ipv4.neigh.default.gc_thresh3')).toBe('/proc/sys/net/ipv4/neigh/default/gc_thresh3');
    // The record of the backlog keeps the name earlier versions used, so a record they left this boot is found.
    expect(recordFile(BACKLOG_LIMIT)).toBe('/run/merak/netdev_max_backlog.original');
  });

  test('the neighbour limits hold two entries per pair of the largest test, in the kernel default proportions', () => {
    const want = (n: string) => LOCAL_KERNEL_LIMITS.find((l) => l.name === `net.ipv4.neigh.default.${n}`)!.want;
    expect(want('gc_thresh3')).toBe(LOCAL_NEIGH_GC_THRESH3);
    expect(LOCAL_NEIGH_GC_THRESH3).toBeGreaterThanOrEqual(2 * PAIR_LIMITS.maxPairs);
    expect([want('gc_thresh1'), want('gc_thresh2'), want('gc_thresh3')]).toEqual([128, 512, 1024].map((d) => (d * LOCAL_NEIGH_GC_THRESH3) / 1024));
    // Raised largest first, so gc_thresh1 <= gc_thresh2 <= gc_thresh3 holds after every step.
    expect(LOCAL_KERNEL_LIMITS.map((l) => l.name).filter((n) => n.includes('gc_thresh'))).toEqual(['3', '2', '1'].map((i) => `net.ipv4.neigh.default.gc_thresh${i}`));
  });

  test('raises every lower limit, records the originals once, restores them when asked', async () => {
    const raised = await raiseLocalLimits(LOCAL_KERNEL_LIMITS, files);
    expect(raised.failed).toEqual([]);
    expect(raised.changed).toEqual([
      { name: 'net.core.netdev_max_backlog', before: 1000, after: LOCAL_BACKLOG },
      { name: 'net.ipv4.neigh.default.gc_thresh3', before: 1024, after: 262144 },
      { name: 'net.ipv4.neigh.default.gc_thresh2', before: 512, after: 131072 },
      { name: 'net.ipv4.neigh.default.gc_thresh1', before: 128, after: 32768 },
    ]);
    expect(value('net.ipv4.neigh.default.gc_thresh3')).toBe(262144);
    // A second scenario finds them raised: nothing changes, the records still hold the originals.
    expect(await raiseLocalLimits(LOCAL_KERNEL_LIMITS, files)).toEqual({ changed: [], failed: [] });
    expect(readFileSync(recordFile(LOCAL_KERNEL_LIMITS[1]!, files.recordDir), 'utf8').trim()).toBe('1024');
    const restored = await restoreLocalLimits(LOCAL_KERNEL_LIMITS, files);
    expect(restored.changed.map((c) => [c.name, c.after])).toEqual([
      ['net.ipv4.neigh.default.gc_thresh1', 128],
      ['net.ipv4.neigh.default.gc_thresh2', 512],
      ['net.ipv4.neigh.default.gc_thresh3', 1024],
      ['net.core.netdev_max_backlog', 1000],
    ]);
    expect([value('net.core.netdev_max_backlog'), value('net.ipv4.neigh.default.gc_thresh1'), value('net.ipv4.neigh.default.gc_thresh2'), value('net.ipv4.neigh.default.gc_thresh3')]).toEqual([1000, 128, 512, 1024]);
    for (const l of LOCAL_KERNEL_LIMITS) expect(existsSync(recordFile(l, files.recordDir))).toBe(false);
    expect(await restoreLocalLimits(LOCAL_KERNEL_LIMITS, files)).toEqual({ changed: [], failed: [] });
  });

  test('never lowers a higher value, and then has nothing to restore', async () => {
    set('net.core.netdev_max_backlog', 200000);
    expect(await raiseLimit(BACKLOG_LIMIT, files)).toBeUndefined();
    expect(value('net.core.netdev_max_backlog')).toBe(200000);
    expect(existsSync(recordFile(BACKLOG_LIMIT, files.recordDir))).toBe(false);
    expect(await restoreLimit(BACKLOG_LIMIT, files)).toBeUndefined();
  });

  test('a value someone else changed after the raise is left alone; the record goes', async () => {
    await raiseLimit(BACKLOG_LIMIT, files);
    set('net.core.netdev_max_backlog', 5000);
    expect(await restoreLimit(BACKLOG_LIMIT, files)).toBeUndefined();
    expect(value('net.core.netdev_max_backlog')).toBe(5000);
    expect(existsSync(recordFile(BACKLOG_LIMIT, files.recordDir))).toBe(false);
  });

  test('a limit that cannot be set is reported and does not stop the others', async () => {
    rmSync(sysctlFile('net.ipv4.neigh.default.gc_thresh2', files.procSys));
    const raised = await raiseLocalLimits(LOCAL_KERNEL_LIMITS, files);
    expect(raised.failed).toEqual([{ name: 'net.ipv4.neigh.default.gc_thresh2', error: expect.stringContaining('ENOENT') }]);
    expect(raised.changed.map((c) => c.name)).toEqual(['net.core.netdev_max_backlog', 'net.ipv4.neigh.default.gc_thresh3', 'net.ipv4.neigh.default.gc_thresh1']);
    expect((await restoreLocalLimits(LOCAL_KERNEL_LIMITS, files)).changed).toHaveLength(3);
    if (process.getuid?.() !== 0) {
      chmodSync(sysctlFile('net.core.netdev_max_backlog', files.procSys), 0o444);
      expect((await raiseLocalLimits([BACKLOG_LIMIT], files)).failed).toEqual([{ name: 'net.core.netdev_max_backlog', error: expect.stringContaining('EACCES') }]);
    }
  });

  test('fabric namespaces are recognised by name only in their exact form', () => {
    expect(isFabricNetns(fabricNetns('a1b2'))).toBe(true);
    for (const n of ['mk-a1b2-node-1', 'mk-a1b2-node-1_3', 'xmk-a1b2_fabric', 'mk-a1b2_fabric2', 'mk-A1b2_fabric']) expect(isFabricNetns(n)).toBe(false);
  });
});
