/**
 * Machine-wide kernel limits the local cloud needs, raised while a local cloud exists and put
 * back when the last one is gone.
 *
 * The local cloud puts every emulated host in one kernel, so tables and queues that a real cloud
 * has once per host are shared by all of them, and their defaults are sized for one host:
 *
 * - the receive backlog (`net.core.netdev_max_backlog`, 1000 by default): every veth, bridge and
 *   VXLAN hop hands packets to the receiving CPU's backlog queue, and the machine has two or so
 *   of them for every emulated host. One broadcast (an ARP request) in a VPC spread over many
 *   nodes is replicated to every node and flooded to every VM port there inside one softirq run:
 *   at 10 nodes x 1000 VMs that is about 5000 packets at once, the queue overflows, and the VMs
 *   late in the flood never see the ARP request (measured: 35-38 of 50 cross-node pings failed,
 *   the same pairs every time; with a larger backlog all passed);
 * - the IPv4 neighbour (ARP) table (`net.ipv4.neigh.default.gc_thresh1..3`, 128/512/1024 by
 *   default). There is one such table in the kernel, not one per network namespace: every
 *   entry of every namespace counts against the same `gc_thresh3`, and only the initial
 *   namespace has the `default` sysctls (checked on kernel 6.18: a new namespace has no
 *   `/proc/sys/net/ipv4/neigh/default`, and `/proc/net/stat/arp_cache` exists only in the initial
 *   namespace; net/core/neighbour.c, neigh_alloc: `tbl->gc_entries` against `tbl->gc_thresh3`).
 *   A connectivity test between two VMs adds an entry in each (the source learns the
 *   destination or its gateway, the destination learns the source from the request), and an
 *   entry can only be collected after 5 s unused. At 2 nodes x 400 VMs, `pairs: all` overran
 *   1024 at once: `neighbour: arp_cache: neighbor table overflow!`, and the ARP requests and
 *   replies that needed a new entry were dropped, so pings failed for want of table room.
 *   Raised to room for two entries of every pair the largest test may hold
 *   (PAIR_LIMITS.maxPairs = 100,000), keeping the kernel's 1:4:8 proportions, so the periodic
 *   collection (above gc_thresh1) and the forced one (above gc_thresh2) still work the same way.
 *   An entry takes about 0.5 KiB of kernel memory, only while it exists.
 *
 * Each limit is only ever raised (never lowered); the value found first is kept in /run/merak (a
 * tmpfs, emptied at boot like the settings themselves) and put back when no local cloud (fabric
 * namespace) of any scenario is left on the machine, unless someone else changed it meanwhile.
 * Pod mode leaves them alone (the node's kernel is not ours to tune); where a limit stays too
 * small, the connectivity tests name it in the result of each check it spoiled
 * (src/activities/testing/neighbour-table.ts).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** One machine-wide sysctl the local cloud needs at least `want` of. */
export interface KernelLimit {
  /** The sysctl's dotted name, e.g. `net.core.netdev_max_backlog`. */
  name: string;
  /** The value the local cloud needs at least. */
  want: number;
  /** File name, under the record directory, of the value found before the first raise. */
  record: string;
  /** Why the local cloud needs it (said on stderr when it is raised). */
  why: string;
}

/** Room for the widest flood of a large local scenario; queued packets only use memory while queued. */
export const LOCAL_BACKLOG = 65536;
/** Neighbour entries the largest test may need: two per pair of PAIR_LIMITS.maxPairs (100,000), rounded up to a power of two. */
export const LOCAL_NEIGH_GC_THRESH3 = 262144;

/**
 * What the local cloud raises, in the order it raises them (gc_thresh3 before 2 before 1, so they
 * never cross; restored in the reverse order).
 */
export const LOCAL_KERNEL_LIMITS: readonly KernelLimit[] = [
  {
    name: 'net.core.netdev_max_backlog',
    want: LOCAL_BACKLOG,
    record: 'netdev_max_backlog.original',
    why: "every emulated host shares this kernel's receive queue, and VPC-wide floods overran it",
  },
  {
    name: 'net.ipv4.neigh.default.gc_thresh3',
    want: LOCAL_NEIGH_GC_THRESH3,
    record: 'net.ipv4.neigh.default.gc_thresh3.original',
    why: "every emulated host's ARP entries count against this one machine-wide limit, which connectivity tests between many VMs overran",
  },
  {
    name: 'net.ipv4.neigh.default.gc_thresh2',
    want: LOCAL_NEIGH_GC_THRESH3 / 2,
    record: 'net.ipv4.neigh.default.gc_thresh2.original',
    why: 'forced ARP-entry collection starts here; kept at the kernel default proportion to gc_thresh3',
  },
  {
    name: 'net.ipv4.neigh.default.gc_thresh1',
    want: LOCAL_NEIGH_GC_THRESH3 / 8,
    record: 'net.ipv4.neigh.default.gc_thresh1.original',
    why: 'periodic ARP-entry collection starts here; kept at the kernel default proportion to gc_thresh3',
  },
];

/** The receive backlog's entry of {@link LOCAL_KERNEL_LIMITS}. */
export const BACKLOG_LIMIT: KernelLimit = LOCAL_KERNEL_LIMITS[0]!;

/** Where the settings and the records live. Tests point both at stand-in directories. */
export interface LimitFiles {
  /** Directory of the sysctl files. @default '/proc/sys' */
  procSys?: string;
  /** Directory of the records of the values found first (a tmpfs). @default '/run/merak' */
  recordDir?: string;
}

export const RECORD_DIR = '/run/merak';

/** A limit Merak changed: its value before and after. */
export interface LimitChange {
  name: string;
  before: number;
  after: number;
}

/** A limit Merak needed and could not read or set (a read-only /proc/sys, a kernel without it). */
export interface LimitFailure {
  name: string;
  error: string;
}

/** The file of sysctl `name` under `procSys` (`net.core.x` → `<procSys>/net/core/x`). */
export function sysctlFile(name: string, procSys = '/proc/sys'): string {
  return path.join(procSys, ...name.split('.'));
}

/** The record file of `limit` under `recordDir`. */
export function recordFile(limit: KernelLimit, recordDir = RECORD_DIR): string {
  return path.join(recordDir, limit.record);
}

async function read(file: string): Promise<number> {
  return Number((await fs.readFile(file, 'utf8')).trim());
}

/**
 * Raises `limit` to its `want` if it is lower; records the value found first (once: a second
 * scenario must not record the raised value as the original). Returns the change, if any.
 * @throws the file system's error when the setting cannot be read or written (ENOENT, EROFS, EACCES).
 */
export async function raiseLimit(limit: KernelLimit, files: LimitFiles = {}): Promise<LimitChange | undefined> {
  const file = sysctlFile(limit.name, files.procSys);
  const record = recordFile(limit, files.recordDir);
  const before = await read(file);
  if (!Number.isInteger(before) || before >= limit.want) return undefined;
  await fs.mkdir(path.dirname(record), { recursive: true });
  try {
    await fs.writeFile(record, `${before}\n`, { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  await fs.writeFile(file, `${limit.want}\n`);
  return { name: limit.name, before, after: limit.want };
}

/**
 * Puts back the value recorded by raiseLimit, if there is a record. Call only when no local
 * cloud is left on the machine. A value changed by someone else since is left as it is; the
 * record goes either way.
 * @throws the file system's error when the setting or the record cannot be read or written.
 */
export async function restoreLimit(limit: KernelLimit, files: LimitFiles = {}): Promise<LimitChange | undefined> {
  const file = sysctlFile(limit.name, files.procSys);
  const record = recordFile(limit, files.recordDir);
  let original: number;
  try {
    original = await read(record);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const now = await read(file);
  let change: LimitChange | undefined;
  if (now === limit.want && Number.isInteger(original) && original > 0) {
    await fs.writeFile(file, `${original}\n`);
    change = { name: limit.name, before: now, after: original };
  }
  await fs.rm(record, { force: true });
  return change;
}

/**
 * Raises every limit of `limits` (in order) that is lower than the local cloud needs. A limit
 * that cannot be set does not stop the others: it is returned as a failure, and the tests report
 * the limit when they hit it.
 * @returns what changed and what could not be set.
 */
export async function raiseLocalLimits(limits: readonly KernelLimit[] = LOCAL_KERNEL_LIMITS, files: LimitFiles = {}): Promise<{ changed: LimitChange[]; failed: LimitFailure[] }> {
  const changed: LimitChange[] = [];
  const failed: LimitFailure[] = [];
  for (const l of limits) {
    try {
      const c = await raiseLimit(l, files);
      if (c) changed.push(c);
    } catch (e) {
      failed.push({ name: l.name, error: (e as Error).message });
    }
  }
  return { changed, failed };
}

/**
 * Puts back every limit of `limits` raised by raiseLocalLimits (in the reverse order). Call only
 * when no local cloud is left on the machine.
 * @returns what changed and what could not be put back.
 */
export async function restoreLocalLimits(limits: readonly KernelLimit[] = LOCAL_KERNEL_LIMITS, files: LimitFiles = {}): Promise<{ changed: LimitChange[]; failed: LimitFailure[] }> {
  const changed: LimitChange[] = [];
  const failed: LimitFailure[] = [];
  for (const l of [...limits].reverse()) {
    try {
      const c = await restoreLimit(l, files);
      if (c) changed.push(c);
    } catch (e) {
      failed.push({ name: l.name, error: (e as Error).message });
    }
  }
  return { changed, failed };
}
